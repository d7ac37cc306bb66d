import { EdgeHours } from './edge-hours.js';
import { CALL_FIELD, HOUR_MS, type QueryFilter, type Reader, splitWindow } from './filter.js';
import { findLastCalls } from './last-calls.js';
import { Latency } from './latency.js';
import type { PastHours } from './past-hours.js';
import {
  COUNTS,
  DISTINCT,
  type Distinct,
  emptyTotals,
  type Group,
  type GroupOptions,
  groupBy,
  type Part,
  pusdOf,
  type SumRow,
  sumColumns,
  type Totals,
} from './totals.js';

/**
 * Totals of the calls a filter matches, per group: from the hourly rollups for the
 * whole hours of a window, and for the partial hours at its edges from the calls or
 * from the hour's rollups less its calls outside the window, whichever reads fewer
 * (edge-hours.ts), so they are exact at any boundary and stay fast however many
 * calls there are. Grouped by error type, the failed calls are read from the calls
 * (the rollups have none).
 */
export class Sums {
  readonly #parseRow = (row: SumRow, fromRollups: boolean): Part => this.#parse(row, fromRollups);
  readonly #edges: EdgeHours;

  constructor(
    readonly r: Reader,
    readonly past: PastHours,
  ) {
    this.#edges = new EdgeHours(r, () => (past.options.now ?? Date.now)());
  }

  /** Sums per group (key and/or bucket) of the calls the filter matches. */
  groups(f: QueryFilter, opts: GroupOptions = {}): Group[] {
    return this.#collect(f, opts, false).groups;
  }

  /** The totals of the calls the filter matches, with their distinct models, users, accounts and projects. */
  summary(f: QueryFilter): { totals: Totals; distinct: Distinct } {
    const { groups, distinct } = this.#collect(f, { latency: true }, true);
    return { totals: groups[0]?.totals ?? emptyTotals(), distinct: distinct! };
  }

  #collect(
    f: QueryFilter,
    opts: GroupOptions,
    withDistinct: boolean,
  ): { groups: Group[]; distinct: Distinct | null } {
    const { by, bucketMs } = opts;
    type Acc = Group & { lastHour: number | null; sums: Float64Array };
    const out = new Map<string, Acc>();
    const sets = {
      model: new Set<string>(),
      user: new Set(),
      account: new Set(),
      project: new Set(),
    };
    const add = (part: Part, fromRollups: boolean) => {
      // An ungrouped sum answers one row even when nothing matched.
      if (part.sums[0] === 0) return;
      // Parts come by hour (or already by bucket), folded into buckets (or none) here.
      const bucket = bucketMs === undefined ? null : part.b! - (part.b! % bucketMs);
      const key = part.key === null ? '-' : `=${part.key}`;
      const id = bucket === null ? key : `${bucket}${key}`;
      let g = out.get(id);
      if (g === undefined) {
        g = {
          key: part.key,
          bucket,
          totals: emptyTotals(),
          lastAt: null,
          lastHour: null,
          sums: new Float64Array(COUNTS.length),
        };
        out.set(id, g);
      }
      const sums = g.sums;
      for (let j = 0; j < sums.length; j++) sums[j]! += part.sums[j]!;
      g.totals.cost_pusd += part.cost;
      if (part.latency !== null) g.totals.latency.merge(part.latency);
      if (part.last !== null) {
        if (fromRollups) g.lastHour = Math.max(g.lastHour ?? part.last, part.last);
        else g.lastAt = Math.max(g.lastAt ?? part.last, part.last);
      }
      if (part.distinct !== null) {
        DISTINCT.forEach((d, i) => {
          for (const name of part.distinct![i]!) sets[d].add(name);
        });
      }
    };
    const { hours, edges } = splitWindow(f.from, f.to);
    if (hours !== null) {
      for (const part of this.#rollupSums(f, hours, opts, withDistinct)) add(part, true);
    }
    for (const [a, b] of edges) {
      const parts =
        this.#edges.parts(f, a, b, opts, withDistinct) ??
        this.#callSums(f, a, b, opts, false, withDistinct);
      for (const part of parts) add(part, false);
    }
    if (by === 'error_type') {
      if (hours !== null) for (const part of this.#errorSums(f, hours, opts)) add(part, false);
      for (const [a, b] of edges) {
        for (const part of this.#callSums(f, a, b, opts, true, false)) add(part, false);
      }
    }
    const groups = [...out.values()];
    for (const g of groups) {
      COUNTS.forEach((k, j) => {
        g.totals[k] = g.sums[j]!;
      });
    }
    if (opts.lastAt && by !== undefined) findLastCalls(this.r, f, by, groups);
    return {
      groups: groups.map(({ lastHour: _, sums: _s, ...g }) => g),
      distinct: withDistinct
        ? {
            models: sets.model.size,
            users: sets.user.size,
            accounts: sets.account.size,
            projects: sets.project.size,
          }
        : null,
    };
  }

  /** A row as SQLite gave it, parsed once (rollup parts are kept per hour as they are). */
  #parse(row: SumRow, fromRollups: boolean): Part {
    const sums = new Float64Array(COUNTS.length);
    for (let j = 0; j < COUNTS.length; j++) sums[j] = row[COUNTS[j]!] ?? 0;
    let latency: Latency | null = null;
    if (row.latency !== null) {
      latency = new Latency();
      if (fromRollups) latency.addRollupHex(row.latency);
      else latency.addDurations(row.latency);
      latency.freeze();
    }
    let distinct: string[][] | null = null;
    if (row.d_model !== undefined) {
      distinct = DISTINCT.map((d) => {
        const names: string[] = [];
        for (const v of JSON.parse(row[`d_${d}`]!) as (string | number | null)[]) {
          const name = typeof v === 'number' ? this.r.value(v) : v;
          if (name !== null && name !== '') names.push(name);
        }
        return names;
      });
    }
    return {
      key: fromRollups ? (row.k as string | null) : this.r.value(row.k as number | null),
      b: row.b,
      sums,
      cost: row.cost === undefined ? 0n : pusdOf(row.cost),
      latency,
      last: row.last,
      distinct,
    };
  }

  /**
   * Sums of the rollup rows of the whole hours [h0, h1), per hour (the table's
   * order: grouping by hour sorts nothing), past hours kept between requests.
   */
  #rollupSums(
    f: QueryFilter,
    [h0, h1]: [number, number],
    opts: GroupOptions,
    withDistinct: boolean,
  ): Part[] {
    const params: Record<string, unknown> = {};
    let where = this.r.where(f, 'rollups', params);
    let key = 'NULL';
    if (opts.by === 'error_type') where += ` AND r.status = 'success'`;
    else if (opts.by !== undefined) key = `nullif(r.${opts.by}, '')`;
    const distinct = withDistinct
      ? DISTINCT.map((d) => `, json_group_array(DISTINCT r.${d}) AS d_${d}`).join('')
      : '';
    const sql = `SELECT ${key} AS k, r.hour AS b, ${sumColumns('rollups', opts.sums)},
      ${opts.latency ? 'group_concat(hex(r.latency))' : 'NULL'} AS latency,
      ${opts.lastAt ? 'max(r.hour)' : 'NULL'} AS last${distinct}
      FROM rollups_hourly AS r WHERE r.hour >= @h0 AND r.hour < @h1${where}
      GROUP BY r.hour${key === 'NULL' ? '' : ', k'}`;
    return this.past.hourly(
      sql,
      params,
      [h0, h1],
      true,
      h0,
      opts.bucketMs !== undefined,
      this.#parseRow,
    );
  }

  /**
   * The failed calls of the whole hours [h0, h1) by error type and hour, read from
   * the calls (the rollups have no error type). An hour is kept like a rollup hour
   * (a late call changes its rollups too) while all of its calls are still stored.
   */
  #errorSums(f: QueryFilter, [h0, h1]: [number, number], opts: GroupOptions): Part[] {
    const params: Record<string, unknown> = { error: this.r.id('error') };
    if ((opts.sums ?? 'all') === 'all') {
      params.image = this.r.id('image');
      params.video = this.r.id('video');
    }
    const where = this.r.where(f, 'calls', params);
    const sql = `SELECT c.error_type AS k, c.started_at - c.started_at % ${HOUR_MS} AS b,
      ${sumColumns('calls', opts.sums)},
      ${opts.latency ? 'group_concat(c.duration_us)' : 'NULL'} AS latency, max(c.started_at) AS last
      FROM calls AS c WHERE c.started_at >= @h0 AND c.started_at < @h1
      AND c.error_type IS NOT NULL${where} GROUP BY b, k`;
    // Retention removes the oldest calls first: hours after the oldest call's are whole.
    const oldest = (this.r.oldest.get() as number | null) ?? h1;
    return this.past.hourly(
      sql,
      params,
      [h0, h1],
      false,
      Math.floor(oldest / HOUR_MS) * HOUR_MS + HOUR_MS,
      opts.bucketMs !== undefined,
      this.#parseRow,
    );
  }

  /**
   * Sums of the calls in [a, b) read one by one. `errors`: the failed calls by error
   * type (only failed calls have one); otherwise, when grouping by error type, the
   * successful calls (the failed ones are counted by the `errors` part).
   */
  #callSums(
    f: QueryFilter,
    a: number,
    b: number,
    opts: GroupOptions,
    errors: boolean,
    withDistinct: boolean,
  ): Part[] {
    const params: Record<string, unknown> = { a, b, error: this.r.id('error') };
    if ((opts.sums ?? 'all') === 'all') {
      params.image = this.r.id('image');
      params.video = this.r.id('video');
    }
    let where = this.r.where(f, 'calls', params);
    let key = 'NULL';
    if (errors) {
      where += ' AND c.error_type IS NOT NULL';
      key = 'c.error_type';
    } else if (opts.by === 'error_type') {
      where += ' AND c.status = @success';
      params.success = this.r.id('success');
    } else if (opts.by !== undefined) key = CALL_FIELD[opts.by];
    let bucket = 'NULL';
    if (opts.bucketMs !== undefined) {
      bucket = 'c.started_at - c.started_at % @bucket';
      params.bucket = opts.bucketMs;
    }
    const distinct = withDistinct
      ? DISTINCT.map((d) => `, json_group_array(DISTINCT ${CALL_FIELD[d]}) AS d_${d}`).join('')
      : '';
    const sql = `SELECT ${key} AS k, ${bucket} AS b, ${sumColumns('calls', opts.sums)},
      ${opts.latency ? 'group_concat(c.duration_us)' : 'NULL'} AS latency,
      max(c.started_at) AS last${distinct}
      FROM calls AS c WHERE c.started_at >= @a AND c.started_at < @b${where}${groupBy(key, bucket)}`;
    return (this.r.prepare(sql).all(params) as SumRow[]).map((r) => this.#parse(r, false));
  }
}
