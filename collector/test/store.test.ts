import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/records/call-record.js';
import { migrate, SCHEMA_VERSION } from '../src/store/migrations.js';
import { Queries } from '../src/store/queries.js';
import { LatencySketch } from '../src/store/sketch.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { insertRecords } from './support/store.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function call(i: number, over: Partial<CallRecord> = {}): CallRecord {
  const trace = i.toString(16).padStart(32, '0');
  const spanId = (i + 1).toString(16).padStart(16, '0');
  const started = T0 + i * 1000;
  return callRecord({
    id: trace + spanId,
    trace_id: trace,
    span_id: spanId,
    started_at: started,
    finished_at: started + 800,
    user: `u${i % 3}`,
    ...over,
  });
}

const open: Store[] = [];
function tempStore(): Store {
  const s = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-store-')), 'costlens.db'));
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const rollupTotals = (s: Store) =>
  s.db
    .prepare(
      'SELECT sum(calls) calls, sum(failures) failures, sum(unpriced) unpriced, sum(input_tokens) input, sum(cost_pusd) cost FROM rollups_hourly',
    )
    .get();
const callTotals = (s: Store) =>
  s.db
    .prepare(
      "SELECT count(*) calls, sum(status = 'error') failures, sum(cost_pusd IS NULL) unpriced, sum(input_tokens) input, sum(cost_pusd) cost FROM call_records",
    )
    .get();

describe('Store', () => {
  it('1. opens a new file in WAL mode at the current schema version', () => {
    const s = tempStore();
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.prepare('SELECT max(version) v FROM schema_migrations').get()).toEqual({
      v: SCHEMA_VERSION,
    });
  });

  it('2. stores a batch and keeps rollups equal to the sum of the records', () => {
    const s = tempStore();
    const batch = [
      ...Array.from({ length: 50 }, (_, i) => call(i)),
      call(50, { status: 'error', error_type: 'RateLimitError', cost_pusd: 0 }),
      call(51, {
        cost_pusd: null,
        unpriced_reason: 'unknown model',
        response_model: 'x-1',
      }),
      call(52, { started_at: T0 + 2 * HOUR }),
    ];
    expect(insertRecords(s, batch)).toEqual({ inserted: batch, duplicates: 0 });
    expect(rollupTotals(s)).toEqual(callTotals(s));
    expect(callTotals(s)).toEqual({
      calls: 53,
      failures: 1,
      unpriced: 1,
      input: 53_000,
      cost: 51 * 3_500_000_000,
    });
    const hours = s.db.prepare('SELECT DISTINCT hour FROM rollups_hourly ORDER BY hour').all();
    expect(hours).toEqual([{ hour: T0 }, { hour: T0 + 2 * HOUR }]);
  });

  it("2a. sums a batch's costs exactly, past what a double holds (2^53 pico-dollars)", () => {
    const s = tempStore();
    const each = 8_999_999_999_999_999; // $8,999.99…, odd: a double cannot hold three of them summed
    insertRecords(
      s,
      [1, 2, 3].map((i) => call(i, { cost_pusd: each })),
    );
    const sum = s.db
      .prepare('SELECT sum(cost_pusd) FROM rollups_hourly')
      .pluck()
      .safeIntegers()
      .get();
    expect(sum).toBe(3n * BigInt(each));
  });

  it('2b. reads back through call_records exactly what was written, every column', () => {
    const s = tempStore();
    const full = call(7, {
      ttft_ms: 123.456,
      account: 'acme',
      cache_read_tokens: 10,
      cache_write_tokens: 20,
      cache_write_1h_tokens: 30,
      reasoning_tokens: 5,
      image_count: 2,
      image_size: '1024x1536',
      image_resolution: '2K',
      image_quality: 'high',
      video_seconds: 8,
      video_resolution: '1080p',
      video_audio: true,
      aspect_ratio: '16:9',
      status: 'error',
      error_type: 'APIError',
      error_message: 'boom',
      retry_count: 2,
      cost_pusd: 250_000_000_000,
      cost_breakdown_pusd: {
        input: 10_000_000_000,
        output: 20_000_000_000,
        cache_read: 30_000_000_000,
        cache_write: 40_000_000_000,
        reasoning: 50_000_000_000,
        media: 100_000_000_000,
      },
      unpriced_reason: null,
      prompt: 'hi',
      output_path: '/tmp/x.png',
      attributes: '{"a":1}',
    });
    insertRecords(s, [full]);
    const back = s.db.prepare('SELECT * FROM call_records').get() as Record<string, unknown>;
    const { cost_breakdown_pusd: _b, ...rest } = full;
    expect(back).toEqual({
      ...rest,
      video_audio: 1,
      // Money leaves the store in USD here, once, from the stored pico-dollars.
      cost_usd: 0.25,
      cost_breakdown: JSON.stringify({
        input: 0.01,
        output: 0.02,
        cache_read: 0.03,
        cache_write: 0.04,
        reasoning: 0.05,
        media: 0.1,
      }),
      cost_input: 10_000_000_000,
      cost_output: 20_000_000_000,
      cost_cache_read: 30_000_000_000,
      cost_cache_write: 40_000_000_000,
      cost_reasoning: 50_000_000_000,
      cost_media: 100_000_000_000,
    });
  });

  it('3. a retried export changes nothing: not the records, not the rollups', () => {
    const s = tempStore();
    const batch = Array.from({ length: 20 }, (_, i) => call(i));
    insertRecords(s, batch);
    const before = s.db.prepare('SELECT * FROM rollups_hourly ORDER BY user').all();
    const again = insertRecords(s, [...batch.slice(5), call(20)]);
    expect(again.duplicates).toBe(15);
    expect(again.inserted.map((r) => r.id)).toEqual([call(20).id]);
    const after = s.db.prepare('SELECT * FROM rollups_hourly ORDER BY user').all() as {
      calls: number;
    }[];
    expect(after.reduce((n, r) => n + r.calls, 0)).toBe(21);
    expect(rollupTotals(s)).toEqual(callTotals(s));
    expect(before.length).toBe(after.length);
  });

  it('4. a batch that fails half-way leaves nothing behind', () => {
    const s = tempStore();
    const bad = call(2, { call_type: null as unknown as 'text' });
    expect(() => insertRecords(s, [call(1), bad])).toThrow(/NOT NULL/);
    expect(callTotals(s)).toMatchObject({ calls: 0 });
    expect(s.db.prepare('SELECT count(*) n FROM rollups_hourly').get()).toEqual({ n: 0 });
  });

  it('5. retention removes old raw calls in chunks and keeps the rollups', () => {
    const s = tempStore();
    insertRecords(
      s,
      Array.from({ length: 30 }, (_, i) => call(i, { started_at: T0 - (30 - i) * HOUR })),
    );
    const rollupsBefore = rollupTotals(s);
    expect(s.pruneCalls(T0 - 10 * HOUR, 8)).toBe(8);
    let removed = 8;
    for (let n = 8; n === 8; removed += n) n = s.pruneCalls(T0 - 10 * HOUR, 8);
    expect(removed).toBe(20);
    expect(s.db.prepare('SELECT min(started_at) t, count(*) n FROM call_records').get()).toEqual({
      t: T0 - 10 * HOUR,
      n: 10,
    });
    expect(rollupTotals(s)).toEqual(rollupsBefore);
  });

  it('6. refuses a database from a newer costlens', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      'future',
      0,
    );
    expect(() => migrate(db)).toThrow(
      `the database is at schema version ${SCHEMA_VERSION + 1}, newer than this costlens`,
    );
    expect(migrate(new Database(':memory:'))).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('6b. a database made by an earlier costlens gets the current call_records view', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'costlens-store-')), 'old.db');
    const old = new Database(path);
    migrate(old);
    old.exec('DROP VIEW call_records; CREATE VIEW call_records AS SELECT cost_pusd FROM calls');
    old.close();
    const s = new Store(path);
    open.push(s);
    insertRecords(s, [
      call(1, {
        cost_breakdown_pusd: {
          input: 1e9,
          output: 2e9,
          cache_read: 0,
          cache_write: 0,
          reasoning: 0,
          media: 0,
        },
      }),
    ]);
    expect(s.db.prepare('SELECT cost_usd, cost_breakdown FROM call_records').get()).toEqual({
      cost_usd: 0.0035,
      cost_breakdown:
        '{"input":0.001,"output":0.002,"cache_read":0.0,"cache_write":0.0,"reasoning":0.0,"media":0.0}',
    });
  });

  it('6c. upgrades a database an earlier costlens (schema 4) left: its calls kept, the per-day indexes built and read', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'costlens-store-')), 'v4.db');
    const filled = new Store(path);
    insertRecords(filled, [
      call(1, { cost_pusd: 7 }),
      call(2, { cost_pusd: null }),
      call(3, { cost_pusd: 900 }),
      call(4, { cost_pusd: 7 }),
    ]);
    filled.close();
    // Back to schema 4 (version 5 only swaps indexes), checked against a new database migrated to 4.
    const old = new Database(path);
    old.exec(`DROP INDEX calls_day_cost; DROP INDEX calls_day_latency;
      CREATE INDEX calls_hour_cost ON calls (started_at / 3600000, cost_pusd, started_at);
      CREATE INDEX calls_hour_latency ON calls (started_at / 3600000, duration_us, started_at);
      DELETE FROM schema_migrations WHERE version = 5`);
    const v4 = new Database(':memory:');
    expect(migrate(v4, 4)).toEqual([1, 2, 3, 4]);
    const schema = (db: Database.Database) =>
      db
        .prepare(
          "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all();
    expect(schema(old)).toEqual(schema(v4));
    old.close();

    const s = new Store(path);
    open.push(s);
    expect(
      s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(callTotals(s)).toEqual({ calls: 4, failures: 0, unpriced: 1, input: 4000, cost: 914 });
    expect(
      s.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE name LIKE 'calls_%our_%' OR name LIKE 'calls_day_%'",
        )
        .pluck()
        .all()
        .sort(),
    ).toEqual(['calls_day_cost', 'calls_day_latency']);
    const plan = s.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT rowid FROM calls WHERE started_at / 86400000 = ?
         AND cost_pusd IS NOT NULL ORDER BY cost_pusd DESC, started_at DESC`,
      )
      .all(0)
      .map((r) => (r as { detail: string }).detail);
    expect(plan.join(' ')).toContain('calls_day_cost');
    const list = new Queries(s.db).list(
      { from: T0 - HOUR, to: T0 + HOUR },
      { sort: 'cost', desc: true, limit: 10 },
    );
    // Priced by cost, ties by start time (newest first), the unpriced call last.
    expect(list.rows.map((r) => [r.cost_pusd, r.started_at - T0])).toEqual([
      [900, 3000],
      [7, 4000],
      [7, 1000],
      [null, 2000],
    ]);
  });

  it('7. says whether it is ready: null while the database answers, why not once it does not', () => {
    const s = tempStore();
    expect(s.unready()).toBeNull();
    s.close();
    open.splice(open.indexOf(s), 1);
    expect(s.unready()).toMatch(/not open/);
  });
});

describe('LatencySketch', () => {
  it('keeps p50/p95/p99 within 1% of the exact percentile, merged from parts', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values = Array.from({ length: 20_000 }, () => 20 + rand() ** 3 * 30_000);
    const parts = [new LatencySketch(), new LatencySketch(), new LatencySketch()];
    for (const [i, v] of values.entries()) parts[i % 3]!.add(v);
    const merged = LatencySketch.decode(parts[0]!.encode())
      .merge(parts[1]!)
      .merge(LatencySketch.decode(parts[2]!.encode()));
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
      expect(Math.abs(merged.quantile(q)! - exact) / exact).toBeLessThan(0.01);
    }
    expect(merged.count).toBe(20_000);
    expect(new LatencySketch().quantile(0.5)).toBeNull();
  });
});
