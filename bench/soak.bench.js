// Ten minutes of steady work for one `costlens start` process: exports at a fixed
// rate (fresh ids, so every span is stored) and, beside them, the query API and
// /metrics as a dashboard would read them. Every 30 s it notes the collector's
// resident memory and the latency of both, so a leak or a slowdown shows as a
// trend, not as one number, split into what V8's heap holds and the rest (native:
// SQLite's page caches, the allocator's). Flat memory and stable latency are the result wanted.
// Run: scripts/run node bench/soak.bench.js   (after npm run build; SOAK_SECONDS=60
// for a short try), then node bench/publish.js
import { mkdtempSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { heapMB, makeBatches, residentMB, startCollectorProcess } from './collector-load.js';
import { median, save } from './lib.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const WINDOW_S = 30;
const BATCH = 100; // spans per export request, as a BatchSpanProcessor sends them
const EXPORTS_PER_S = 10; // 1,000 spans/s: steady, well below what the collector absorbs
const SENDERS = 4;
const QUERIES_PER_S = 5;
const QUERIES = [
  '/api/v1/summary',
  '/api/v1/breakdown?by=model',
  '/api/v1/timeseries?granularity=hour&metric=cost',
  '/api/v1/calls?page_size=50&sort=cost',
  '/api/v1/projects',
  '/metrics',
];

const dir = mkdtempSync(join(tmpdir(), 'costlens-soak-'));
const db = join(dir, 'c.db');
const collector = await startCollectorProcess(db, { memoryFile: join(dir, 'memory.json') });
const pid = collector.child.pid;
const base = `http://127.0.0.1:${collector.port}`;
const startMemory = residentMB(pid);
const startHeap = await heapMB(collector);
const start = performance.now();
const end = start + SECONDS * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const fresh = () => ({ ingestMs: [], queryMs: [], byPath: {}, spans: 0, errors: 0 });
let window = fresh();
const windows = [];
let spansTotal = 0;
let queriesTotal = 0;

/** Calls `fn` every `periodMs` on its own schedule (late calls do not shift the next ones). */
async function paced(periodMs, fn) {
  for (let due = performance.now(); due < end; due += periodMs) {
    await sleep(due - performance.now());
    if (performance.now() >= end) return;
    await fn();
  }
}

async function exportOnce() {
  // Built outside the timing: the latency is the collector's, not the SDK's.
  const [body] = makeBatches(1, BATCH);
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body,
  });
  await res.arrayBuffer();
  window.ingestMs.push(performance.now() - t0);
  if (res.status === 200) {
    window.spans += BATCH;
    spansTotal += BATCH;
  } else window.errors++;
}

let q = 0;
async function queryOnce() {
  const path = QUERIES[q++ % QUERIES.length];
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`);
  await res.arrayBuffer();
  const took = performance.now() - t0;
  window.queryMs.push(took);
  window.byPath[path] ??= [];
  window.byPath[path].push(took);
  queriesTotal++;
  if (res.status !== 200) window.errors++;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};

async function report() {
  for (let t = WINDOW_S; start + t * 1000 <= end + 1; t += WINDOW_S) {
    await sleep(start + t * 1000 - performance.now());
    const w = window;
    window = fresh();
    const resident = residentMB(pid);
    const heap = await heapMB(collector);
    const row = {
      atS: t,
      rssMB: resident.rss,
      // Where the resident memory is: anonymous (heaps, SQLite's page caches) or file
      // pages (the node binary); of the anonymous part, the main thread's JS heap as
      // V8 holds it (heapTotal), of which in use (heapUsed), and outside it (external).
      anonMB: resident.anon,
      fileMB: resident.file,
      heapTotalMB: heap?.heapTotal ?? null,
      heapUsedMB: heap?.heapUsed ?? null,
      externalMB: heap?.external ?? null,
      spans: w.spans,
      errors: w.errors,
      ingestP50Ms: median(w.ingestMs),
      ingestP99Ms: pct(w.ingestMs, 99),
      queryP50Ms: median(w.queryMs),
      queryP99Ms: pct(w.queryMs, 99),
      queryP50MsByPath: Object.fromEntries(
        Object.entries(w.byPath).map(([path, xs]) => [path, median(xs)]),
      ),
      // The machine's load: this bench shares it, and a busy machine slows both sides.
      load1: loadavg()[0],
    };
    windows.push(row);
    console.error(JSON.stringify(row));
  }
}

await Promise.all([
  ...Array.from({ length: SENDERS }, (_, i) =>
    sleep((i * 1000) / EXPORTS_PER_S).then(() =>
      paced((1000 * SENDERS) / EXPORTS_PER_S, exportOnce),
    ),
  ),
  paced(1000 / QUERIES_PER_S, queryOnce),
  report(),
]);
await collector.stop();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const firstMin = windows.slice(0, 2);
const lastMin = windows.slice(-2);
const result = {
  seconds: SECONDS,
  windowSeconds: WINDOW_S,
  batch: BATCH,
  exportsPerSec: EXPORTS_PER_S,
  queriesPerSec: QUERIES_PER_S,
  queries: QUERIES,
  spans: spansTotal,
  queriesSent: queriesTotal,
  errors: windows.reduce((a, w) => a + w.errors, 0),
  startRssMB: startMemory.rss,
  startAnonMB: startMemory.anon,
  startHeapTotalMB: startHeap?.heapTotal ?? null,
  windows,
  firstMinute: {
    rssMB: mean(firstMin.map((w) => w.rssMB)),
    anonMB: mean(firstMin.map((w) => w.anonMB)),
    heapTotalMB: mean(firstMin.map((w) => w.heapTotalMB)),
    ingestP50Ms: mean(firstMin.map((w) => w.ingestP50Ms)),
    queryP50Ms: mean(firstMin.map((w) => w.queryP50Ms)),
  },
  lastMinute: {
    rssMB: mean(lastMin.map((w) => w.rssMB)),
    anonMB: mean(lastMin.map((w) => w.anonMB)),
    heapTotalMB: mean(lastMin.map((w) => w.heapTotalMB)),
    ingestP50Ms: mean(lastMin.map((w) => w.ingestP50Ms)),
    queryP50Ms: mean(lastMin.map((w) => w.queryP50Ms)),
  },
  maxRssMB: Math.max(...windows.map((w) => w.rssMB)),
  dbBytesPerCall: statSync(db).size / Math.max(1, spansTotal),
};
const file = save('soak', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
