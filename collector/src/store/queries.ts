import type Database from 'better-sqlite3';
import {
  type CallDetailRow,
  type CallRow,
  Calls,
  type ListOptions,
  type ListPage,
} from './queries/calls.js';
import { HOUR_MS, type QueryFilter, Reader } from './queries/filter.js';
import type { SortBy } from './queries/keys.js';
import { PastHours } from './queries/past-hours.js';
import { Sums } from './queries/sums.js';
import type { Distinct, Group, GroupOptions, Totals } from './queries/totals.js';

/**
 * The reads of the query API, and nothing SQLite-specific outside this module. Its
 * parts are in queries/: the filter and the shared reader (filter.ts), latency
 * (latency.ts), totals and their SQL (totals.ts), sums from the rollups and the
 * edge hours' calls (sums.ts, last-calls.ts), the past hours kept between requests
 * (past-hours.ts), and the call list, its keys and the export (calls.ts, keys.ts).
 */

export type { CallDetailRow, CallRow, ListOptions, ListPage } from './queries/calls.js';
export {
  DIMENSIONS,
  type Dimension,
  type GroupBy,
  HOUR_MS,
  type QueryFilter,
  splitWindow,
} from './queries/filter.js';
export type { ListPosition, SortBy } from './queries/keys.js';
export { Latency } from './queries/latency.js';
export {
  addTotals,
  type Distinct,
  emptyTotals,
  type Group,
  type GroupOptions,
  type Totals,
} from './queries/totals.js';

/** Rollup rows deleted per statement: about a day of hours. */
const ROLLUP_DELETE_HOURS = 24;

/** The query API's reads over the store's database (its reading connection). */
export class Queries {
  readonly #r: Reader;
  readonly #past: PastHours;
  readonly #sums: Sums;
  readonly #calls: Calls;

  /**
   * `now`: the clock that tells which hours are old enough to keep (tests pass their own).
   * `cacheBytes`: how much the kept sums of past hours may take.
   */
  constructor(
    db: Database.Database,
    readonly options: { now?: () => number; cacheBytes?: number } = {},
  ) {
    this.#r = new Reader(db);
    this.#past = new PastHours(this.#r, options);
    this.#sums = new Sums(this.#r, this.#past);
    this.#calls = new Calls(this.#r, this.#sums);
  }

  /** Sums per group (key and/or bucket) of the calls the filter matches. */
  groups(f: QueryFilter, opts: GroupOptions = {}): Group[] {
    return this.#sums.groups(f, opts);
  }

  /** The totals of the calls the filter matches, with their distinct models, users, accounts and projects. */
  summary(f: QueryFilter): { totals: Totals; distinct: Distinct } {
    return this.#sums.summary(f);
  }

  /** Whether any call the fields match was ever counted (its raw row may be gone). */
  exists(fields: Omit<QueryFilter, 'from' | 'to'>): boolean {
    const params: Record<string, unknown> = {};
    const where = this.#r.where({ ...fields, from: 0, to: 0 }, 'rollups', params);
    return (
      this.#r.prepare(`SELECT 1 FROM rollups_hourly AS r WHERE 1${where} LIMIT 1`).get(params) !==
      undefined
    );
  }

  /**
   * A page of the calls the filter matches, in the order asked: by start time (then
   * storage order), or by cost or latency (then start time, then storage order), with
   * unpriced calls after the priced ones in either direction.
   */
  list(f: QueryFilter, opts: ListOptions): ListPage {
    return this.#calls.list(f, opts);
  }

  /**
   * Every call the filter matches, in the list's order, `size` rows at a time. Nothing
   * stays open between batches: the caller may wait (for a slow client) between them.
   */
  batches(f: QueryFilter, sort: SortBy, desc: boolean, size: number): Generator<CallRow[]> {
    return this.#calls.batches(f, sort, desc, size);
  }

  /** One call by its ids (hex), with everything stored about it; null when there is none. */
  call(traceId: string, spanId: string): CallDetailRow | null {
    return this.#calls.call(traceId, spanId);
  }

  /** The first and last stored call the fields match (any time), and how many there are. */
  stored(f: Omit<QueryFilter, 'from' | 'to'>): {
    calls: number;
    oldest: number | null;
    newest: number | null;
  } {
    return this.#calls.range(f);
  }

  /**
   * Removes the rollup rows of the oldest day of hours that ended at or before
   * `before`: call again until it answers null (nothing left), so a long delete
   * leaves room for exports between days. Raw calls are removed by Store.pruneCalls.
   */
  deleteRollupsBefore(before: number): number | null {
    const end = Math.floor(before / HOUR_MS) * HOUR_MS;
    const first = this.#r.prepare('SELECT min(hour) FROM rollups_hourly').pluck().get() as
      | number
      | null;
    if (first === null || first >= end) return null;
    this.#past.clear();
    return this.#r
      .prepare('DELETE FROM rollups_hourly WHERE hour >= ? AND hour < ?')
      .run(first, Math.min(end, first + ROLLUP_DELETE_HOURS * HOUR_MS)).changes;
  }
}
