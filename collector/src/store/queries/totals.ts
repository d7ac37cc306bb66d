import type { GroupBy } from './filter.js';
import { Latency } from './latency.js';

/**
 * Totals and what they are summed from: the sums of each source (rollup rows, calls
 * read one by one) as SQL, and the parts a query's rows are parsed into. Money is
 * pUSD, as BigInt: a sum of many calls passes 2^53 pUSD (about $9,000) long before
 * SQLite's 2^63.
 */

export interface Totals {
  calls: number;
  failed: number;
  unpriced: number;
  /** The priced calls' cost. */
  cost_pusd: bigint;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens: number;
  reasoning_tokens: number;
  images: number;
  video_seconds: number;
  image_calls: number;
  video_calls: number;
  latency: Latency;
}

export function emptyTotals(): Totals {
  return {
    calls: 0,
    failed: 0,
    unpriced: 0,
    cost_pusd: 0n,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cache_write_1h_tokens: 0,
    reasoning_tokens: 0,
    images: 0,
    video_seconds: 0,
    image_calls: 0,
    video_calls: 0,
    latency: new Latency(),
  };
}

type SumField = (typeof COUNTS)[number];

export const COUNTS = [
  'calls',
  'failed',
  'unpriced',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'reasoning_tokens',
  'images',
  'video_seconds',
  'image_calls',
  'video_calls',
] as const;

/** Adds `b` into `a`. */
export function addTotals(a: Totals, b: Totals): Totals {
  for (const k of COUNTS) a[k] += b[k];
  a.cost_pusd += b.cost_pusd;
  a.latency.merge(b.latency);
  return a;
}

/** Totals of one group: a key (null: calls without that field), a bucket start, or both. */
export interface Group {
  key: string | null;
  bucket: number | null;
  totals: Totals;
  /** When its last call started (epoch ms); only when asked for. */
  lastAt: number | null;
}

export interface GroupOptions {
  by?: GroupBy;
  /** Bucket width in ms (an hour or a day): totals per bucket start. */
  bucketMs?: number;
  /** Merge latency sketches (the costly part); without it `latency` stays empty. */
  latency?: boolean;
  /** Find each group's last call. */
  lastAt?: boolean;
  /**
   * Which sums: 'tokens' is calls, failed, unpriced, cost and every token count (a
   * breakdown row); 'basic' is calls, failed, unpriced, cost, input and output tokens;
   * 'counts' is calls and unpriced alone (no cost). Each sum costs a pass over the rows.
   */
  sums?: SumLevel;
}

/** A row of either source, summed, as SQLite answers it. */
export type SumRow = Partial<Record<SumField, number>> & {
  k: string | number | null;
  b: number | null;
  /** pUSD as text: SQLite's exact 64-bit sum, read without rounding. */
  cost?: string;
  /** Rollups: hex() of each latency BLOB; calls: their durations in µs (comma-separated). */
  latency: string | null;
  last: number | null;
} & Partial<Record<`d_${(typeof DISTINCT)[number]}`, string>>;

/** A row of either source, parsed: what groups are added up from (and what is kept per hour). */
export interface Part {
  key: string | null;
  /** Rollups: the hour; calls: the bucket's start, or null. */
  b: number | null;
  /** COUNTS in order (0 for a sum not asked for). */
  sums: Float64Array;
  cost: bigint;
  latency: Latency | null;
  last: number | null;
  /** The distinct names of DISTINCT's fields, in its order. */
  distinct: string[][] | null;
}

/**
 * Each sum: over rollup rows, and over calls read one by one. Each costs a pass of
 * its own over tens of thousands of rollup rows, so a query sums what its answer
 * shows (LEVELS) and no more.
 */
const SUMS: [SumField, string, string][] = [
  ['calls', 'sum(r.calls)', 'count(*)'],
  ['failed', 'sum(r.failures)', 'sum(c.status = @error)'],
  ['unpriced', 'sum(r.unpriced)', 'sum(c.cost_pusd IS NULL)'],
  ['input_tokens', 'sum(r.input_tokens)', 'sum(c.input_tokens)'],
  ['output_tokens', 'sum(r.output_tokens)', 'sum(c.output_tokens)'],
  ['cache_read_tokens', 'sum(r.cache_read_tokens)', 'sum(c.cache_read_tokens)'],
  ['cache_write_tokens', 'sum(r.cache_write_tokens)', 'sum(c.cache_write_tokens)'],
  ['cache_write_1h_tokens', 'sum(r.cache_write_1h_tokens)', 'sum(c.cache_write_1h_tokens)'],
  ['reasoning_tokens', 'sum(r.reasoning_tokens)', 'sum(c.reasoning_tokens)'],
  ['images', 'sum(r.images)', 'sum(c.image_count)'],
  ['video_seconds', 'total(r.video_seconds)', 'total(c.video_seconds)'],
  [
    'image_calls',
    "sum(CASE r.call_type WHEN 'image' THEN r.calls ELSE 0 END)",
    'sum(c.call_type = @image)',
  ],
  [
    'video_calls',
    "sum(CASE r.call_type WHEN 'video' THEN r.calls ELSE 0 END)",
    'sum(c.call_type = @video)',
  ],
];
type SumLevel = 'all' | 'tokens' | 'basic' | 'counts';
const LEVELS: Record<SumLevel, readonly SumField[]> = {
  all: SUMS.map(([name]) => name),
  // The counts up to the last kind of token: COUNTS lists them first.
  tokens: COUNTS.slice(0, COUNTS.indexOf('reasoning_tokens') + 1),
  basic: ['calls', 'failed', 'unpriced', 'input_tokens', 'output_tokens'],
  counts: ['calls', 'unpriced'],
};

export function sumColumns(on: 'rollups' | 'calls', level: SumLevel = 'all'): string {
  const cols = SUMS.filter(([name]) => LEVELS[level].includes(name)).map(
    ([name, rollups, calls]) => `ifnull(${on === 'rollups' ? rollups : calls}, 0) AS ${name}`,
  );
  if (level !== 'counts') {
    cols.push(`CAST(ifnull(sum(${on === 'rollups' ? 'r' : 'c'}.cost_pusd), 0) AS TEXT) AS cost`);
  }
  return cols.join(', ');
}

/** The fields distinct values are counted of, in a summary. */
export const DISTINCT = ['model', 'user', 'account', 'project'] as const;
export type Distinct = Record<'models' | 'users' | 'accounts' | 'projects', number>;

/** GROUP BY only what varies: grouping by constants would still sort every row. */
export function groupBy(key: string, bucket: string): string {
  const cols = [key === 'NULL' ? '' : 'k', bucket === 'NULL' ? '' : 'b'].filter(Boolean);
  return cols.length === 0 ? '' : ` GROUP BY ${cols.join(', ')}`;
}

/**
 * A pUSD sum as SQLite wrote it: an integer, exact; or, for a rollup row whose cost
 * passed 64 bits and was stored as a real (store.ts), that real rounded.
 */
export function pusdOf(text: string): bigint {
  return /^-?\d+$/.test(text) ? BigInt(text) : BigInt(Math.round(Number(text)));
}

/** Parts merged into one per key (their bucket: `b`), latency frozen again. */
export function mergeParts(parts: Part[], b: number): Part[] {
  const byKey = new Map<string | null, Part>();
  for (const p of parts) {
    let m = byKey.get(p.key);
    if (m === undefined) {
      m = {
        key: p.key,
        b,
        sums: new Float64Array(COUNTS.length),
        cost: 0n,
        latency: p.latency === null ? null : new Latency(),
        last: null,
        distinct: p.distinct === null ? null : DISTINCT.map(() => []),
      };
      byKey.set(p.key, m);
    }
    for (let j = 0; j < m.sums.length; j++) m.sums[j]! += p.sums[j]!;
    m.cost += p.cost;
    if (p.latency !== null) m.latency?.merge(p.latency);
    if (p.last !== null) m.last = Math.max(m.last ?? p.last, p.last);
    if (p.distinct !== null && m.distinct !== null) {
      p.distinct.forEach((names, i) => {
        m!.distinct![i]!.push(...names);
      });
    }
  }
  for (const m of byKey.values()) {
    m.latency?.freeze();
    if (m.distinct !== null) m.distinct = m.distinct.map((names) => [...new Set(names)]);
  }
  return [...byKey.values()];
}
