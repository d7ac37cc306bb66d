// The query API at scale: a database of 1 million calls (CALLS=10000000 for ten
// million) over 30 days, filled straight through the store's batch path
// (prepareBatch + insertPrepared, the one ingest uses, so rows and rollups are
// what a running collector holds), then every aggregate endpoint and pages of
// the call list timed over HTTP against `costlens start` (median of repeated
// requests; the first, cold one reported apart), beside the same figures
// computed by scanning the raw calls table with SQL.
// Run: scripts/run npx tsc -b && scripts/run node bench/api.bench.js, then node bench/publish.js
// KEEP=1 keeps the filled database (/tmp/costlens-api-bench-<calls>.db) and reuses it.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prepareBatch } from '../collector/dist/store/batch.js';
import { Store } from '../collector/dist/store/store.js';
import { makeBatches, sendAll, startCollectorProcess } from './collector-load.js';
import { machine, median, save } from './lib.js';

const CALLS = Number(process.env.CALLS ?? 1_000_000);
const DAYS = 30;
const RUNS = Number(process.env.RUNS ?? 15);
const DAY_MS = 86_400_000;

// ---- the calls --------------------------------------------------------------

const HOUR_MS = 3_600_000;

/** A small deterministic generator (mulberry32): the same seed fills the same database. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXT_MODELS = [
  ['openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
  ['openai', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
  ['openai', 'o3', 'o3-2025-04-16'],
  ['anthropic', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'],
  ['anthropic', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001'],
  ['gcp.gemini', 'gemini-2.5-pro', 'gemini-2.5-pro'],
  ['gcp.gemini', 'gemini-2.5-flash', 'gemini-2.5-flash'],
];
const EMBEDDING = ['openai', 'text-embedding-3-small', 'text-embedding-3-small'];
const IMAGE = ['openai', 'gpt-image-1', 'gpt-image-1'];
const VIDEO = ['gcp.gemini', 'veo-3.0-generate-001', 'veo-3.0-generate-001'];
const ERRORS = ['RateLimitError', 'APIConnectionError', 'InternalServerError', 'BadRequestError'];

/** Lognormal milliseconds around `median`. */
function lognormal(rand, median, sigma) {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/**
 * Call `i` of `n`, spread evenly over [start, start + spanMs): each user keeps to
 * three text models, 4% of calls fail, 3% are unpriced, failures without usage cost $0.
 */
function makeCall(i, n, start, spanMs, rand) {
  const started = start + Math.floor((i / n) * spanMs) + Math.floor(rand() * (spanMs / n));
  const u = Math.floor(rand() * 200);
  const project = `proj-${u % 10}`;
  const kind = rand();
  let model;
  let callType;
  let operation;
  if (kind < 0.88) {
    model = TEXT_MODELS[(u + Math.floor(rand() * 3)) % TEXT_MODELS.length];
    callType = 'text';
    operation = 'chat';
  } else if (kind < 0.93) {
    model = EMBEDDING;
    callType = 'embedding';
    operation = 'embeddings';
  } else if (kind < 0.97) {
    model = IMAGE;
    callType = 'image';
    operation = 'image_generation';
  } else {
    model = VIDEO;
    callType = 'video';
    operation = 'video_generation';
  }
  const failed = rand() < 0.04;
  const noUsage = failed && rand() < 0.7;
  const input = noUsage ? null : 200 + Math.floor(rand() * 4000);
  const output = noUsage || callType !== 'text' ? null : 20 + Math.floor(rand() * 800);
  const unpriced = !noUsage && rand() < 0.03;
  const duration =
    callType === 'video'
      ? lognormal(rand, 60_000, 0.4)
      : callType === 'image'
        ? lognormal(rand, 8_000, 0.4)
        : lognormal(rand, 800, 0.8);
  const cost = noUsage ? 0 : unpriced ? null : 1_000_000 + Math.floor(rand() * 40_000_000_000);
  const hex = i.toString(16);
  return {
    id: hex.padStart(32, '0') + hex.padStart(16, '0'),
    trace_id: hex.padStart(32, '0'),
    span_id: hex.padStart(16, '0'),
    started_at: started,
    finished_at: started + Math.round(duration),
    duration_ms: Math.round(duration * 1000) / 1000,
    ttft_ms: callType === 'text' ? Math.round(duration * 300) / 1000 : null,
    service: `svc-${u % 4}`,
    project,
    user: `user-${String(u).padStart(3, '0')}`,
    account: `acct-${u % 20}`,
    provider: model[0],
    operation,
    call_type: callType,
    request_model: model[1],
    response_model: failed ? null : model[2],
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: input !== null && rand() < 0.3 ? Math.floor(input / 2) : null,
    cache_write_tokens: null,
    cache_write_1h_tokens: null,
    reasoning_tokens: model[1] === 'o3' && output !== null ? Math.floor(output / 2) : null,
    image_count: callType === 'image' ? 1 + Math.floor(rand() * 3) : null,
    image_size: callType === 'image' ? '1024x1024' : null,
    image_resolution: null,
    image_quality: callType === 'image' ? 'medium' : null,
    video_seconds: callType === 'video' ? 4 + Math.floor(rand() * 5) : null,
    video_resolution: callType === 'video' ? '720p' : null,
    video_audio: callType === 'video' ? true : null,
    aspect_ratio: null,
    status: failed ? 'error' : 'success',
    error_type: failed ? ERRORS[Math.floor(rand() * ERRORS.length)] : null,
    error_message: failed ? 'the provider answered with an error' : null,
    retry_count: failed ? 1 : 0,
    cost_pusd: cost,
    cost_breakdown_pusd: null,
    pricing_source: noUsage ? 'not billed' : unpriced ? null : 'bench',
    unpriced_reason: unpriced ? 'unknown model "x" in catalogue bench' : null,
    prompt: null,
    output_path: null,
    attributes: null,
  };
}

/**
 * Fills `store` with `n` calls over the `days` before `end` (in time order, as
 * they would arrive), `batch` per transaction. Reports progress through `log`.
 */
function fill(store, { n, days, end, batch = 10_000, seed = 1, log = () => {} }) {
  const rand = random(seed);
  const spanMs = days * 24 * HOUR_MS;
  const start = end - spanMs;
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const records = [];
    for (let j = i; j < Math.min(n, i + batch); j++)
      records.push(makeCall(j, n, start, spanMs, rand));
    store.insertPrepared(prepareBatch(records));
    if ((i / batch) % 50 === 49) {
      const s = (performance.now() - t0) / 1000;
      log(`${(i + batch).toLocaleString('en')} calls in ${s.toFixed(0)} s`);
    }
  }
  return (performance.now() - t0) / 1000;
}

// ---- the database -----------------------------------------------------------

/**
 * A filled database: a new temporary one, or with KEEP=1 the kept one when it holds
 * CALLS calls (its fill time kept beside it).
 */
function database() {
  const path = process.env.KEEP
    ? join(tmpdir(), `costlens-api-bench-${CALLS}.db`)
    : join(mkdtempSync(join(tmpdir(), 'costlens-api-bench-')), 'c.db');
  const sidecar = `${path}.fill.json`;
  if (existsSync(path)) {
    const db = new Database(path, { readonly: true });
    const { n } = db.prepare('SELECT count(*) n FROM calls').get();
    db.close();
    if (n !== CALLS) throw new Error(`${path} holds ${n} calls, not ${CALLS}: remove it`);
    const kept = existsSync(sidecar) ? JSON.parse(readFileSync(sidecar, 'utf8')) : {};
    return { path, fillSeconds: kept.fillSeconds ?? null };
  }
  const store = new Store(path);
  // Filling only: what a 200 means for a live collector does not matter here.
  store.db.pragma('synchronous = OFF');
  const fillSeconds = fill(store, {
    n: CALLS,
    days: DAYS,
    end: Date.now(),
    log: (line) => console.error(line),
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  if (process.env.KEEP) writeFileSync(sidecar, JSON.stringify({ fillSeconds }));
  return { path, fillSeconds };
}

// ---- timing -----------------------------------------------------------------

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

/** The median of RUNS timings of fn(), in ms (raw SQL on its own connection). */
function timedSql(fn) {
  fn();
  const times = [];
  for (let i = 0; i < Math.min(RUNS, 7); i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

// ---- the raw scans: the same figures from the calls table -------------------

function rawScans(path, from, to) {
  const db = new Database(path, { readonly: true });
  const id = (v) => db.prepare('SELECT id FROM strings WHERE value = ?').pluck().get(v) ?? -1;
  const error = id('error');
  const w = 'started_at >= @from AND started_at < @to';
  const p = { from, to, error };
  const pct = (sorted, q) => sorted[Math.floor(q * (sorted.length - 1))];
  const sums = `count(*) calls, sum(status = @error) failed, sum(cost_pusd IS NULL) unpriced,
    sum(cost_pusd) cost, sum(input_tokens) input, sum(output_tokens) output,
    sum(cache_read_tokens) cache_read, sum(cache_write_tokens) cache_write,
    sum(reasoning_tokens) reasoning, total(duration_us) duration, max(started_at) last`;
  const grouped = (key) => () => {
    const rows = db.prepare(`SELECT ${key} k, ${sums} FROM calls WHERE ${w} GROUP BY k`).all(p);
    const durations = db
      .prepare(`SELECT ${key} k, duration_us d FROM calls WHERE ${w} ORDER BY k, d`)
      .raw()
      .all(p);
    return { rows: rows.length, durations: durations.length };
  };
  const out = {
    summary: timedSql(() => {
      db.prepare(
        `SELECT ${sums}, sum(image_count) images, total(video_seconds) video,
         count(DISTINCT coalesce(response_model, request_model)) models, count(DISTINCT user) users,
         count(DISTINCT account) accounts, count(DISTINCT project) projects FROM calls WHERE ${w}`,
      ).get(p);
      const d = db
        .prepare(`SELECT duration_us FROM calls WHERE ${w} ORDER BY duration_us`)
        .pluck()
        .all(p);
      return [pct(d, 0.5), pct(d, 0.95), pct(d, 0.99)];
    }),
    'breakdown by model': timedSql(grouped('coalesce(response_model, request_model)')),
    'breakdown by user': timedSql(grouped('user')),
    'breakdown by error_type': timedSql(grouped('error_type')),
    projects: timedSql(grouped('project')),
    'timeseries cost, hourly': timedSql(() =>
      db
        .prepare(`SELECT started_at / 3600000 h, sum(cost_pusd) FROM calls WHERE ${w} GROUP BY h`)
        .all(p),
    ),
    'calls, newest first, page 1 (with total)': timedSql(() => {
      db.prepare(`SELECT count(*) FROM calls WHERE ${w}`).get(p);
      return db
        .prepare(`SELECT * FROM call_records WHERE ${w} ORDER BY started_at DESC LIMIT 20`)
        .all(p);
    }),
    'calls by cost, page 1 (with total)': timedSql(() => {
      db.prepare(`SELECT count(*) FROM calls WHERE ${w}`).get(p);
      return db
        .prepare(`SELECT * FROM call_records WHERE ${w} ORDER BY cost_pusd DESC LIMIT 20`)
        .all(p);
    }),
  };
  db.close();
  return out;
}

// ---- what the query API's schema costs ingest ----------------------------------

/** The indexes and triggers schema v3 adds for the query API (store/migrations.ts). */
const API_SCHEMA = {
  'the two per-hour sort indexes': ['INDEX calls_hour_cost', 'INDEX calls_hour_latency'],
  'every index and trigger of v3': [
    'INDEX calls_project',
    'INDEX calls_hour_cost',
    'INDEX calls_hour_latency',
    'INDEX calls_errors',
    'INDEX rollups_project',
    'TRIGGER rollups_inserted',
    'TRIGGER rollups_updated',
    'TRIGGER rollups_deleted',
  ],
};

/**
 * Ingest end to end (60 export requests of 512 spans from 4 senders, as in
 * ingest.bench.js) into a new database with the full schema, and with parts of the
 * query API's schema dropped; rounds interleaved, medians in spans/s.
 */
async function ingestCost(rounds) {
  const batches = makeBatches(60, 512);
  const once = async (drop) => {
    const path = join(mkdtempSync(join(tmpdir(), 'costlens-api-ingest-')), 'c.db');
    const store = new Store(path);
    for (const what of drop) store.db.exec(`DROP ${what}`);
    store.close();
    const c = await startCollectorProcess(path);
    const t0 = performance.now();
    await sendAll(c.port, batches, 4);
    const perSec = (60 * 512) / ((performance.now() - t0) / 1000);
    await c.stop();
    return perSec;
  };
  const variants = {
    'full schema': [],
    ...Object.fromEntries(Object.keys(API_SCHEMA).map((k) => [k, []])),
  };
  for (let r = 0; r < rounds; r++) {
    variants['full schema'].push(await once([]));
    for (const [name, drop] of Object.entries(API_SCHEMA)) variants[name].push(await once(drop));
  }
  return Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, median(v)]));
}

// ---- the run ------------------------------------------------------------------

const { path, fillSeconds } = database();
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

/**
 * Walks a sort as a client would, 500 calls a page, to take the cursor of the middle
 * page; then 20 a page over the last 500 for the cursor of the last page.
 */
async function cursorsOf(sort, total) {
  const page = async (size, cursor) =>
    (
      await fetch(
        `${base}/calls?sort=${sort}&page_size=${size}&${DAY}${cursor ? `&cursor=${cursor}` : ''}`,
      )
    ).json();
  let cursor;
  let seen = 0;
  let middle;
  for (;;) {
    const p = await page(500, cursor);
    seen += p.calls.length;
    if (p.next_cursor === null) break;
    cursor = p.next_cursor;
    if (middle === undefined && seen >= total / 2) middle = cursor;
  }
  // `cursor` now opens the last 500: walk them 20 at a time to the last page's cursor.
  let last = cursor;
  for (let c = cursor; c; ) {
    const p = await page(20, c);
    if (p.next_cursor === null) break;
    last = p.next_cursor;
    c = p.next_cursor;
  }
  return { middle, last };
}

const pages = {};
for (const sort of ['time', 'cost', 'latency']) {
  const first = await record(`calls by ${sort}: page 1`, `/calls?sort=${sort}&${DAY}`);
  const total = first.total;
  const lastPage = Math.ceil(total / 20);
  await record(
    `calls by ${sort}: middle page by number`,
    `/calls?sort=${sort}&${DAY}&page=${Math.ceil(lastPage / 2)}`,
  );
  await record(
    `calls by ${sort}: last page by number`,
    `/calls?sort=${sort}&${DAY}&page=${lastPage}`,
  );
  const t0 = performance.now();
  const cursors = await cursorsOf(sort, total);
  const walkSeconds = (performance.now() - t0) / 1000;
  await record(
    `calls by ${sort}: middle page by cursor`,
    `/calls?sort=${sort}&${DAY}&cursor=${cursors.middle}`,
  );
  await record(
    `calls by ${sort}: last page by cursor`,
    `/calls?sort=${sort}&${DAY}&cursor=${cursors.last}`,
  );
  pages[sort] = { total, walkSeconds, walkPages: Math.ceil(total / 500) };
}

// The export of the day, streamed.
const t0 = performance.now();
const csv = await (await fetch(`${base}/export?${DAY}`)).text();
const exportSeconds = (performance.now() - t0) / 1000;
const exportRows = csv.split('\r\n').length - 2;
await collector.stop();

const raw = rawScans(path, END - DAY_MS, END);
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
  export: { rows: exportRows, seconds: exportSeconds, rowsPerSec: exportRows / exportSeconds },
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
console.log(`wrote ${save('api', { scales, ingestSpansPerSec: ingest }).pathname}`);
