import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { Progress, type ProgressStream } from '../src/cli/progress.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { insertRecords } from './support/store.js';

/** A terminal that keeps what was written to it, and a clock the test moves. */
function terminal(columns = 100): ProgressStream & { text: string } {
  const t = {
    isTTY: true,
    columns,
    text: '',
    write(s: string) {
      t.text += s;
      return true;
    },
  };
  return t;
}

function clock(): { now: () => number; at: (ms: number) => void } {
  let ms = 0;
  return { now: () => ms, at: (x) => (ms = x) };
}

const ERASE = '\x1b[K';

describe('progress on a terminal', () => {
  it('redraws one line in place, at most every 100 ms, always at the end, then erases it', () => {
    const tty = terminal();
    const c = clock();
    const p = new Progress(tty, { verb: 'exported', unit: 'calls', now: c.now });
    p.update(500, 1_000_000);
    c.at(50);
    p.update(1_000, 1_000_000); // too soon after the last: not drawn
    c.at(150);
    p.update(120_000, 1_000_000);
    c.at(160);
    p.update(1_000_000, 1_000_000); // the end is drawn however soon
    p.done();
    expect(tty.text).toBe(
      `\rexported 500 of 1,000,000 calls (0%)${ERASE}` +
        `\rexported 120,000 of 1,000,000 calls (12%)${ERASE}` +
        `\rexported 1,000,000 of 1,000,000 calls (100%)${ERASE}` +
        `\r${ERASE}`,
    );
  });

  it('guesses the time left once two seconds have passed', () => {
    const tty = terminal();
    const c = clock();
    const p = new Progress(tty, { verb: 're-priced', unit: 'calls', now: c.now });
    c.at(1_000);
    p.update(100, 1_000);
    c.at(2_000);
    p.update(250, 1_000);
    c.at(60_000);
    p.update(400, 1_000);
    expect(tty.text.split('\r').filter(Boolean)).toEqual([
      `re-priced 100 of 1,000 calls (10%)${ERASE}`,
      `re-priced 250 of 1,000 calls (25%, about 6 s left)${ERASE}`,
      `re-priced 400 of 1,000 calls (40%, about 2 min left)${ERASE}`,
    ]);
  });

  it('counts without a total, says steps, and cuts a line to the terminal width', () => {
    const tty = terminal(20);
    const p = new Progress(tty, { verb: 'deleted', unit: 'calls', everyMs: 0 });
    p.update(1_234);
    p.say('building the catalogue from 3,600 entries');
    expect(tty.text).toBe(`\rdeleted 1,234 calls${ERASE}\rbuilding the catalo${ERASE}`);
  });

  it('erases nothing when nothing was drawn, and shows 0 of 0 as done', () => {
    const idle = terminal();
    new Progress(idle, { verb: 'exported', unit: 'calls' }).done();
    expect(idle.text).toBe('');
    const none = terminal();
    new Progress(none, { verb: 'exported', unit: 'calls' }).update(0, 0);
    expect(none.text).toBe(`\rexported 0 of 0 calls (100%)${ERASE}`);
  });
});

describe('progress in a script', () => {
  it.each([
    ['a stream that is not a terminal', { isTTY: false }, false],
    ['a stream that does not say', {}, false],
    ['a terminal with --quiet', { isTTY: true }, true],
  ])('writes nothing to %s', (_name, stream, quiet) => {
    let text = '';
    const s: ProgressStream = { ...stream, write: (x: string) => (text += x) };
    const p = new Progress(s, { verb: 'exported', unit: 'calls', quiet, everyMs: 0 });
    p.update(1, 2);
    p.say('reading');
    p.update(2, 2);
    p.done();
    expect(p.shown).toBe(false);
    expect(text).toBe('');
  });
});

describe('the commands', () => {
  /** A database of `n` calls, one a second. */
  function database(n: number): string {
    const path = join(mkdtempSync(join(tmpdir(), 'costlens-progress-')), 'c.db');
    const store = new Store(path);
    const t0 = Date.UTC(2026, 10, 24, 10);
    insertRecords(
      store,
      Array.from({ length: n }, (_, i) => {
        const trace = (i + 1).toString(16).padStart(32, '0');
        const span = (i + 1).toString(16).padStart(16, '0');
        return callRecord({
          id: trace + span,
          trace_id: trace,
          span_id: span,
          started_at: t0 + i * 1000,
        });
      }),
    );
    store.close();
    return path;
  }

  async function run(stderr: ProgressStream & { text: string }, ...argv: string[]) {
    let stdout = '';
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr,
      env: {},
    });
    return { code, stdout };
  }

  it('export and recompute draw their progress on a terminal and erase it before their report', async () => {
    const db = database(1_200);
    const tty = terminal();
    const out = join(mkdtempSync(join(tmpdir(), 'costlens-progress-')), 'calls.csv');
    expect((await run(tty, 'export', '--db', db, '--out', out)).code).toBe(0);
    const lines = tty.text.split('\r').filter(Boolean);
    expect(lines[0]).toBe(`exported 500 of 1,200 calls (41%)${ERASE}`);
    expect(lines.at(-2)).toBe(`exported 1,200 of 1,200 calls (100%)${ERASE}`);
    expect(lines.at(-1)).toBe(ERASE);

    const again = terminal();
    const r = await run(again, 'recompute', '--db', db);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^re-priced 1,200 calls with catalogue /);
    expect(again.text).toBe(`\rre-priced 1,200 of 1,200 calls (100%)${ERASE}\r${ERASE}`);
  });

  it('export draws no progress over calls it writes to the terminal itself', async () => {
    const db = database(600);
    const tty = terminal();
    let stdout = '';
    const screen = { isTTY: true, write: (s: string) => (stdout += s) };
    expect(await main(['export', '--db', db], { stdout: screen, stderr: tty, env: {} })).toBe(0);
    expect(stdout.match(/^[0-9a-f]{48},/gm)).toHaveLength(600);
    expect(tty.text).toBe('');
  });

  it('pricing update says each step on a terminal, and erases it before its report', async () => {
    const litellm = fileURLToPath(
      new URL('../../pricing/sources/litellm_model_prices.json', import.meta.url),
    );
    const out = join(mkdtempSync(join(tmpdir(), 'costlens-progress-')), 'catalogue.json');
    const tty = terminal(300);
    const r = await run(tty, 'pricing', 'update', '--litellm', litellm, '--out', out, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ models \(new\)\n[\s\S]*dry run: nothing written\n$/);
    expect(tty.text).toBe(
      `\rreading ${litellm}${ERASE}\rbuilding the catalogue${ERASE}\rcomparing with ${out}${ERASE}\r${ERASE}`,
    );
  });

  it('--quiet keeps a terminal free of progress; the report still comes', async () => {
    const db = database(10);
    const tty = terminal();
    const r = await run(tty, 'recompute', '--db', db, '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^re-priced 10 calls/);
    expect(tty.text).toBe('');
  });
});
