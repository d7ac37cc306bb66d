import type { QueryFilter, Reader } from './filter.js';
import type { HourCount, ListPosition } from './keys.js';

/** The days the cost and latency orders are indexed by (UTC), in ms. */
export const DAY_MS = 86_400_000;

/**
 * Keys by cost or latency, merged from the window's days: each day's calls come in
 * order from the day's part of calls_day_cost or calls_day_latency (schema v5), a
 * few at a time, the window checked in the index itself, and a heap merges the
 * days. A page reads about its own keys from each day, so a month costs about what
 * a day does. `valued`: the calls with a value (by cost: the priced ones), or those
 * without (by start time). `need`: about how many keys the caller will take.
 */
export function dayKeys(
  r: Reader,
  f: QueryFilter,
  sort: 'cost' | 'latency',
  desc: boolean,
  hours: HourCount[],
  valued: boolean,
  after: ListPosition | undefined,
  need: number,
): Generator<ListPosition> {
  const column = sort === 'cost' ? 'c.cost_pusd' : 'c.duration_us';
  const index = sort === 'cost' ? 'calls_day_cost' : 'calls_day_latency';
  const dir = desc ? 'DESC' : 'ASC';
  const cmp = desc ? '<' : '>';
  const base: Record<string, unknown> = { from: f.from, to: f.to };
  const where = r.where(f, 'calls', base);
  const order = valued ? `${column} ${dir}, ` : '';
  const keyset = valued ? `(${column}, c.started_at, c.rowid)` : '(c.started_at, c.rowid)';
  // The day is the integer division the index is built on, written the same way.
  const statement = (withAfter: boolean) =>
    r.prepare(
      `SELECT ${valued ? column : 'NULL'} AS v, c.started_at AS t, c.rowid AS r
       FROM calls AS c INDEXED BY ${index}
       WHERE c.started_at / ${DAY_MS} = @d AND c.started_at >= @from AND c.started_at < @to
       AND ${column} IS ${valued ? 'NOT NULL' : 'NULL'}${where}
       ${withAfter ? `AND ${keyset} ${cmp} (${valued ? '@v, ' : ''}@t, @r)` : ''}
       ORDER BY ${order}c.started_at ${dir}, c.rowid ${dir} LIMIT @limit`,
    );
  const read = (d: number, last: ListPosition | undefined, limit: number): ListPosition[] => {
    const params = { ...base, d, limit };
    return (
      last === undefined
        ? statement(false).all(params)
        : statement(true).all(
            valued
              ? { ...params, v: last.v, t: last.t, r: last.r }
              : { ...params, ...pastRow(last, desc, f.from, f.to), t: last.t, r: last.r },
          )
    ) as ListPosition[];
  };
  const sign = desc ? -1 : 1;
  const compare = valued
    ? (a: ListPosition, b: ListPosition) => sign * (a.v! - b.v! || a.t - b.t || a.r - b.r)
    : (a: ListPosition, b: ListPosition) => sign * (a.t - b.t || a.r - b.r);
  const days = new Set<number>();
  for (const h of hours) {
    const has = sort === 'latency' ? h.calls > 0 : valued ? h.calls > h.unpriced : h.unpriced > 0;
    if (has) days.add(Math.floor(h.hour / DAY_MS));
  }
  // The first read of each day is its share of what is needed (and one more).
  const first = Math.min(MAX_READ, Math.max(2, Math.ceil(need / days.size) + 1));
  const streams = [...days].map((d) => new DayStream(d, after, first, read));
  return mergeStreams(streams, compare);
}

/**
 * The time bounds of the rows after `last` in start-time order. SQLite takes one bound
 * per side for an index range and does not range on a row value over (time, rowid),
 * so the window is narrowed here; the row value then only sorts out equal times.
 */
export function pastRow(
  last: ListPosition,
  desc: boolean,
  from: number,
  to: number,
): { from: number; to: number } {
  return desc ? { from, to: Math.min(to, last.t + 1) } : { from: Math.max(from, last.t), to };
}

/** The most keys one read of a day takes. */
const MAX_READ = 1024;

/** One day's keys in order, read a few at a time (more each time) after the last. */
class DayStream {
  #buffer: ListPosition[] = [];
  #at = 0;
  #size: number;
  #done = false;
  #last: ListPosition | undefined;

  constructor(
    readonly day: number,
    after: ListPosition | undefined,
    size: number,
    readonly read: (d: number, last: ListPosition | undefined, limit: number) => ListPosition[],
  ) {
    this.#last = after;
    this.#size = size;
    this.#fill();
  }

  #fill(): void {
    this.#buffer = this.read(this.day, this.#last, this.#size);
    this.#at = 0;
    if (this.#buffer.length < this.#size) this.#done = true;
    this.#last = this.#buffer.at(-1) ?? this.#last;
    this.#size = Math.min(this.#size * 4, MAX_READ);
  }

  /** The next key, or undefined when the day has no more. */
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
  streams: DayStream[],
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
