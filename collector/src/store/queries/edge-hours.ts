import { CALL_FIELD, HOUR_MS, type QueryFilter, type Reader } from './filter.js';
import { lastStarts } from './last-calls.js';
import { Latency } from './latency.js';
import {
  COUNTS,
  DISTINCT,
  type GroupOptions,
  type Part,
  pusdOf,
  type SumRow,
  sumColumns,
} from './totals.js';

/** The rollup key's text fields, in the order a row's tuple is written. */
const TUPLE = ['project', 'user', 'account', 'provider', 'model', 'call_type', 'status'] as const;
type Field = (typeof TUPLE)[number];

/** One rollup row (or the calls counted in it), summed. */
interface Sum {
  fields: string[];
  sums: Float64Array;
  cost: bigint;
  latency: Latency | null;
}

/**
 * The calls of a window's partial hour read from that hour's rollup rows less the
 * calls of the hour outside the window, when that reads fewer calls than the window's
 * part does: the current hour of a window that ends now has no calls after it, so a
 * "last 24 hours" query reads rollups and no calls however fast calls come in. The
 * subtraction is per rollup row, so every sum, the distinct names and the latency
 * buckets are those of the calls inside; the mean latency is from the buckets' values,
 * as for every whole hour.
 */
export class EdgeHours {
  /** Whether the stored calls of the oldest stored call's hour are all its rollups count. */
  #whole: { hour: number; oldest: number; whole: boolean } | null = null;

  constructor(
    readonly r: Reader,
    readonly now: () => number,
  ) {}

  /**
   * Parts of the calls in [a, b), inside one hour, from the rollups; null when reading
   * the calls is cheaper, or the hour's rollups do not count exactly its stored calls
   * (some were deleted), or the `errors` part (failed calls by error type) is asked for.
   */
  parts(f: QueryFilter, a: number, b: number, opts: GroupOptions, withDistinct: boolean) {
    const h = Math.floor(a / HOUR_MS) * HOUR_MS;
    const e = h + HOUR_MS;
    // Time stands in for calls. None are stored before the oldest one, so the hour
    // before it counts for nothing: a window cut to the oldest call (the call list's,
    // on a new database) reads the rollups, not every call since. Calls after now are
    // rare (a client's clock ahead): read, but not counted on.
    const oldest = (this.r.oldest.get() as number | null) ?? b;
    const start = Math.max(a, oldest);
    const outside = Math.max(0, a - Math.max(h, oldest)) + Math.max(0, Math.min(e, this.now()) - b);
    if (outside >= b - start) return null;
    return this.r.db.transaction(() =>
      this.#wholeHour(h) ? this.#read(f, h, [a, b], opts, withDistinct) : null,
    )();
  }

  /**
   * Retention and deletes remove the oldest calls first, and keep their rollups: the
   * hours after the oldest stored call's are whole, and its own is when the counts agree.
   */
  #wholeHour(h: number): boolean {
    const oldest = this.r.oldest.get() as number | null;
    if (oldest === null) return false;
    const first = Math.floor(oldest / HOUR_MS) * HOUR_MS;
    if (h !== first) return h > first;
    const known = this.#whole;
    if (known?.hour === h && known.oldest === oldest) return known.whole;
    const counted = this.r
      .prepare('SELECT ifnull(sum(calls), 0) FROM rollups_hourly WHERE hour = ?')
      .pluck()
      .get(h) as number;
    const stored = this.r
      .prepare('SELECT count(*) FROM calls WHERE started_at >= ? AND started_at < ?')
      .pluck()
      .get(h, h + HOUR_MS) as number;
    this.#whole = { hour: h, oldest, whole: counted === stored };
    return counted === stored;
  }

  #read(
    f: QueryFilter,
    h: number,
    [a, b]: [number, number],
    opts: GroupOptions,
    withDistinct: boolean,
  ): Part[] | null {
    const rows = new Map<string, Sum>();
    for (const row of this.#rollupRows(f, h, opts)) rows.set(row.fields.join('\u0000'), row);
    for (const [lo, hi] of [
      [h, a],
      [b, h + HOUR_MS],
    ] as const) {
      if (lo >= hi) continue;
      for (const out of this.#callRows(f, lo, hi, opts)) {
        const row = rows.get(out.fields.join('\u0000'));
        if (row === undefined) return null;
        for (let j = 0; j < COUNTS.length; j++) row.sums[j]! -= out.sums[j]!;
        row.cost -= out.cost;
        if (row.latency !== null && out.latency !== null) {
          row.latency = row.latency.minus(out.latency);
          if (row.latency === null) return null;
        }
      }
    }
    const by = opts.by;
    const parts = new Map<string | null, Part>();
    for (const row of rows.values()) {
      const calls = row.sums[0]!;
      if (calls < 0) return null;
      if (calls === 0) {
        if (row.cost !== 0n) return null;
        continue;
      }
      const value = by === undefined || by === 'error_type' ? '' : row.fields[TUPLE.indexOf(by)]!;
      const key = value === '' ? null : value;
      let part = parts.get(key);
      if (part === undefined) {
        part = {
          key,
          b: h,
          sums: new Float64Array(COUNTS.length),
          cost: 0n,
          latency: opts.latency ? new Latency() : null,
          last: null,
          distinct: withDistinct ? DISTINCT.map(() => []) : null,
        };
        parts.set(key, part);
      }
      for (let j = 0; j < COUNTS.length; j++) part.sums[j]! += row.sums[j]!;
      part.cost += row.cost;
      if (row.latency !== null) part.latency?.merge(row.latency);
      if (part.distinct !== null) {
        DISTINCT.forEach((d, i) => {
          const name = row.fields[TUPLE.indexOf(d)]!;
          if (name !== '') part!.distinct![i]!.push(name);
        });
      }
    }
    const out = [...parts.values()];
    for (const part of out) {
      part.latency?.freeze();
      if (part.distinct !== null) part.distinct = part.distinct.map((n) => [...new Set(n)]);
    }
    if (opts.lastAt && by !== undefined) {
      const found = lastStarts(
        this.r,
        f,
        by,
        a,
        b,
        out.map((p) => p.key),
      );
      for (const part of out) part.last = found.get(part.key) ?? null;
    }
    return out;
  }

  /** The hour's rollup rows the filter matches, one by one (the successful calls' alone, by error type). */
  #rollupRows(f: QueryFilter, h: number, opts: GroupOptions): Sum[] {
    const params: Record<string, unknown> = { h };
    let where = this.r.where(f, 'rollups', params);
    if (opts.by === 'error_type') where += ` AND r.status = 'success'`;
    const fields = TUPLE.map((d) => `r.${d} AS ${d}`).join(', ');
    const sql = `SELECT ${fields}, NULL AS k, NULL AS b, ${sumColumns('rollups', opts.sums)},
      ${opts.latency ? 'hex(r.latency)' : 'NULL'} AS latency, NULL AS last
      FROM rollups_hourly AS r WHERE r.hour = @h${where}
      GROUP BY ${TUPLE.map((d) => `r.${d}`).join(', ')}`;
    return (this.r.prepare(sql).all(params) as (SumRow & Record<Field, string>)[]).map((row) => {
      let latency: Latency | null = null;
      if (row.latency !== null) {
        latency = new Latency();
        latency.addRollupHex(row.latency);
      }
      return { fields: TUPLE.map((d) => row[d]), ...sumsOf(row), latency };
    });
  }

  /** The calls in [lo, hi) the filter matches, summed per rollup row they are counted in. */
  #callRows(f: QueryFilter, lo: number, hi: number, opts: GroupOptions): Sum[] {
    const params: Record<string, unknown> = { lo, hi, error: this.r.id('error') };
    if ((opts.sums ?? 'all') === 'all') {
      params.image = this.r.id('image');
      params.video = this.r.id('video');
    }
    let where = this.r.where(f, 'calls', params);
    if (opts.by === 'error_type') {
      where += ' AND c.status = @success';
      params.success = this.r.id('success');
    }
    const fields = TUPLE.map((d) => `${CALL_FIELD[d]} AS ${d}`).join(', ');
    const sql = `SELECT ${fields}, NULL AS k, NULL AS b, ${sumColumns('calls', opts.sums)},
      ${opts.latency ? 'group_concat(c.duration_us)' : 'NULL'} AS latency, NULL AS last
      FROM calls AS c WHERE c.started_at >= @lo AND c.started_at < @hi${where}
      GROUP BY ${TUPLE.map((d) => CALL_FIELD[d]).join(', ')}`;
    return (this.r.prepare(sql).all(params) as (SumRow & Record<Field, number | null>)[]).map(
      (row) => {
        let latency: Latency | null = null;
        if (row.latency !== null) {
          latency = new Latency();
          latency.addDurations(row.latency);
        }
        return {
          fields: TUPLE.map((d) => this.r.value(row[d]) ?? ''),
          ...sumsOf(row),
          latency,
        };
      },
    );
  }
}

function sumsOf(row: SumRow): { sums: Float64Array; cost: bigint } {
  const sums = new Float64Array(COUNTS.length);
  for (let j = 0; j < COUNTS.length; j++) sums[j] = row[COUNTS[j]!] ?? 0;
  return { sums, cost: row.cost === undefined ? 0n : pusdOf(row.cost) };
}
