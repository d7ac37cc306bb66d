import { HOUR_MS, type QueryFilter, type Reader } from './filter.js';

/**
 * The keys of the call list in its order, read from the indexes a chunk at a time:
 * by start time, or by cost or latency with a heap merging each hour's calls. A key
 * (ListPosition) is also where a page ends, to go on from.
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

/** The keys of the matching calls in the order; `chunk` is how many are read at once. */
export function keys(
  r: Reader,
  f: QueryFilter,
  sort: SortBy,
  desc: boolean,
  hours: HourCount[],
  chunk: number,
  after?: ListPosition,
  nullsFirst = false,
): Generator<ListPosition> {
  if (sort === 'time') return timeKeys(r, f, desc, hours, chunk, after);
  return valueKeys(r, f, sort, desc, hours, after, nullsFirst);
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
 * Keys by cost or latency: each hour's calls come in order from the hour's index,
 * a few at a time, and a heap merges the hours. Priced calls by cost, then the
 * unpriced ones by time (`nullsFirst`: the other way round, the reversed order).
 */
export function* valueKeys(
  r: Reader,
  f: QueryFilter,
  sort: 'cost' | 'latency',
  desc: boolean,
  hours: HourCount[],
  after: ListPosition | undefined,
  nullsFirst: boolean,
): Generator<ListPosition> {
  const column = sort === 'cost' ? 'c.cost_pusd' : 'c.duration_us';
  const index = sort === 'cost' ? 'calls_hour_cost' : 'calls_hour_latency';
  const dir = desc ? 'DESC' : 'ASC';
  const cmp = desc ? '<' : '>';
  const base: Record<string, unknown> = { from: f.from, to: f.to };
  const where = r.where(f, 'calls', base);
  const statement = (valued: boolean, withAfter: boolean) => {
    const order = valued ? `${column} ${dir}, ` : '';
    const cursor = valued ? `(${column}, c.started_at, c.rowid)` : '(c.started_at, c.rowid)';
    return r.prepare(
      `SELECT ${valued ? column : 'NULL'} AS v, c.started_at AS t, c.rowid AS r
       FROM calls AS c INDEXED BY ${index}
       WHERE c.started_at / ${HOUR_MS} = @h AND c.started_at >= @from AND c.started_at < @to
       AND ${column} IS ${valued ? 'NOT NULL' : 'NULL'}${where}
       ${withAfter ? `AND ${cursor} ${cmp} (${valued ? '@v, ' : ''}@t, @r)` : ''}
       ORDER BY ${order}c.started_at ${dir}, c.rowid ${dir} LIMIT @limit`,
    );
  };
  const sign = desc ? -1 : 1;
  const parts = sort === 'latency' ? [true] : nullsFirst ? [false, true] : [true, false];
  // Which part the cursor is in: the parts before it are done.
  let from = 0;
  if (after !== undefined) from = parts.indexOf(after.v !== null);
  for (let p = from; p < parts.length; p++) {
    const valued = parts[p]!;
    const start = p === from ? after : undefined;
    const read = (h: number, last: ListPosition | undefined, limit: number): ListPosition[] => {
      const params = { ...base, h, limit };
      return (
        last === undefined
          ? statement(valued, false).all(params)
          : statement(valued, true).all(
              valued
                ? { ...params, v: last.v, t: last.t, r: last.r }
                : { ...params, ...pastRow(last, desc, f.from, f.to), t: last.t, r: last.r },
            )
      ) as ListPosition[];
    };
    const compare = valued
      ? (a: ListPosition, b: ListPosition) => sign * (a.v! - b.v! || a.t - b.t || a.r - b.r)
      : (a: ListPosition, b: ListPosition) => sign * (a.t - b.t || a.r - b.r);
    const streams = hours
      .filter((h) => valued || sort !== 'cost' || h.unpriced > 0)
      .map((h) => new HourStream(Math.floor(h.hour / HOUR_MS), start, read));
    yield* mergeStreams(streams, compare);
  }
}

/** One hour's keys in order, read a few at a time (more each time) after the last. */
class HourStream {
  #buffer: ListPosition[] = [];
  #at = 0;
  #size = 16;
  #done = false;
  #last: ListPosition | undefined;

  constructor(
    readonly hour: number,
    after: ListPosition | undefined,
    readonly read: (h: number, last: ListPosition | undefined, limit: number) => ListPosition[],
  ) {
    this.#last = after;
    this.#fill();
  }

  #fill(): void {
    this.#buffer = this.read(this.hour, this.#last, this.#size);
    this.#at = 0;
    if (this.#buffer.length < this.#size) this.#done = true;
    this.#last = this.#buffer.at(-1) ?? this.#last;
    this.#size = Math.min(this.#size * 4, 1024);
  }

  /** The next key, or undefined when the hour has no more. */
  peek(): ListPosition | undefined {
    if (this.#at === this.#buffer.length && !this.#done) this.#fill();
    return this.#buffer[this.#at];
  }

  next(): void {
    this.#at++;
  }
}

/** The streams' keys merged in order (a binary heap over their next keys). */
function* mergeStreams(
  streams: HourStream[],
  compare: (a: ListPosition, b: ListPosition) => number,
): Generator<ListPosition> {
  const heap = streams.filter((s) => s.peek() !== undefined);
  const less = (i: number, j: number) => compare(heap[i]!.peek()!, heap[j]!.peek()!) < 0;
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const down = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = Math.floor(heap.length / 2) - 1; i >= 0; i--) down(i);
  while (heap.length > 0) {
    const top = heap[0]!;
    yield top.peek()!;
    top.next();
    if (top.peek() === undefined) {
      heap[0] = heap.at(-1)!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
}

/**
 * The time bounds of the rows after `last` in start-time order. SQLite takes one bound
 * per side for an index range and does not range on a row value over (time, rowid),
 * so the window is narrowed here; the row value then only sorts out equal times.
 */
function pastRow(
  last: ListPosition,
  desc: boolean,
  from: number,
  to: number,
): { from: number; to: number } {
  return desc ? { from, to: Math.min(to, last.t + 1) } : { from: Math.max(from, last.t), to };
}
