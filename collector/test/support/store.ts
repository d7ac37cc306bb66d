import type { CallRecord } from '../../src/records/call-record.js';
import { prepareBatch } from '../../src/store/batch.js';
import type { Store } from '../../src/store/store.js';
import type { BatchWriter } from '../../src/store/writer.js';

/** The writer thread's script for tests that run the collector from its sources. */
export const SOURCE_WRITER_ENTRY = new URL('./writer-worker-from-source.mjs', import.meta.url);

export interface Inserted {
  /** The records that were new, in input order. */
  inserted: CallRecord[];
  /** Records that were already stored. */
  duplicates: number;
}

/** Stores records the way the collector does (prepareBatch, one transaction). */
export function insertRecords(store: Store, records: CallRecord[]): Inserted {
  return inserted(records, store.insertPrepared(prepareBatch(records)));
}

/** insertRecords through a writer (its own thread, or inline). */
export async function writeRecords(writer: BatchWriter, records: CallRecord[]): Promise<Inserted> {
  return inserted(records, await writer.insertPrepared(prepareBatch(records)));
}

function inserted(records: CallRecord[], fresh: number[]): Inserted {
  return { inserted: fresh.map((i) => records[i]!), duplicates: records.length - fresh.length };
}
