// Ingest throughput of the collector, end to end over loopback: 512-span protobuf
// export requests from several concurrent senders to `costlens start`, against
// (a) the ceiling of inserting the same rows into SQLite directly in one process and
// (b) the common naive design: per call, open a connection, insert the row, upsert
// the hourly row, commit. Also bytes per stored call and the collector's RSS under load.
// Run: scripts/run node bench/ingest.bench.js   (after npm run build), then node bench/publish.js
// PROF=1 writes CPU profiles of the collector to /tmp/prof4.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import Database from 'better-sqlite3';
import { median, save } from './lib.js';

const BATCH = 512;
const BATCHES = 60; // 30,720 spans a round
const SENDERS = 4;
const ROUNDS = 3;
const BIN = new URL('../collector/bin/costlens.js', import.meta.url).pathname;

function makeBatches() {
  const out = [];
  for (let b = 0; b < BATCHES; b++) {
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'bench',
        'costlens.project': `p${b % 5}`,
      }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    });
    const tracer = provider.getTracer('@costlens/instrumentation');
    for (let i = 0; i < BATCH; i++) {
      tracer
        .startSpan('chat gpt-4o', {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.response.model': 'gpt-4o-2024-08-06',
            'gen_ai.usage.input_tokens': 1000 + i,
            'gen_ai.usage.output_tokens': 200,
            'costlens.user': `user-${i % 50}`,
          },
        })
        .end();
    }
    out.push(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()));
  }
  return out;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const rssMB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

async function endToEnd(batches) {
  const db = join(mkdtempSync(join(tmpdir(), 'costlens-bench-')), 'c.db');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof4'] : []),
      BIN,
      'start',
      '--port',
      String(port),
      '--db',
      db,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve) =>
    child.stdout.on('data', (d) => d.includes('listening on') && resolve()),
  );
  const rssStart = rssMB(child.pid);
  const samples = [];
  const sampler = setInterval(() => samples.push(rssMB(child.pid)), 50);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < batches.length) {
        const body = batches[next++];
        const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        if (res.status !== 200)
          throw new Error(`export refused: ${res.status} ${await res.text()}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const rssEnd = rssMB(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  const check = new Database(db, { readonly: true });
  const { n } = check.prepare('SELECT count(*) n FROM calls').get();
  check.close();
  if (n !== BATCH * BATCHES) throw new Error(`stored ${n} calls, expected ${BATCH * BATCHES}`);
  const bytes = statSync(db).size;
  return {
    spansPerSec: n / seconds,
    bytesPerCall: bytes / n,
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
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'costlens-raw-')), 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  for (const sql of schema) db.exec(sql);
  const cols = Object.keys(rows[0]);
  const insert = db.prepare(
    `INSERT INTO calls (${cols.join(',')}) VALUES (${cols.map((c) => `@${c}`).join(',')})`,
  );
  const tx = db.transaction((chunk) => {
    for (const r of chunk) insert.run(r);
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) tx(rows.slice(i, i + BATCH));
  const perSec = rows.length / ((performance.now() - t0) / 1000);
  db.close();
  return { perSec, records };
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

const batches = makeBatches();
const runs = [];
for (let r = 0; r < ROUNDS; r++) runs.push(await endToEnd(batches));
const raw = [];
const naiveRuns = [];
for (const run of runs) {
  const ceiling = rawCeiling(run.db);
  raw.push(ceiling.perSec);
  naiveRuns.push(naive(ceiling.records));
}
const e2e = median(runs.map((r) => r.spansPerSec));
const result = {
  spans: BATCH * BATCHES,
  batchSize: BATCH,
  senders: SENDERS,
  rounds: ROUNDS,
  endToEndSpansPerSec: e2e,
  rawSqliteRowsPerSec: median(raw),
  naiveCallsPerSec: median(naiveRuns),
  ratioToRaw: e2e / median(raw),
  ratioToNaive: e2e / median(naiveRuns),
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
