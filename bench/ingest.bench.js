// Ingest throughput of the collector, end to end over loopback: 512-span protobuf
// export requests from several concurrent senders to `costlens start`, against
// (a) the ceiling of inserting the same rows into SQLite directly in one process and
// (b) the common naive design: per call, open a connection, insert the row, upsert
// the hourly row, commit. Also bytes per stored call and the collector's RSS under load.
// Run: scripts/run node bench/ingest.bench.js   (after npm run build), then node bench/publish.js
// PROF=1 writes CPU profiles of the collector to /tmp/prof4.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeBatches, rssMB, sendAll, startCollectorProcess } from './collector-load.js';
import { median, save } from './lib.js';

const BATCH = 512;
const BATCHES = 60; // 30,720 spans a round
const SENDERS = 4;
const ROUNDS = Number(process.env.ROUNDS ?? 5);

async function endToEnd(batches) {
  const db = join(mkdtempSync(join(tmpdir(), 'costlens-bench-')), 'c.db');
  const collector = await startCollectorProcess(db);
  const pid = collector.child.pid;
  const rssStart = rssMB(pid);
  const samples = [];
  const sampler = setInterval(() => samples.push(rssMB(pid)), 50);
  const t0 = performance.now();
  await sendAll(collector.port, batches, SENDERS);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const rssEnd = rssMB(pid);
  await collector.stop();
  const check = new Database(db, { readonly: true });
  const { n } = check.prepare('SELECT count(*) n FROM calls').get();
  check.close();
  if (n !== BATCH * BATCHES) throw new Error(`stored ${n} calls, expected ${BATCH * BATCHES}`);
  return {
    spansPerSec: n / seconds,
    bytesPerCall: statSync(db).size / n,
    rssStart,
    rssPeak: Math.max(...samples, rssEnd),
    rssEnd,
    db,
  };
}

/** The rows as the collector stored them, re-inserted raw: one process, one prepared statement, 512 per transaction. */
function rawCeiling(sourceDb) {
  const src = new Database(sourceDb, { readonly: true });
  // The compact rows the collector wrote, in arrival order, with the same table and indexes.
  const rows = src.prepare('SELECT * FROM calls ORDER BY rowid').all();
  const schema = src
    .prepare(
      "SELECT sql FROM sqlite_master WHERE tbl_name = 'calls' AND sql IS NOT NULL ORDER BY type DESC",
    )
    .pluck()
    .all();
  const records = src.prepare('SELECT * FROM call_records LIMIT 2000').all();
  src.close();
  const cols = Object.keys(rows[0]);
  // Named parameters (the published figure since the first run) and positional ones
  // (better-sqlite3's faster binding, the one the collector uses), each on a fresh database.
  const timed = (placeholders, values) => {
    const db = new Database(join(mkdtempSync(join(tmpdir(), 'costlens-raw-')), 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    for (const sql of schema) db.exec(sql);
    const insert = db.prepare(
      `INSERT INTO calls (${cols.join(',')}) VALUES (${cols.map(placeholders).join(',')})`,
    );
    const tx = db.transaction((chunk) => {
      for (const r of chunk) insert.run(r);
    });
    const t0 = performance.now();
    for (let i = 0; i < values.length; i += BATCH) tx(values.slice(i, i + BATCH));
    const perSec = values.length / ((performance.now() - t0) / 1000);
    db.close();
    return perSec;
  };
  const perSec = timed((c) => `@${c}`, rows);
  const positionalPerSec = timed(
    () => '?',
    rows.map((r) => cols.map((c) => r[c])),
  );
  return { perSec, positionalPerSec, records };
}

/** Per call: open, insert the raw row, upsert the hourly row, commit, close. */
function naive(rows) {
  const file = join(mkdtempSync(join(tmpdir(), 'costlens-naive-')), 'naive.db');
  const setup = new Database(file);
  setup.pragma('journal_mode = WAL');
  setup.exec(`CREATE TABLE calls (id TEXT PRIMARY KEY, body TEXT);
    CREATE TABLE hourly (hour INTEGER, project TEXT, model TEXT, calls INTEGER, cost INTEGER, PRIMARY KEY (hour, project, model))`);
  setup.close();
  const t0 = performance.now();
  for (const r of rows) {
    const db = new Database(file);
    db.pragma('synchronous = FULL');
    db.exec('BEGIN');
    db.prepare('INSERT INTO calls VALUES (?, ?)').run(r.id, JSON.stringify(r));
    db.prepare(
      'INSERT INTO hourly VALUES (?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET calls = calls + 1, cost = cost + excluded.cost',
    ).run(Math.floor(r.started_at / 3_600_000), r.project, r.response_model, r.cost_pusd);
    db.exec('COMMIT');
    db.close();
  }
  return rows.length / ((performance.now() - t0) / 1000);
}

const batches = makeBatches(BATCHES, BATCH);
// Each round measures end to end, then the ceiling on the rows it stored, then the
// naive design: on a shared machine the three see the same background load.
const runs = [];
for (let r = 0; r < ROUNDS; r++) {
  const run = await endToEnd(batches);
  const ceiling = rawCeiling(run.db);
  run.raw = ceiling.perSec;
  run.rawPositional = ceiling.positionalPerSec;
  run.naive = naive(ceiling.records);
  runs.push(run);
  console.error(
    `round ${r + 1}: ${Math.round(run.spansPerSec)} spans/s end to end, ${Math.round(run.raw)} raw (${Math.round((100 * run.spansPerSec) / run.raw)}%)`,
  );
}
const e2e = median(runs.map((r) => r.spansPerSec));
const raw = median(runs.map((r) => r.raw));
const rawPositional = median(runs.map((r) => r.rawPositional));
const naiveMedian = median(runs.map((r) => r.naive));
const result = {
  spans: BATCH * BATCHES,
  batchSize: BATCH,
  senders: SENDERS,
  rounds: ROUNDS,
  endToEndSpansPerSec: e2e,
  rawSqliteRowsPerSec: raw,
  naiveCallsPerSec: naiveMedian,
  ratioToRaw: e2e / raw,
  ratioToNaive: e2e / naiveMedian,
  /** End to end over the ceiling of the same round, per round (same background load). */
  ratioToRawByRound: runs.map((r) => r.spansPerSec / r.raw),
  /** The ceiling again with positional parameters, and end to end against it. */
  rawSqlitePositionalRowsPerSec: rawPositional,
  ratioToRawPositional: e2e / rawPositional,
  bytesPerCall: median(runs.map((r) => r.bytesPerCall)),
  rssMB: {
    start: median(runs.map((r) => r.rssStart)),
    peak: median(runs.map((r) => r.rssPeak)),
    end: median(runs.map((r) => r.rssEnd)),
  },
};
const file = save('ingest', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
