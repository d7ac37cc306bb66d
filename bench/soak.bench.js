// Memory under sustained load: one `costlens start` process takes pass after pass
// of fresh 512-span export requests (4 senders) and its resident memory is read
// after each pass. Flat means the last passes hold what the first ones did.
// Run: scripts/run node bench/soak.bench.js   (after npm run build), then node bench/publish.js
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatches, rssMB, sendAll, startCollectorProcess } from './collector-load.js';
import { save } from './lib.js';

const PASSES = Number(process.env.PASSES ?? 12);
const BATCHES = 40;
const BATCH = 512;

const db = join(mkdtempSync(join(tmpdir(), 'costlens-soak-')), 'c.db');
const collector = await startCollectorProcess(db);
const pid = collector.child.pid;
const rss = [rssMB(pid)];
let sent = 0;
let busySeconds = 0;
for (let p = 0; p < PASSES; p++) {
  const batches = makeBatches(BATCHES, BATCH); // fresh ids: every pass is stored, not deduplicated
  const t0 = performance.now();
  await sendAll(collector.port, batches, 4);
  busySeconds += (performance.now() - t0) / 1000;
  sent += BATCHES * BATCH;
  rss.push(rssMB(pid));
}
await collector.stop();
const half = Math.floor(rss.length / 2);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const result = {
  passes: PASSES,
  spans: sent,
  spansPerSec: sent / busySeconds,
  rssMB: rss,
  firstHalfMeanMB: mean(rss.slice(1, half + 1)),
  secondHalfMeanMB: mean(rss.slice(half + 1)),
  dbBytesPerCall: statSync(db).size / sent,
};
const file = save('soak', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
