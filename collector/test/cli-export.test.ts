import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from '../../test/collector-harness.js';
import { main } from '../src/cli/main.js';
import { cliCall, databaseWith, HOUR, T0 } from './cli-calls.js';
import { runCli, runCliWith } from './run-cli.js';

const N = 1_234;
const HEADER =
  'id,trace_id,span_id,started_at,finished_at,duration_ms,ttft_ms,service,project,user,account,provider,operation,call_type,request_model,response_model,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cache_write_1h_tokens,reasoning_tokens,image_count,image_size,image_resolution,image_quality,video_seconds,video_resolution,video_audio,aspect_ratio,status,error_type,error_message,retry_count,cost_usd,pricing_source,unpriced_reason\r\n';

let db: string;
let collector: RunningCollector;

beforeAll(async () => {
  db = databaseWith(N);
  // The collector runs on the same file the whole time: the CLI reads beside it.
  collector = await startCollector({ db });
});
afterAll(async () => {
  await collector?.close();
});

const iso = (ms: number) => new Date(ms).toISOString();

/** GET /api/v1/export with these parameters, as bytes. */
async function apiExport(params: Record<string, string>): Promise<string> {
  const res = await fetch(`${collector.url}/api/v1/export?${new URLSearchParams(params)}`);
  expect(res.status).toBe(200);
  return await res.text();
}

describe('costlens export', () => {
  // Each case: the CLI's flags and the API's parameters for the same calls.
  const ALL = { from: iso(T0 - HOUR), to: iso(T0 + 30 * HOUR) };
  const cases: [string, string[], Record<string, string>][] = [
    ['every call (no window: all stored)', [], ALL],
    [
      'a window with edges inside hours, ISO and epoch ms',
      ['--from', iso(T0 + 95 * 60_000 + 3), '--to', String(T0 + 17 * HOUR + 41 * 60_000)],
      { from: iso(T0 + 95 * 60_000 + 3), to: String(T0 + 17 * HOUR + 41 * 60_000) },
    ],
    [
      'a project with a quote and a comma',
      ['--project', `o'brien, "jr"`],
      { ...ALL, project: `o'brien, "jr"` },
    ],
    [
      'a user a spreadsheet would run',
      ['--user', '=HYPERLINK("http://x")'],
      { ...ALL, user: '=HYPERLINK("http://x")' },
    ],
    ['a user on two lines', ['--user', 'two\nlines'], { ...ALL, user: 'two\nlines' }],
    [
      'provider and response model',
      ['--provider', 'openai', '--model', 'gpt-4o-2024-08-06'],
      { ...ALL, provider: 'openai', model: 'gpt-4o-2024-08-06' },
    ],
    ['an account', ['--account', '@acct'], { ...ALL, account: '@acct' }],
    [
      'failed video calls',
      ['--call-type', 'video', '--status', 'error'],
      { ...ALL, call_type: 'video', status: 'error' },
    ],
    [
      'by cost, cheapest first (unpriced last)',
      ['--sort', 'cost', '--order', 'asc'],
      { ...ALL, sort: 'cost', order: 'asc' },
    ],
    ['by latency, slowest first', ['--sort', 'latency'], { ...ALL, sort: 'latency' }],
    [
      'NDJSON of one project',
      ['--format', 'ndjson', '--project', 'shop'],
      { ...ALL, format: 'ndjson', project: 'shop' },
    ],
    ['a model no call has', ['--model', 'gpt-5'], { ...ALL, model: 'gpt-5' }],
  ];

  it.each(cases)(
    'writes the bytes GET /api/v1/export answers: %s',
    async (_name, flags, params) => {
      const cli = await runCli('export', '--db', db, ...flags);
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      expect(cli.stdout).toBe(await apiExport(params));
      expect(cli.stdout.length).toBeGreaterThan(0);
    },
  );

  it('writes a header row and one row per call, newest first, with the cells as stored', async () => {
    const cli = await runCli(
      'export',
      '--db',
      db,
      '--from',
      iso(T0 + 13 * 60_000),
      '--to',
      iso(T0 + 14 * 60_000),
    );
    // Call 13: a failed Anthropic call of project search by user -5 (a formula to a
    // spreadsheet), with cache reads and an error message holding a quote and a line break.
    const c = cliCall(13);
    expect(c.started_at).toBe(T0 + 13 * 60_000 + 6);
    expect(cli.stdout).toBe(
      `${HEADER}${c.id},${c.trace_id},${c.span_id},2026-11-24T10:13:00.006Z,2026-11-24T10:13:00.687Z,681,,svc,search,'-5,,anthropic,chat,text,claude-sonnet-4-5,,claude-sonnet-4-5,1000,100,300${','.repeat(12)}error,RateLimitError,"rate limited, ""slow down""\nretry later",2,0.000014,catalogue,\r\n`,
    );
    const all = await runCli('export', '--db', db);
    const rows = all.stdout.split('\r\n');
    expect(rows[0]).toBe(HEADER.trimEnd());
    expect(rows[1]!.startsWith(`${cliCall(N - 1).id},`)).toBe(true);
    expect(rows.at(-2)!.startsWith(`${cliCall(0).id},`)).toBe(true);
    // Quoted cells hold line breaks, so count rows by their ids.
    expect(all.stdout.match(/^[0-9a-f]{48},/gm)).toHaveLength(N);
  });

  it('--out writes the file whole (through FILE.partial) and says what it wrote; .ndjson means NDJSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-export-'));
    const csv = await runCli('export', '--db', db, '--out', join(dir, 'calls.csv'));
    expect(csv.code).toBe(0);
    const bytes = readFileSync(join(dir, 'calls.csv'));
    expect(csv.stdout).toBe(
      `wrote 1,234 calls to ${join(dir, 'calls.csv')} (csv, ${(bytes.length / 1000).toFixed(0)} kB)\n`,
    );
    expect(bytes.toString()).toBe((await runCli('export', '--db', db)).stdout);

    const nd = await runCli(
      'export',
      '--db',
      db,
      '--out',
      join(dir, 'calls.ndjson'),
      '--status',
      'error',
    );
    expect(nd.code).toBe(0);
    const lines = readFileSync(join(dir, 'calls.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(
      Array.from({ length: N }, (_, i) => i).filter((i) => i % 9 === 4).length,
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({ status: 'error', error_type: 'RateLimitError' });
    expect(readdirSync(dir).sort()).toEqual(['calls.csv', 'calls.ndjson']);
  });

  it('with no matching calls: the header alone as CSV, nothing as NDJSON', async () => {
    expect((await runCli('export', '--db', db, '--project', 'none')).stdout).toBe(HEADER);
    expect(
      (await runCli('export', '--db', db, '--project', 'none', '--format', 'ndjson')).stdout,
    ).toBe('');
    const empty = databaseWith(0);
    expect(await runCli('export', '--db', empty)).toEqual({ code: 0, stdout: HEADER, stderr: '' });
  });

  it('leaves the database file as it was (it reads through a read-only connection)', async () => {
    const copy = databaseWith(50);
    const before = readFileSync(copy);
    expect((await runCli('export', '--db', copy, '--sort', 'cost')).code).toBe(0);
    expect(readFileSync(copy).equals(before)).toBe(true);
  });

  it('writes a batch of calls at a time and waits for a slow reader (a pipe) to drain', async () => {
    const writes: string[] = [];
    let sinceDrain = 0;
    const stdout = Object.assign(new EventEmitter(), {
      write(s: string) {
        writes.push(s);
        sinceDrain++;
        return false; // the pipe is full after every write
      },
    });
    let code: number | undefined;
    void main(['export', '--db', db], { stdout, stderr: { write: () => true }, env: {} }).then(
      (c) => (code = c),
    );
    for (let i = 0; i < 400 && code === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
      // Nothing more is written until the reader has taken what was.
      expect(sinceDrain).toBeLessThanOrEqual(1);
      sinceDrain = 0;
      stdout.emit('drain');
    }
    expect(code).toBe(0);
    expect(writes[0]).toBe(HEADER);
    const perWrite = writes.slice(1).map((w) => w.match(/^[0-9a-f]{48},/gm)?.length ?? 0);
    expect(perWrite).toEqual([500, 500, 234]);
  });

  it('Ctrl-C stops after the batch it comes in: exit 130, stdout cut short, --out leaves no file', async () => {
    const writes: string[] = [];
    const stdout = Object.assign(new EventEmitter(), {
      write(s: string) {
        writes.push(s);
        return false;
      },
    });
    let stderr = '';
    let code: number | undefined;
    const io = { stdout, stderr: { write: (s: string) => (stderr += s) }, env: {} };
    void main(['export', '--db', db], io).then((c) => (code = c));
    for (let i = 0; i < 400 && code === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
      if (writes.length === 2) process.emit('SIGINT');
      stdout.emit('drain');
    }
    expect(code).toBe(130);
    expect(writes.map((w) => w.match(/^[0-9a-f]{48},/gm)?.length ?? 0)).toEqual([0, 500]);
    expect(stderr).toBe('export: stopped after 500 calls; the output is incomplete.\n');

    const dir = mkdtempSync(join(tmpdir(), 'costlens-export-'));
    const out = join(dir, 'calls.csv');
    // Queued before the export starts, so it comes right after the first batch.
    setImmediate(() => process.emit('SIGINT'));
    expect(await runCli('export', '--db', db, '--out', out)).toEqual({
      code: 130,
      stdout: '',
      stderr: `export: stopped after 500 calls; nothing written to ${out}.\n`,
    });
    expect(readdirSync(dir)).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it.each([
    [['--status', 'ok'], 'export: --status must be one of success, error, got "ok".'],
    [
      ['--call-type', 'chat'],
      'export: --call-type must be one of text, embedding, image, video, audio, other, got "chat".',
    ],
    [['--format', 'xml'], 'export: --format must be one of csv, ndjson, got "xml".'],
    [['--sort', 'size'], 'export: --sort must be one of time, cost, latency, got "size".'],
    [['--order', 'up'], 'export: --order must be one of desc, asc, got "up".'],
    [
      ['--from', 'yesterday'],
      'export: --from must be an ISO-8601 time (2026-12-02T10:00:00Z) or epoch milliseconds, got "yesterday".',
    ],
    [
      ['--from', '2026-12-01', '--to', '2026-11-01'],
      'export: --from (2026-12-01T00:00:00.000Z) must be before --to (2026-11-01T00:00:00.000Z).',
    ],
    [['--project', ''], 'export: --project is empty; leave it out to export every project.'],
    [['--out', ''], 'export: --out is empty; leave it out to write to stdout.'],
    [['--projet', 'shop'], `export: Unknown option '--projet'. See 'costlens export --help'.`],
  ])('%j exits 2 with one sentence naming the flag', async (flags, message) => {
    const r = await runCli('export', '--db', db, ...flags);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `costlens: ${message}\n` });
  });

  it('names a database that is missing, not SQLite, or not costlens, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-export-'));
    const missing = join(dir, 'nope.db');
    expect(await runCli('export', '--db', missing)).toEqual({
      code: 2,
      stdout: '',
      stderr: `costlens: export: there is no database at ${missing}; pass --db or --config.\n`,
    });
    expect(existsSync(missing)).toBe(false);
    writeFileSync(join(dir, 'notes.txt'), 'not a database at all, just some text\n'.repeat(200));
    expect((await runCli('export', '--db', join(dir, 'notes.txt'))).stderr).toBe(
      `costlens: export: ${join(dir, 'notes.txt')} is not a SQLite database; pass --db with costlens's database.\n`,
    );
    const other = new Database(join(dir, 'other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect((await runCli('export', '--db', join(dir, 'other.db'))).stderr).toBe(
      `costlens: export: ${join(dir, 'other.db')} is not a costlens database (it has no schema_migrations table).\n`,
    );
  });

  it('finds the database through COSTLENS_DB and the config file, as costlens start does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-export-'));
    writeFileSync(join(dir, 'costlens.yaml'), `db: ${db}\n`);
    const byConfig = await runCli(
      'export',
      '--config',
      join(dir, 'costlens.yaml'),
      '--project',
      'shop',
    );
    expect(byConfig.code).toBe(0);
    const byFlag = await runCli('export', '--db', db, '--project', 'shop');
    expect(byConfig.stdout).toBe(byFlag.stdout);
    const byEnv = await runCliWith({ COSTLENS_DB: db }, 'export', '--project', 'shop');
    expect(byEnv.stdout).toBe(byFlag.stdout);
  });
});
