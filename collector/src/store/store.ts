import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CallRecord } from '../records/call-record.js';
import {
  CALL_COLUMNS,
  col,
  DURATION_MS,
  GROUP,
  ID_BYTES,
  type PreparedBatch,
  ROLLUP_KEY,
  STRING_COLUMNS,
  TEXT_COLUMNS,
  USAGE_AT,
  USAGE_COLUMNS,
  WIDTH,
} from './batch.js';
import { migrate } from './migrations.js';
import { type CallRow, RECORD_COLUMNS, recordOf } from './read.js';
import { LatencySketch } from './sketch.js';

/** Strings remembered per store before the cache starts over (the table keeps them all). */
const STRING_CACHE_LIMIT = 100_000;

/** The rollup's counts: the calls, then the usage counts (USAGE_COLUMNS order). */
const COUNT_SUMS = ['calls', 'failures', 'unpriced', ...USAGE_COLUMNS.map(([, sum]) => sum)];
/** Every sum of a rollup row: the counts, then the cost in pico-dollars. */
const ROLLUP_SUMS = [...COUNT_SUMS, 'cost_pusd'];
/** The largest integer SQLite holds; a larger sum is bound as a real rather than fail the batch. */
const INT64_MAX = 2n ** 63n - 1n;
const CALLS = 0;
const FAILURES = 1;
const UNPRICED = 2;
const FIRST_USAGE = 3;

const TEXT_AT = TEXT_COLUMNS.map(col);
const STRING_AT = CALL_COLUMNS.flatMap((c, i) => (STRING_COLUMNS.has(c) ? [i] : []));
const NUMBER_AT = CALL_COLUMNS.flatMap((c, i) =>
  i < 2 || STRING_COLUMNS.has(c) || (TEXT_COLUMNS as readonly string[]).includes(c) ? [] : [i],
);
const COST = col('cost_pusd');

/**
 * The SQLite store: one record per call, idempotent on (trace_id, span_id), and
 * hourly rollups kept in step in the same transaction.
 */
export class Store {
  readonly db: Database.Database;
  readonly path: string;
  readonly #insertCall: Database.Statement;
  readonly #encloses: Database.Statement;
  readonly #isStored: Database.Statement;
  readonly #getRollup: Database.Statement;
  readonly #upsertRollup: Database.Statement;
  readonly #insertBatch: (batch: PreparedBatch) => number[];
  readonly #prune: Database.Statement;
  readonly #addString: Database.Statement;
  readonly #getString: Database.Statement;
  readonly #ready: Database.Statement;
  readonly #allCalls: Database.Statement;
  readonly #strings = new Map<string, number>();

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a 200 to the exporter means the records survive a power cut, not only a crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.#insertCall = this.db.prepare(
      // ON CONFLICT on the ids, not OR IGNORE: only a repeated span is skipped; any other violation fails the batch.
      `INSERT INTO calls (${CALL_COLUMNS.join(', ')}, parent_span_id) VALUES (${CALL_COLUMNS.map(() => '?').join(', ')}, ?) ON CONFLICT (span_id, trace_id) DO NOTHING`,
    );
    this.#encloses = this.db
      .prepare('SELECT 1 FROM calls WHERE parent_span_id = ? AND trace_id = ? LIMIT 1')
      .pluck();
    this.#isStored = this.db
      .prepare('SELECT 1 FROM calls WHERE span_id = ? AND trace_id = ?')
      .pluck();
    const where = ROLLUP_KEY.map((k) => `${k} = @${k}`).join(' AND ');
    this.#getRollup = this.db.prepare(`SELECT latency FROM rollups_hourly WHERE ${where}`);
    const cols = [...ROLLUP_KEY, ...ROLLUP_SUMS, 'latency'];
    this.#upsertRollup = this.db.prepare(
      `INSERT INTO rollups_hourly (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (${ROLLUP_KEY.join(', ')}) DO UPDATE SET
       ${ROLLUP_SUMS.map((s) => `${s} = ${s} + excluded.${s}`).join(', ')}, latency = excluded.latency`,
    );
    this.#insertBatch = this.db.transaction((batch: PreparedBatch) => this.#write(batch));
    this.#prune = this.db.prepare(
      'DELETE FROM calls WHERE rowid IN (SELECT rowid FROM calls WHERE started_at < ? ORDER BY started_at LIMIT ?)',
    );
    this.#addString = this.db.prepare(
      'INSERT INTO strings (value) VALUES (?) ON CONFLICT (value) DO NOTHING',
    );
    this.#getString = this.db.prepare('SELECT id FROM strings WHERE value = ?').pluck();
    this.#ready = this.db.prepare('SELECT 1 FROM schema_migrations LIMIT 1');
    this.#allCalls = this.db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM call_records ORDER BY started_at`,
    );
  }

  /** The id of a string in the strings table, adding it when new (inside the caller's transaction). */
  #stringId(value: string | null): number | null {
    if (value === null) return null;
    const cached = this.#strings.get(value);
    if (cached !== undefined) return cached;
    this.#addString.run(value);
    const id = this.#getString.get(value) as number;
    if (this.#strings.size >= STRING_CACHE_LIMIT) this.#strings.clear();
    this.#strings.set(value, id);
    return id;
  }

  /**
   * Stores a batch prepareBatch() built (maybe on another thread) in ONE transaction:
   * all of it is on disk when this returns, or none of it. Returns the positions of
   * the records that were new; the others were stored before (a retried export).
   */
  insertPrepared(batch: PreparedBatch): number[] {
    try {
      return this.#insertBatch(batch);
    } catch (err) {
      // Strings added in the rolled-back transaction are gone: forget their ids too.
      this.#strings.clear();
      throw err;
    }
  }

  #write(batch: PreparedBatch): number[] {
    const { count, values, texts } = batch;
    const ids = Buffer.from(batch.ids.buffer, batch.ids.byteOffset, batch.ids.byteLength);
    const stringIds = batch.strings.map((s) => this.#stringId(s));
    const fresh: number[] = [];
    const row: unknown[] = new Array(CALL_COLUMNS.length + 1);
    const PARENT = CALL_COLUMNS.length;
    for (let i = 0; i < count; i++) {
      const v = i * WIDTH;
      const at = i * ID_BYTES;
      const trace = ids.subarray(at, at + 16);
      const span = ids.subarray(at + 16, at + 24);
      const parent = ids.readBigUInt64BE(at + 24) === 0n ? null : ids.subarray(at + 24, at + 32);
      // One record per model call (records/nesting.ts): a span enclosing a stored call
      // is that call's outer span, and a span inside a stored call is its inner one,
      // which came too late to be the record. Neither is new.
      if (this.#encloses.get(span, trace) !== undefined) continue;
      if (parent !== null && this.#isStored.get(parent, trace) !== undefined) continue;
      row[0] = trace;
      row[1] = span;
      row[PARENT] = parent;
      for (const c of NUMBER_AT) {
        const x = values[v + c]!;
        row[c] = Number.isNaN(x) ? null : x;
      }
      for (const c of STRING_AT) {
        const x = values[v + c]!;
        row[c] = Number.isNaN(x) ? null : stringIds[x];
      }
      for (let t = 0; t < TEXT_AT.length; t++) row[TEXT_AT[t]!] = texts[i * TEXT_AT.length + t];
      if (this.#insertCall.run(row).changes === 1) fresh.push(i);
    }
    // Sum the new records per rollup row first: one read and one write per row.
    const groups = new Map<number, { sums: Float64Array; cost: bigint; latency: LatencySketch }>();
    for (const i of fresh) {
      const v = i * WIDTH;
      const at = values[v + GROUP]!;
      let g = groups.get(at);
      if (!g) {
        g = { sums: new Float64Array(COUNT_SUMS.length), cost: 0n, latency: new LatencySketch() };
        groups.set(at, g);
      }
      const s = g.sums;
      s[CALLS]!++;
      for (let u = 0; u < USAGE_AT.length; u++) {
        const x = values[v + USAGE_AT[u]!]!;
        if (!Number.isNaN(x)) s[FIRST_USAGE + u]! += x;
      }
      const cost = values[v + COST]!;
      if (Number.isNaN(cost)) s[UNPRICED]!++;
      // Money is summed exactly, whatever the batch holds; SQLite keeps 64-bit integers.
      else g.cost += BigInt(cost);
      g.latency.add(values[v + DURATION_MS]!);
    }
    for (const [at, g] of groups) {
      const key = batch.groups[at]!;
      // The status is part of the key: a row of failed calls counts every call as a failure.
      if (key.status === 'error') g.sums[FAILURES] = g.sums[CALLS]!;
      const existing = this.#getRollup.get(key) as { latency: Uint8Array } | undefined;
      const latency = LatencySketch.decode(existing?.latency).merge(g.latency);
      const row: Record<string, unknown> = { ...key, latency: latency.encode() };
      for (let k = 0; k < COUNT_SUMS.length; k++) row[COUNT_SUMS[k]!] = g.sums[k];
      row.cost_pusd = g.cost <= INT64_MAX ? g.cost : Number(g.cost);
      this.#upsertRollup.run(row);
    }
    return fresh;
  }

  /**
   * Removes raw calls that started before `cutoffMs`, at most `limit` in one short
   * transaction, so ingest never waits long; rollups are kept. Returns how many
   * were removed: call again until it returns less than `limit`.
   */
  pruneCalls(cutoffMs: number, limit = 5000): number {
    return this.#prune.run(cutoffMs, limit).changes;
  }

  /** Every stored call, oldest first, read a row at a time. */
  *calls(): Generator<CallRecord> {
    for (const row of this.#allCalls.iterate()) yield recordOf(row as CallRow);
  }

  /** Whether the database answers: null when it does, else why not (for /readyz). */
  unready(): string | null {
    try {
      this.#ready.get();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Bytes on disk: the database file and its write-ahead log. */
  sizeBytes(): number {
    if (this.path === ':memory:') return 0;
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    return size(this.path) + size(`${this.path}-wal`);
  }

  close(): void {
    this.db.close();
  }
}
