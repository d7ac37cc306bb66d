import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CallRecord } from '../records/call-record.js';
import { migrate } from './migrations.js';
import { LatencySketch } from './sketch.js';

export interface InsertResult {
  /** The records that were new, in input order; only these may advance counters. */
  inserted: CallRecord[];
  /** Records already stored (a retried export). */
  duplicates: number;
}

const CALL_COLUMNS = [
  'trace_id',
  'span_id',
  'started_at',
  'duration_us',
  'ttft_us',
  'service',
  'project',
  'user',
  'account',
  'provider',
  'operation',
  'call_type',
  'request_model',
  'response_model',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'reasoning_tokens',
  'image_count',
  'image_size',
  'image_resolution',
  'image_quality',
  'video_seconds',
  'video_resolution',
  'video_audio',
  'aspect_ratio',
  'status',
  'error_type',
  'error_message',
  'retry_count',
  'cost_pusd',
  'cost_input',
  'cost_output',
  'cost_cache_read',
  'cost_cache_write',
  'cost_reasoning',
  'cost_media',
  'pricing_source',
  'unpriced_reason',
  'prompt',
  'output_path',
  'attributes',
] as const;

const BREAKDOWN = ['input', 'output', 'cache_read', 'cache_write', 'reasoning', 'media'] as const;

const NO_BREAKDOWN = BREAKDOWN.map(() => null);

/**
 * The breakdown's USD amounts back to the whole pico-dollars they were computed
 * in, in BREAKDOWN order (a fixed-shape array: this runs once per stored call).
 */
function breakdownPusd(json: string | null): (number | null)[] {
  if (!json) return NO_BREAKDOWN;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return NO_BREAKDOWN;
  }
  if (parsed === null || typeof parsed !== 'object') return NO_BREAKDOWN;
  const out: (number | null)[] = new Array(BREAKDOWN.length);
  for (let i = 0; i < BREAKDOWN.length; i++) {
    const v = parsed[BREAKDOWN[i]!];
    out[i] = typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1e12) : null;
  }
  return out;
}

/** Strings remembered per store before the cache starts over (the table keeps them all). */
const STRING_CACHE_LIMIT = 100_000;

const ROLLUP_KEY = [
  'hour',
  'project',
  'user',
  'account',
  'provider',
  'model',
  'call_type',
  'status',
] as const;
const ROLLUP_SUMS = [
  'calls',
  'failures',
  'unpriced',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'reasoning_tokens',
  'images',
  'video_seconds',
  'cost_pusd',
] as const;

type RollupKey = { hour: number } & Record<Exclude<(typeof ROLLUP_KEY)[number], 'hour'>, string>;
type RollupSums = Record<(typeof ROLLUP_SUMS)[number], number>;

const HOUR_MS = 3_600_000;

function rollupKey(r: CallRecord): RollupKey {
  return {
    hour: Math.floor(r.started_at / HOUR_MS) * HOUR_MS,
    project: r.project ?? '',
    user: r.user ?? '',
    account: r.account ?? '',
    provider: r.provider ?? '',
    model: r.response_model ?? r.request_model ?? '',
    call_type: r.call_type,
    status: r.status,
  };
}

/** A rollup key as one string; each part is length-prefixed, so no two keys share one. */
function groupId(k: RollupKey): string {
  let id = String(k.hour);
  for (const part of [k.project, k.user, k.account, k.provider, k.model, k.call_type, k.status]) {
    id += `|${part.length}:${part}`;
  }
  return id;
}

/**
 * The SQLite store: one record per call, idempotent on (trace_id, span_id), and
 * hourly rollups kept in step in the same transaction.
 */
export class Store {
  readonly db: Database.Database;
  readonly path: string;
  readonly #insertCall: Database.Statement;
  readonly #getRollup: Database.Statement;
  readonly #upsertRollup: Database.Statement;
  readonly #insertBatch: (records: CallRecord[]) => number[];
  readonly #prune: Database.Statement;
  readonly #addString: Database.Statement;
  readonly #getString: Database.Statement;
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
      `INSERT INTO calls (${CALL_COLUMNS.join(', ')}) VALUES (${CALL_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (span_id, trace_id) DO NOTHING`,
    );
    const where = ROLLUP_KEY.map((k) => `${k} = @${k}`).join(' AND ');
    this.#getRollup = this.db.prepare(`SELECT latency FROM rollups_hourly WHERE ${where}`);
    const cols = [...ROLLUP_KEY, ...ROLLUP_SUMS, 'latency'];
    this.#upsertRollup = this.db.prepare(
      `INSERT INTO rollups_hourly (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (${ROLLUP_KEY.join(', ')}) DO UPDATE SET
       ${ROLLUP_SUMS.map((s) => `${s} = ${s} + excluded.${s}`).join(', ')}, latency = excluded.latency`,
    );
    this.#insertBatch = this.db.transaction((records: CallRecord[]) => this.#write(records));
    this.#prune = this.db.prepare(
      'DELETE FROM calls WHERE rowid IN (SELECT rowid FROM calls WHERE started_at < ? ORDER BY started_at LIMIT ?)',
    );
    this.#addString = this.db.prepare(
      'INSERT INTO strings (value) VALUES (?) ON CONFLICT (value) DO NOTHING',
    );
    this.#getString = this.db.prepare('SELECT id FROM strings WHERE value = ?').pluck();
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

  /** The record as the calls table's values, in CALL_COLUMNS order (positional binding is the fast path). */
  #row(r: CallRecord): unknown[] {
    const cost = breakdownPusd(r.cost_breakdown);
    const id = (v: string | null) => this.#stringId(v);
    return [
      Buffer.from(r.trace_id, 'hex'),
      Buffer.from(r.span_id, 'hex'),
      r.started_at,
      Math.round(r.duration_ms * 1000),
      r.ttft_ms === null ? null : Math.round(r.ttft_ms * 1000),
      id(r.service),
      id(r.project),
      id(r.user),
      id(r.account),
      id(r.provider),
      id(r.operation),
      id(r.call_type),
      id(r.request_model),
      id(r.response_model),
      r.input_tokens,
      r.output_tokens,
      r.cache_read_tokens,
      r.cache_write_tokens,
      r.cache_write_1h_tokens,
      r.reasoning_tokens,
      r.image_count,
      id(r.image_size),
      id(r.image_resolution),
      id(r.image_quality),
      r.video_seconds,
      id(r.video_resolution),
      r.video_audio === null ? null : r.video_audio ? 1 : 0,
      id(r.aspect_ratio),
      id(r.status),
      id(r.error_type),
      r.error_message,
      r.retry_count,
      r.cost_pusd,
      cost[0],
      cost[1],
      cost[2],
      cost[3],
      cost[4],
      cost[5],
      id(r.pricing_source),
      r.unpriced_reason,
      r.prompt,
      r.output_path,
      r.attributes,
    ];
  }

  /** Stores a batch in ONE transaction: all of it is on disk when this returns, or none of it. */
  insertBatch(records: CallRecord[]): InsertResult {
    const fresh = this.insertBatchIndexes(records);
    return {
      inserted: fresh.map((i) => records[i]!),
      duplicates: records.length - fresh.length,
    };
  }

  /** insertBatch, answering with the positions of the new records (what crosses a thread cheaply). */
  insertBatchIndexes(records: CallRecord[]): number[] {
    try {
      return this.#insertBatch(records);
    } catch (err) {
      // Strings added in the rolled-back transaction are gone: forget their ids too.
      this.#strings.clear();
      throw err;
    }
  }

  #write(records: CallRecord[]): number[] {
    const fresh: number[] = [];
    const inserted: CallRecord[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (this.#insertCall.run(this.#row(r)).changes === 1) {
        fresh.push(i);
        inserted.push(r);
      }
    }
    // Aggregate the new records per rollup row first: one read and one write per row.
    const groups = new Map<string, { key: RollupKey; sums: RollupSums; latency: LatencySketch }>();
    for (const r of inserted) {
      const key = rollupKey(r);
      const id = groupId(key);
      let g = groups.get(id);
      if (!g) {
        const sums = Object.fromEntries(ROLLUP_SUMS.map((s) => [s, 0])) as RollupSums;
        g = { key, sums, latency: new LatencySketch() };
        groups.set(id, g);
      }
      const s = g.sums;
      s.calls++;
      if (r.status === 'error') s.failures++;
      if (r.cost_pusd === null) s.unpriced++;
      s.input_tokens += r.input_tokens ?? 0;
      s.output_tokens += r.output_tokens ?? 0;
      s.cache_read_tokens += r.cache_read_tokens ?? 0;
      s.cache_write_tokens += r.cache_write_tokens ?? 0;
      s.cache_write_1h_tokens += r.cache_write_1h_tokens ?? 0;
      s.reasoning_tokens += r.reasoning_tokens ?? 0;
      s.images += r.image_count ?? 0;
      s.video_seconds += r.video_seconds ?? 0;
      s.cost_pusd += r.cost_pusd ?? 0;
      g.latency.add(r.duration_ms);
    }
    for (const g of groups.values()) {
      const existing = this.#getRollup.get(g.key) as { latency: Uint8Array } | undefined;
      const latency = LatencySketch.decode(existing?.latency).merge(g.latency);
      this.#upsertRollup.run({ ...g.key, ...g.sums, latency: latency.encode() });
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
