import { dayKeys, pastRow } from './day-merge.js';
import { HOUR_MS, type QueryFilter, type Reader } from './filter.js';

/**
 * The keys of the call list in its order, read from the indexes a chunk at a time:
 * by start time here, by cost or latency with a heap merging each day's calls
 * (day-merge.ts). A key (ListPosition) is also where a page ends, to go on from.
 */

export type SortBy = 'time' | 'cost' | 'latency';

/**
 * Where a page of the call list ends, to go on from: the sort value (cost in pUSD,
 * null when unpriced; duration in µs; for time, the start again), the start time and
 * the row's id in the table.
 */
export interface ListPosition {
  v: number | null;
  t: number;
  r: number;
}

export interface HourCount {
  hour: number;
  calls: number;
  unpriced: number;
}

/** How a list of keys is read. */
export interface KeyOptions {
  /** Keys read at once by time (the first time; more after). */
  chunk: number;
  /** About how many keys the caller will take: by cost or latency, each day's first read is its share. */
  need: number;
  /** The key to go on after (a cursor). */
  after?: ListPosition;
  /** Unpriced calls first, then the priced ones: the list's order read backwards. */
  nullsFirst?: boolean;
}

/** The keys of the matching calls in the order. */
export function keys(
  r: Reader,
  f: QueryFilter,
  sort: SortBy,
  desc: boolean,
  hours: HourCount[],
  opts: KeyOptions,
): Generator<ListPosition> {
  if (sort === 'time') return timeKeys(r, f, desc, hours, opts.chunk, opts.after);
  return valueKeys(r, f, sort, desc, hours, opts);
}

/**
 * Keys by start time, from the time (or project) index, `chunk` at a time after the
 * last. A large offset skips whole hours by their counts first.
 */
export function* timeKeys(
  r: Reader,
  f: QueryFilter,
  desc: boolean,
  hours: HourCount[],
  chunk: number,
  after?: ListPosition,
  offset = 0,
): Generator<ListPosition> {
  const dir = desc ? 'DESC' : 'ASC';
  let from = f.from;
  let to = f.to;
  let skipped = offset;
  // The list has the hours' counts already: whole hours are skipped by them, and
  // OFFSET walks only the hour the page starts in.
  if (skipped > 0) {
    for (const h of desc ? [...hours].reverse() : hours) {
      if (skipped < h.calls) {
        if (desc) to = Math.min(to, h.hour + HOUR_MS);
        else from = Math.max(from, h.hour);
        break;
      }
      skipped -= h.calls;
    }
  }
  const base: Record<string, unknown> = { from, to };
  const where = r.where(f, 'calls', base);
  const sql = (withAfter: boolean) =>
    r.prepare(
      `SELECT c.started_at AS v, c.started_at AS t, c.rowid AS r FROM calls AS c
       WHERE c.started_at >= @from AND c.started_at < @to${where}
       ${withAfter ? `AND (c.started_at, c.rowid) ${desc ? '<' : '>'} (@t, @r)` : ''}
       ORDER BY c.started_at ${dir}, c.rowid ${dir} LIMIT @limit OFFSET @offset`,
    );
  let last = after;
  for (;;) {
    const params = { ...base, limit: chunk, offset: skipped };
    const rows = (
      last === undefined
        ? sql(false).all(params)
        : sql(true).all({ ...params, ...pastRow(last, desc, from, to), t: last.t, r: last.r })
    ) as ListPosition[];
    yield* rows;
    if (rows.length < chunk) return;
    last = rows.at(-1);
    skipped = 0;
  }
}

/**
 * Keys by cost or latency, then start time, then storage order (day-merge.ts): the
 * priced calls by cost, then the unpriced ones by time (`nullsFirst`: the other way
 * round).
 */
function* valueKeys(
  r: Reader,
  f: QueryFilter,
  sort: 'cost' | 'latency',
  desc: boolean,
  hours: HourCount[],
  opts: KeyOptions,
): Generator<ListPosition> {
  const { after, need } = opts;
  const parts = sort === 'latency' ? [true] : opts.nullsFirst ? [false, true] : [true, false];
  // Which part the cursor is in: the parts before it are done.
  const from = after === undefined ? 0 : parts.indexOf(after.v !== null);
  for (let p = from; p < parts.length; p++) {
    yield* dayKeys(r, f, sort, desc, hours, parts[p]!, p === from ? after : undefined, need);
  }
}
