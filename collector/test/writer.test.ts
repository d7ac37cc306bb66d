import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/records/call-record.js';
import { LatencySketch } from '../src/store/sketch.js';
import { Store } from '../src/store/store.js';
import { type BatchWriter, InlineWriter, openWriter, ThreadWriter } from '../src/store/writer.js';
import { callRecord } from './call-record.js';
import { SOURCE_WRITER_ENTRY, writeRecords } from './support/store.js';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function call(i: number, over: Partial<CallRecord> = {}): CallRecord {
  const trace = (i + 1).toString(16).padStart(32, '0');
  const spanId = (i + 7).toString(16).padStart(16, '0');
  return callRecord({
    id: trace + spanId,
    trace_id: trace,
    span_id: spanId,
    started_at: T0 + i,
    finished_at: T0 + i + 100 + i,
    duration_ms: 100 + i,
    input_tokens: 1000 + i,
    cost_pusd: 3_500_000_000 + i,
    cost_breakdown_pusd: {
      input: 2_500_000_000 + i,
      output: 1_000_000_000,
      cache_read: 0,
      cache_write: 0,
      reasoning: 0,
      media: 0,
    },
    ...over,
  });
}

const opened: { store: Store; writer: BatchWriter }[] = [];
function temp(): { store: Store; writer: BatchWriter } {
  const store = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-writer-')), 'c.db'));
  const writer = openWriter(store, SOURCE_WRITER_ENTRY);
  opened.push({ store, writer });
  return { store, writer };
}
afterEach(async () => {
  for (const { store, writer } of opened.splice(0)) {
    await writer.close();
    store.close();
  }
});

describe('ThreadWriter: export batches stored on a thread of their own', () => {
  it('1. commits a batch, answers with the very records that were new, and the reader sees them', async () => {
    const { store, writer } = temp();
    expect(writer).toBeInstanceOf(ThreadWriter);
    const batch = Array.from({ length: 20 }, (_, i) => call(i));
    const result = await writeRecords(writer, batch);
    expect(result.duplicates).toBe(0);
    expect(result.inserted).toHaveLength(20);
    // The caller's objects, not copies.
    for (const [i, r] of result.inserted.entries()) expect(r).toBe(batch[i]);
    expect(store.db.prepare('SELECT count(*) n FROM calls').get()).toEqual({ n: 20 });
  });

  it('2. a retried export: only the new records come back, nothing is counted twice', async () => {
    const { store, writer } = temp();
    const batch = Array.from({ length: 10 }, (_, i) => call(i));
    await writeRecords(writer, batch);
    const again = [batch[3]!, call(10), batch[7]!, call(11)];
    const result = await writeRecords(writer, again);
    expect(result.duplicates).toBe(2);
    expect(result.inserted).toEqual([again[1], again[3]]);
    expect(result.inserted[0]).toBe(again[1]);
    expect(store.db.prepare('SELECT sum(calls) n FROM rollups_hourly').get()).toEqual({ n: 12 });
  });

  it('3. rollups of a batch of 512 calls with one key equal the sum of the stored records', async () => {
    const { store, writer } = temp();
    const batch = Array.from({ length: 512 }, (_, i) =>
      call(i, i % 10 === 0 ? { status: 'error', error_type: 'Timeout' } : {}),
    );
    await writeRecords(writer, batch);
    // A second request adds to the same rows.
    await writeRecords(
      writer,
      Array.from({ length: 100 }, (_, i) => call(512 + i)),
    );
    const rollups = store.db
      .prepare(
        'SELECT status, calls, failures, input_tokens, cost_pusd, latency FROM rollups_hourly ORDER BY status',
      )
      .all() as {
      status: string;
      calls: number;
      failures: number;
      input_tokens: number;
      cost_pusd: number;
      latency: Uint8Array;
    }[];
    const sums = store.db
      .prepare(
        `SELECT status, count(*) calls, sum(status = 'error') failures, sum(input_tokens) input_tokens,
         sum(cost_pusd) cost_pusd FROM call_records GROUP BY status ORDER BY status`,
      )
      .all();
    expect(rollups.map(({ latency: _, ...r }) => r)).toEqual(sums);
    expect(rollups.map((r) => r.status)).toEqual(['error', 'success']);
    // Every call's latency is in the sketch once.
    const sketches = rollups.map((r) => LatencySketch.decode(r.latency));
    expect(sketches.map((s) => s.count)).toEqual([52, 560]);
    // Exact pico-dollars, and the breakdown columns add up the same way.
    expect(
      store.db.prepare('SELECT sum(cost_input) i, sum(cost_output) o FROM calls').get() as {
        i: number;
        o: number;
      },
    ).toEqual({
      i: Array.from({ length: 612 }, (_, i) => 2_500_000_000 + i).reduce((a, b) => a + b, 0),
      o: 612 * 1_000_000_000,
    });
  });

  it('4. a batch that fails stores nothing and rejects with the SQLite error; the next one is stored', async () => {
    const { store, writer } = temp();
    const bad = call(2, { call_type: null as unknown as 'text' });
    await expect(writeRecords(writer, [call(1), bad])).rejects.toMatchObject({
      message: expect.stringMatching(/NOT NULL/),
      code: 'SQLITE_CONSTRAINT_NOTNULL',
    });
    expect(store.db.prepare('SELECT count(*) n FROM calls').get()).toEqual({ n: 0 });
    await writeRecords(writer, [call(1)]);
    expect(store.db.prepare('SELECT count(*) n FROM calls').get()).toEqual({ n: 1 });
  });

  it('5. batches handed over together are stored in order, and close() waits for them', async () => {
    const { store, writer } = temp();
    const pending = Array.from({ length: 8 }, (_, b) =>
      writeRecords(
        writer,
        Array.from({ length: 64 }, (_, i) => call(b * 64 + i)),
      ),
    );
    const closed = writer.close();
    const results = await Promise.all(pending);
    await closed;
    expect(results.map((r) => r.inserted.length)).toEqual(Array(8).fill(64));
    const order = store.db.prepare('SELECT started_at FROM calls ORDER BY rowid').pluck().all();
    expect(order).toEqual(Array.from({ length: 512 }, (_, i) => T0 + i));
    await expect(writeRecords(writer, [call(999)])).rejects.toThrow(/closed/);
  });

  it('6. an in-memory database is written on the caller thread', async () => {
    const store = new Store(':memory:');
    const writer = openWriter(store);
    expect(writer).toBeInstanceOf(InlineWriter);
    expect((await writeRecords(writer, [call(1)])).inserted).toHaveLength(1);
    store.close();
  });
});
