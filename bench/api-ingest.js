// What the query API's schema costs ingest: end to end into a new database with the
// full schema, and with parts of it dropped, rounds interleaved.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../collector/dist/store/store.js';
import { makeBatches, sendAll, startCollectorProcess } from './collector-load.js';
import { median } from './lib.js';

/**
 * The indexes and triggers the query API adds (store/migrations.ts): v3's, with v5's
 * per-day sort indexes in place of its per-hour ones (an older collector's names are
 * dropped too, so a before/after run compares the same parts).
 */
const SORT_INDEXES = [
  'INDEX calls_day_cost',
  'INDEX calls_day_latency',
  'INDEX calls_hour_cost',
  'INDEX calls_hour_latency',
];
const API_SCHEMA = {
  'the two sort indexes': SORT_INDEXES,
  'every index and trigger of the query API': [
    'INDEX calls_project',
    ...SORT_INDEXES,
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
export async function ingestCost(rounds) {
  const batches = makeBatches(60, 512);
  const once = async (drop) => {
    const path = join(mkdtempSync(join(tmpdir(), 'costlens-api-ingest-')), 'c.db');
    const store = new Store(path);
    // IF EXISTS: an older collector (a before/after run) lacks the newer parts.
    for (const what of drop) store.db.exec(`DROP ${what.replace(' ', ' IF EXISTS ')}`);
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
