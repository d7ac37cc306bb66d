import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { SCHEMA_VERSION } from '../src/store/migrations.js';
import { Queries } from '../src/store/queries.js';
import { Store } from '../src/store/store.js';
import { cliCall, databaseWith, HOUR, T0 } from './cli-calls.js';
import { runCli, runCliWith } from './run-cli.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Rows of a table, straight from the file. */
function rows(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** Runs a command with a terminal on stdin that answers `answer` (or closes, for null). */
async function withTerminal(answer: string | null, ...argv: string[]) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  let stdout = '';
  let stderr = '';
  const run = main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: {},
  });
  // The question first, then the answer, as a person at the terminal would.
  for (let i = 0; i < 200 && !stderr.includes('[y/N] '); i++)
    await new Promise((r) => setTimeout(r, 5));
  if (answer === null) stdin.end();
  else stdin.write(`${answer}\n`);
  const code = await run;
  return { code, stdout, stderr };
}

describe('costlens db info', () => {
  it('says where the database is, its size, schema, calls, rollups, budget messages and retention', async () => {
    const db = databaseWith(300);
    const dir = mkdtempSync(join(tmpdir(), 'costlens-db-'));
    writeFileSync(join(dir, 'c.yaml'), `db: ${db}\nretention: { calls_days: 30 }\n`);
    // A budget message waiting for its webhook, and one delivered.
    const store = new Store(db);
    const add = store.db.prepare(
      `INSERT INTO budget_messages (budget, period_start, kind, created_at, payload, next_attempt_at, delivered_at)
       VALUES (?, 0, ?, 0, '{}', 0, ?)`,
    );
    add.run('monthly', 'threshold:80', null);
    add.run('monthly', 'threshold:50', 1);
    store.close();

    const json = await runCli('db', 'info', '--config', join(dir, 'c.yaml'), '--json');
    expect(json.code).toBe(0);
    const size = statSync(db).size;
    const hours = rows(db, 'SELECT DISTINCT hour FROM rollups_hourly').length;
    expect(hours).toBe(5); // 300 calls a minute apart from a whole hour
    const info = JSON.parse(json.stdout);
    expect(info).toEqual({
      path: db,
      db_bytes: size,
      wal_bytes: info.wal_bytes,
      free_bytes: 0,
      schema_version: SCHEMA_VERSION,
      calls: 300,
      first_call_at: iso(cliCall(0).started_at),
      last_call_at: iso(cliCall(299).started_at),
      rollup_rows: (rows(db, 'SELECT count(*) AS n FROM rollups_hourly')[0] as { n: number }).n,
      first_rollup_hour: iso(T0),
      last_rollup_hour: iso(T0 + 4 * HOUR),
      budget_messages_pending: 1,
      retention_days: 30,
    });
    expect(info.rollup_rows).toBeGreaterThan(hours);

    const text = await runCliWith({ COSTLENS_DB: db }, 'db', 'info');
    expect(text.stderr).toBe('');
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(`database         ${db}`);
    expect(lines[1]).toMatch(
      /^size {13}\d+ kB \(file \d+ kB, write-ahead log \d+ (B|kB); 0 B free inside\)$/,
    );
    expect(lines.slice(2)).toEqual([
      `schema           version ${SCHEMA_VERSION}`,
      `calls            300, ${iso(cliCall(0).started_at)} .. ${iso(cliCall(299).started_at)} (first and last start)`,
      `rollups          ${info.rollup_rows} rows, hours ${iso(T0)} .. ${iso(T0 + 4 * HOUR)}`,
      'budget messages  1 not delivered yet',
      'retention        raw calls kept 90 days; rollups kept',
      '',
    ]);
  });

  it('says none for an empty database, and leaves the file as it was', async () => {
    const db = databaseWith(0);
    const before = readFileSync(db);
    const r = await runCli('db', 'info', '--db', db);
    expect(r.stdout).toContain('\ncalls            none\nrollups          none\n');
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('exits 2 naming a database that is not there', async () => {
    expect(await runCli('db', 'info', '--db', '/nonexistent/c.db')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'costlens: db info: there is no database at /nonexistent/c.db; pass --db or --config.\n',
    });
  });
});

/** Rollup rows of the hours before 12:00, counted in SQL: what a delete before 12:30 removes. */
const olderRollups = (db: string) =>
  (
    rows(db, `SELECT count(*) AS n FROM rollups_hourly WHERE hour < ${T0 + 2 * HOUR}`)[0] as {
      n: number;
    }
  ).n;

describe('costlens db clear', () => {
  // 300 calls from 10:00, one a minute: 60 an hour over 10:00 .. 14:59.
  const BEFORE = iso(T0 + 2 * HOUR + 30 * 60_000); // 12:30: calls 0 .. 150 are older

  it('deletes the calls before the time and the rollups of the hours before it, as DELETE /api/v1/calls does', async () => {
    const db = databaseWith(300);
    const twin = databaseWith(300);
    const older = olderRollups(db);
    expect(older).toBeGreaterThan(2);
    // The API's delete path on the twin: the store's pruneCalls, then the rollups' delete.
    const store = new Store(twin);
    const before = Date.parse(BEFORE);
    while (store.pruneCalls(before, 5000) === 5000);
    const queries = new Queries(store.db);
    while (queries.deleteRollupsBefore(before) !== null);
    store.close();

    const r = await runCli('db', 'clear', '--db', db, '--before', BEFORE, '--yes');
    expect(r).toEqual({
      code: 0,
      stdout: `deleted 150 calls and ${older} rollup rows before ${BEFORE}\n`,
      stderr: '',
    });
    const state = (path: string) => ({
      calls: rows(path, 'SELECT rowid, * FROM calls ORDER BY rowid'),
      rollups: rows(
        path,
        'SELECT * FROM rollups_hourly ORDER BY hour, project, user, account, provider, model, call_type, status',
      ),
    });
    expect(state(db)).toEqual(state(twin));
    expect(rows(db, 'SELECT min(started_at) AS t FROM calls')).toEqual([
      { t: cliCall(150).started_at },
    ]);
    // The hour 12:30 falls in keeps its rollups: whole-hour totals still count its calls.
    expect(rows(db, 'SELECT min(hour) AS h FROM rollups_hourly')).toEqual([{ h: T0 + 2 * HOUR }]);

    const again = await runCli('db', 'clear', '--db', db, '--before', BEFORE, '--yes');
    expect(again).toEqual({
      code: 0,
      stdout: `nothing to delete: no calls or rollup rows before ${BEFORE}\n`,
      stderr: '',
    });
  });

  it('asks on a terminal, and deletes only on yes', async () => {
    const db = databaseWith(300);
    const older = olderRollups(db);
    const question = `delete 150 calls that started before ${BEFORE} and ${older} rollup rows of the hours before it from ${db}? This cannot be undone. [y/N] `;
    for (const answer of ['', 'n', 'no thanks', null]) {
      const r = await withTerminal(answer, 'db', 'clear', '--db', db, '--before', BEFORE);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: `${question}${answer === null ? '\n' : ''}nothing deleted\n`,
      });
    }
    expect(rows(db, 'SELECT count(*) AS n FROM calls')).toEqual([{ n: 300 }]);
    const yes = await withTerminal('y', 'db', 'clear', '--db', db, '--before', BEFORE);
    expect(yes).toEqual({
      code: 0,
      stdout: `deleted 150 calls and ${older} rollup rows before ${BEFORE}\n`,
      stderr: question,
    });
    expect(rows(db, 'SELECT count(*) AS n FROM calls')).toEqual([{ n: 150 }]);
  });

  it('refuses without --yes when stdin is not a terminal, and deletes nothing', async () => {
    const db = databaseWith(300);
    const r = await runCli('db', 'clear', '--db', db, '--before', BEFORE);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `costlens: db clear: stdin is not a terminal, so no one can confirm; add --yes to delete 150 calls that started before ${BEFORE} and ${olderRollups(db)} rollup rows of the hours before it.\n`,
    });
    expect(rows(db, 'SELECT count(*) AS n FROM calls')).toEqual([{ n: 300 }]);
  });

  it.each([
    [
      [],
      'db clear: --before TIME is required: the time before which calls are deleted, like --before 2026-06-01.',
    ],
    [
      ['--before', 'last week'],
      'db clear: --before must be an ISO-8601 time (2026-12-02T10:00:00Z) or epoch milliseconds, got "last week".',
    ],
    [
      ['--before', '2026-06-01', '--force'],
      `db clear: Unknown option '--force'. See 'costlens db clear --help'.`,
    ],
  ])('%j exits 2 with one sentence naming the flag', async (flags, message) => {
    const db = databaseWith(1);
    expect(await runCli('db', 'clear', '--db', db, ...flags)).toEqual({
      code: 2,
      stdout: '',
      stderr: `costlens: ${message}\n`,
    });
  });
});

describe('costlens db vacuum', () => {
  it('gives the space of deleted calls back and loses nothing', async () => {
    const db = databaseWith(2_000);
    expect(
      (await runCli('db', 'clear', '--db', db, '--before', iso(T0 + 30 * HOUR), '--yes')).code,
    ).toBe(0);
    const full = statSync(db).size;
    const kept = rows(
      db,
      'SELECT * FROM rollups_hourly ORDER BY hour, project, user, account, provider, model, call_type, status',
    );
    const info = JSON.parse((await runCli('db', 'info', '--db', db, '--json')).stdout);
    expect(info.free_bytes).toBeGreaterThan(full / 2);
    const r = await runCli('db', 'vacuum', '--db', db);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${db}: \\d+ kB -> \\d+ kB\\n$`));
    expect(statSync(db).size).toBeLessThan(full / 2);
    expect(
      rows(
        db,
        'SELECT * FROM rollups_hourly ORDER BY hour, project, user, account, provider, model, call_type, status',
      ),
    ).toEqual(kept);
  });
});
