// The query API at scale: a database of 1 million calls (CALLS=10000000 for ten
// million) over 30 days, filled straight through the store's batch path
// (prepareBatch + insertPrepared, the one ingest uses, so rows and rollups are
// what a running collector holds), then every aggregate endpoint and pages of
// the call list timed over HTTP against `costlens start` (median of repeated
// requests; the first, cold one reported apart), beside the same figures
// computed by scanning the raw calls table with SQL.
// Run: scripts/run npx tsc -b && scripts/run node bench/api.bench.js, then node bench/publish.js
// KEEP=1 keeps the filled database (/tmp/costlens-api-bench-<calls>.db) and reuses it.
// The parts: the calls and the filled database (api-data.js), the call list's pages
// (api-pages.js), the raw scans beside them (api-raw.js) and what the schema costs
// ingest (api-ingest.js).
import { existsSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../collector/dist/store/migrations.js';
import { database } from './api-data.js';
import { ingestCost } from './api-ingest.js';
import { callPages } from './api-pages.js';
import { rawScans } from './api-raw.js';
import { startCollectorProcess } from './collector-load.js';
import { machine, median, save } from './lib.js';

const CALLS = Number(process.env.CALLS ?? 1_000_000);
const DAYS = 30;
const RUNS = Number(process.env.RUNS ?? 15);
const DAY_MS = 86_400_000;

/** The first request (cold) and the median of RUNS more, in ms. */
async function timed(url) {
  const once = async () => {
    const t0 = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body}`);
    return { ms: performance.now() - t0, body };
  };
  const first = await once();
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push((await once()).ms);
  return { firstMs: first.ms, medianMs: median(times), json: JSON.parse(first.body) };
}

const { path, fillSeconds } = database({ calls: CALLS, days: DAYS });
const collector = await startCollectorProcess(path);
// A failed run must not leave the collector behind.
process.on('exit', () => collector.child.kill());
const base = `http://127.0.0.1:${collector.port}/api/v1`;
const results = {};
const record = async (name, query) => {
  const r = await timed(`${base}${query}`);
  results[name] = { firstMs: r.firstMs, medianMs: r.medianMs };
  console.error(
    `${name.padEnd(44)} first ${r.firstMs.toFixed(1).padStart(7)} ms, median ${r.medianMs.toFixed(1).padStart(6)} ms`,
  );
  return r.json;
};

// The last 24 hours, fixed at the start so every request asks for the same calls.
const END = Date.now();
const DAY = `from=${END - DAY_MS}&to=${END}`;
const WEEK = `from=${END - 7 * DAY_MS}&to=${END}`;
const summary = await record('summary', `/summary?${DAY}`);
for (const by of [
  'model',
  'project',
  'user',
  'account',
  'provider',
  'call_type',
  'status',
  'error_type',
]) {
  await record(`breakdown by ${by}`, `/breakdown?by=${by}&${DAY}`);
}
await record('timeseries cost, hourly', `/timeseries?metric=cost&${DAY}`);
await record('timeseries latency_p95, hourly', `/timeseries?metric=latency_p95&${DAY}`);
await record('timeseries calls by model, hourly', `/timeseries?metric=calls&group_by=model&${DAY}`);
await record('projects', `/projects?${DAY}`);
await record('one project', `/projects/proj-3?${DAY}`);
// The usage page opens on 7 days.
await record('summary, 7 days', `/summary?${WEEK}`);
await record('breakdown by model, 7 days', `/breakdown?by=model&${WEEK}`);
await record('timeseries cost, hourly, 7 days', `/timeseries?metric=cost&${WEEK}`);
await record('projects, 7 days', `/projects?${WEEK}`);
await record(
  'timeseries cost, daily, 30 days',
  `/timeseries?metric=cost&granularity=day&from=${END - 30 * DAY_MS}&to=${END}`,
);
await record('info', '/info');

const pages = await callPages(record, base, END);

/** The export of the day, streamed, in an order: its rows and seconds. */
async function exported(query) {
  const t0 = performance.now();
  const csv = await (await fetch(`${base}/export?${DAY}${query}`)).text();
  const seconds = (performance.now() - t0) / 1000;
  const rows = csv.split('\r\n').length - 2;
  return { rows, seconds, rowsPerSec: rows / seconds };
}
const exportByTime = await exported('');
const exportByCost = await exported('&sort=cost');
await collector.stop();

const raw = rawScans(path, END - DAY_MS, END, RUNS);
const ingest = await ingestCost(Number(process.env.INGEST_ROUNDS ?? 3));
console.error('ingest, spans/s:', JSON.stringify(ingest));
const dbBytes = statSync(path).size;
const aggregates = Object.keys(results).filter((k) => !k.startsWith('calls by'));
const run = {
  calls: CALLS,
  days: DAYS,
  runs: RUNS,
  dbBytes,
  fillSeconds,
  fillCallsPerSec: fillSeconds === null ? null : CALLS / fillSeconds,
  windowCalls: summary.calls,
  rollupRowsPerDay: (() => {
    const db = new Database(path, { readonly: true });
    const n = db
      .prepare('SELECT count(*) n FROM rollups_hourly WHERE hour >= ? AND hour < ?')
      .get(END - DAY_MS, END).n;
    db.close();
    return n;
  })(),
  endpoints: results,
  raw,
  pages,
  export: exportByTime,
  exportByCost,
  slowestAggregateMedianMs: Math.max(...aggregates.map((k) => results[k].medianMs)),
  slowestPageMedianMs: Math.max(
    ...Object.keys(results)
      .filter((k) => k.startsWith('calls by'))
      .map((k) => results[k].medianMs),
  ),
};
// One file for every scale measured: this run replaces its own scale's entry.
const file = new URL('./results/api.json', import.meta.url);
const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { scales: {} };
const scales = { ...previous.scales, [CALLS]: { machine: machine(), ...run } };
console.log(JSON.stringify(run, null, 2));
console.log(
  `wrote ${save('api', { schema: SCHEMA_VERSION, scales, ingestSpansPerSec: ingest }).pathname}`,
);
