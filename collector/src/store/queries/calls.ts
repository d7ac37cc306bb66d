import type { CallRecord } from '../../records/call-record.js';
import { HOUR_MS, type QueryFilter, type Reader } from './filter.js';
import {
  type HourCount,
  keys as keysInOrder,
  type ListPosition,
  type SortBy,
  timeKeys,
} from './keys.js';
import type { Sums } from './sums.js';

export interface ListOptions {
  sort: SortBy;
  desc: boolean;
  limit: number;
  /** Rows to skip (page numbers), or... */
  offset?: number;
  /** ...the row to go on after (a cursor). */
  after?: ListPosition;
}

/** The call record's fields the list and the export show as they are stored. */
type ListedFields = Omit<
  CallRecord,
  | 'id'
  | 'finished_at'
  | 'duration_ms'
  | 'ttft_ms'
  | 'video_audio'
  | 'cost_breakdown_pusd'
  | 'prompt'
  | 'output_path'
  | 'attributes'
>;

/** A stored call as the list and the export show it (text resolved, ids hex, times in µs). */
export interface CallRow extends ListedFields {
  rid: number;
  duration_us: number;
  ttft_us: number | null;
  /** 0 or 1, as SQLite holds it. */
  video_audio: number | null;
}

/** One call with everything stored about it. */
export interface CallDetailRow extends CallRow {
  cost_input: number | null;
  cost_output: number | null;
  cost_cache_read: number | null;
  cost_cache_write: number | null;
  cost_reasoning: number | null;
  cost_media: number | null;
  prompt: string | null;
  output_path: string | null;
  attributes: string | null;
}

export interface ListPage {
  /** Calls matching the filter, in the window's stored calls. */
  total: number;
  rows: CallRow[];
  /** Whether rows follow the last one. */
  more: boolean;
  /** Where the last row is, to go on from. */
  last: ListPosition | null;
}

const text = (col: string) => `(SELECT value FROM strings WHERE id = c.${col}) AS ${col}`;
const CALL_COLUMNS = `c.rowid AS rid, lower(hex(c.trace_id)) AS trace_id, lower(hex(c.span_id)) AS span_id,
  c.started_at, c.duration_us, c.ttft_us, ${text('service')}, ${text('project')}, ${text('user')},
  ${text('account')}, ${text('provider')}, ${text('operation')}, ${text('call_type')},
  ${text('request_model')}, ${text('response_model')}, c.input_tokens, c.output_tokens,
  c.cache_read_tokens, c.cache_write_tokens, c.cache_write_1h_tokens, c.reasoning_tokens,
  c.image_count, ${text('image_size')}, ${text('image_resolution')}, ${text('image_quality')},
  c.video_seconds, ${text('video_resolution')}, c.video_audio, ${text('aspect_ratio')},
  ${text('status')}, ${text('error_type')}, c.error_message, c.retry_count, c.cost_pusd,
  ${text('pricing_source')}, c.unpriced_reason`;
const DETAIL_COLUMNS = `${CALL_COLUMNS}, c.cost_input, c.cost_output, c.cost_cache_read,
  c.cost_cache_write, c.cost_reasoning, c.cost_media, c.prompt, c.output_path, c.attributes`;

/** The stored calls themselves: the list a page at a time, the export in batches, one call. */
export class Calls {
  constructor(
    readonly r: Reader,
    readonly sums: Sums,
  ) {}

  /**
   * A page of the calls the filter matches, in the order asked: by start time (then
   * storage order), or by cost or latency (then start time, then storage order), with
   * unpriced calls after the priced ones in either direction.
   */
  list(f: QueryFilter, opts: ListOptions): ListPage {
    const window = this.#stored(f);
    const hours = window.from < window.to ? this.#hourCounts(window) : [];
    let total = 0;
    for (const h of hours) total += h.calls;
    const want = opts.limit + 1;
    let keys: ListPosition[];
    const offset = opts.offset ?? 0;
    if (opts.after !== undefined) {
      keys = take(
        keysInOrder(this.r, window, opts.sort, opts.desc, hours, {
          chunk: want,
          need: want,
          after: opts.after,
        }),
        want,
      );
    } else if (offset >= total) {
      keys = [];
    } else if (opts.sort === 'time') {
      keys = take(timeKeys(this.r, window, opts.desc, hours, want, undefined, offset), want);
    } else if (offset > total / 2) {
      // The same rows read backwards from the far end, where fewer come before them.
      const end = Math.min(total, offset + want);
      const back = take(
        keysInOrder(this.r, window, opts.sort, !opts.desc, hours, {
          chunk: want,
          need: total - offset,
          nullsFirst: true,
        }),
        total - offset,
      );
      keys = back.slice(total - end).reverse();
    } else {
      keys = take(
        skip(
          keysInOrder(this.r, window, opts.sort, opts.desc, hours, {
            chunk: want,
            need: offset + want,
          }),
          offset,
        ),
        want,
      );
    }
    const more = keys.length > opts.limit;
    const page = keys.slice(0, opts.limit);
    return { total, rows: this.#rowsById(page.map((k) => k.r)), more, last: page.at(-1) ?? null };
  }

  /**
   * Every call the filter matches, in the list's order, `size` rows at a time. Nothing
   * stays open between batches: the caller may wait (for a slow client) between them.
   */
  *batches(f: QueryFilter, sort: SortBy, desc: boolean, size: number): Generator<CallRow[]> {
    const window = this.#stored(f);
    if (window.from >= window.to) return;
    const hours = sort === 'time' ? [] : this.#hourCounts(window);
    let need = 0;
    for (const h of hours) need += h.calls;
    let batch: number[] = [];
    for (const k of keysInOrder(this.r, window, sort, desc, hours, { chunk: size, need })) {
      batch.push(k.r);
      if (batch.length === size) {
        yield this.#rowsById(batch);
        batch = [];
      }
    }
    if (batch.length > 0) yield this.#rowsById(batch);
  }

  /**
   * The window cut to the stored calls: raw calls before the oldest one stored are
   * gone (retention, DELETE /calls), and the rollups that still count them must not.
   */
  #stored(f: QueryFilter): QueryFilter {
    const oldest = this.r.oldest.get() as number | null;
    return { ...f, from: Math.max(f.from, oldest ?? f.to) };
  }

  /** Calls (and unpriced calls) per hour of the window, whole and partial, oldest first. */
  #hourCounts(f: QueryFilter): HourCount[] {
    return this.sums
      .groups(f, { bucketMs: HOUR_MS, sums: 'counts' })
      .map((g) => ({ hour: g.bucket!, calls: g.totals.calls, unpriced: g.totals.unpriced }))
      .filter((h) => h.calls > 0)
      .sort((a, b) => a.hour - b.hour);
  }

  /** Full rows of these calls, in this order. */
  #rowsById(ids: number[]): CallRow[] {
    if (ids.length === 0) return [];
    const rows = this.r
      .prepare(
        `SELECT ${CALL_COLUMNS} FROM calls AS c WHERE c.rowid IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids)) as CallRow[];
    const byId = new Map(rows.map((r) => [r.rid, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** One call by its ids (hex), with everything stored about it; null when there is none. */
  call(traceId: string, spanId: string): CallDetailRow | null {
    const row = this.r
      .prepare(`SELECT ${DETAIL_COLUMNS} FROM calls AS c WHERE c.span_id = ? AND c.trace_id = ?`)
      .get(Buffer.from(spanId, 'hex'), Buffer.from(traceId, 'hex')) as CallDetailRow | undefined;
    return row ?? null;
  }

  /** The first and last stored call the fields match (any time), and how many there are. */
  range(f: Omit<QueryFilter, 'from' | 'to'>): {
    calls: number;
    oldest: number | null;
    newest: number | null;
  } {
    const params: Record<string, unknown> = {};
    const where = this.r.where({ ...f, from: 0, to: 0 }, 'calls', params);
    const ends = this.r
      .prepare(
        `SELECT (SELECT c.started_at FROM calls AS c WHERE 1${where} ORDER BY c.started_at ASC LIMIT 1) AS oldest,
              (SELECT c.started_at FROM calls AS c WHERE 1${where} ORDER BY c.started_at DESC LIMIT 1) AS newest`,
      )
      .get(params) as { oldest: number | null; newest: number | null };
    if (ends.oldest === null || ends.newest === null) return { calls: 0, ...ends };
    // Stored calls are those since the oldest (retention removes the oldest first), so
    // the rollups count them for every whole hour.
    let calls = 0;
    for (const g of this.sums.groups(
      { ...f, from: ends.oldest, to: ends.newest + 1 },
      { sums: 'counts' },
    ))
      calls += g.totals.calls;
    return { calls, ...ends };
  }
}

function take<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  if (n <= 0) return out;
  for (const x of items) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}

function* skip<T>(items: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const x of items) if (i++ >= n) yield x;
}
