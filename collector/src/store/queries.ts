import type Database from 'better-sqlite3';
import { LatencySketch } from './sketch.js';

/**
 * The reads of the query API, and nothing SQLite-specific outside this file.
 * Totals come from the hourly rollups for the whole hours of a window and from
 * the calls for the partial hours at its edges, so they are exact at any
 * boundary and stay fast however many calls there are. Money is pUSD, as BigInt:
 * a sum of many calls passes 2^53 pUSD (about $9,000) long before SQLite's 2^63.
 * Every value from a request is a bound parameter; only names from the fixed
 * lists below are ever written into SQL.
 */

export const HOUR_MS = 3_600_000;

/** Calls that started in [from, to) (epoch ms) and match every field given. */
export interface QueryFilter {
  from: number;
  to: number;
  project?: string;
  user?: string;
  account?: string;
  provider?: string;
  /** The response model, else the request model: the rollups' `model`. */
  model?: string;
  call_type?: string;
  status?: string;
}

export const DIMENSIONS = [
  'project',
  'user',
  'account',
  'provider',
  'model',
  'call_type',
  'status',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** What totals can be grouped by: a rollup field, or the error type (read from the failed calls). */
export type GroupBy = Dimension | 'error_type';

/** The same field in the calls table, where text is an id into `strings`. */
const CALL_FIELD: Record<GroupBy, string> = {
  project: 'c.project',
  user: 'c.user',
  account: 'c.account',
  provider: 'c.provider',
  model: 'coalesce(c.response_model, c.request_model)',
  call_type: 'c.call_type',
  status: 'c.status',
  error_type: 'c.error_type',
};

/**
 * Latency of a set of calls: the bucket counts of store/sketch.ts's LatencySketch,
 * held in a dense array over the buckets seen (merging thousands of them is then a
 * loop over numbers, not Map lookups), and the sum of durations for the mean.
 */
export class Latency {
  /** Bucket `first + j` holds counts[j]. */
  #first = 0;
  #counts: Float64Array | null = null;
  /** Once frozen: the buckets with a count, ascending, and their counts. */
  #sparse: { buckets: Int32Array; counts: Float64Array } | null = null;
  zeros = 0;
  count = 0;
  /** Exact for calls read one by one, from the buckets' values for rollup rows. */
  sumMs = 0;

  /** Buckets it holds room for (what it weighs). */
  get span(): number {
    return this.#sparse?.buckets.length ?? this.#counts?.length ?? 0;
  }

  mean(): number | null {
    return this.count === 0 ? null : this.sumMs / this.count;
  }

  /**
   * The q-quantile (within 1%), as LatencySketch.quantile answers it: the value of the
   * bucket that holds rank q·(count-1), zeros first; null without calls.
   */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = q * (this.count - 1);
    let seen = this.zeros;
    if (rank < seen) return 0;
    let found: number | null = null;
    this.#each((i, n) => {
      if (found !== null) return;
      seen += n;
      if (rank < seen) found = bucketValue(i);
    });
    return found;
  }

  /** Each bucket with a count. */
  #each(fn: (i: number, n: number) => void): void {
    if (this.#sparse !== null) {
      const { buckets, counts } = this.#sparse;
      for (let j = 0; j < buckets.length; j++) fn(buckets[j]!, counts[j]!);
      return;
    }
    const counts = this.#counts;
    if (counts === null) return;
    for (let j = 0; j < counts.length; j++) if (counts[j]! > 0) fn(this.#first + j, counts[j]!);
  }

  /**
   * Keeps only the buckets with a count, for a latency that is merged into others
   * and not added to again (a part kept per hour): merging it then costs its buckets,
   * not the span between them.
   */
  freeze(): this {
    const buckets: number[] = [];
    const counts: number[] = [];
    this.#each((i, n) => {
      buckets.push(i);
      counts.push(n);
    });
    this.#sparse = { buckets: Int32Array.from(buckets), counts: Float64Array.from(counts) };
    this.#counts = null;
    return this;
  }

  /** Adds `n` durations of bucket `i` (their value counted as the bucket's). */
  addBucket(i: number, n: number): void {
    this.#room(i, i);
    this.#counts![i - this.#first]! += n;
    this.count += n;
    this.sumMs += n * bucketValue(i);
  }

  /** Makes the array span buckets lo..hi. */
  #room(lo: number, hi: number): void {
    const counts = this.#counts;
    if (counts === null) {
      this.#first = lo;
      this.#counts = new Float64Array(Math.max(hi - lo + 1, 64));
      return;
    }
    const first = Math.min(this.#first, lo);
    const end = Math.max(this.#first + counts.length, hi + 1);
    if (first === this.#first && end === this.#first + counts.length) return;
    // Grow by half again, so buckets arriving one by one do not copy every time.
    const size = Math.max(end - first, Math.ceil(counts.length * 1.5));
    const start = lo < this.#first ? Math.min(first, end - size) : first;
    const grown = new Float64Array(size);
    grown.set(counts, this.#first - start);
    this.#first = start;
    this.#counts = grown;
  }

  /**
   * Adds rollup sketches given as SQLite's hex() of each BLOB, comma-separated (one
   * string for a whole group: far cheaper than a buffer per row). The encoding is
   * store/sketch.ts's: the zero count, then (zig-zag bucket, count) varints.
   */
  addRollupHex(hex: string): void {
    let pos = 0;
    const varint = () => {
      let v = 0;
      let mul = 1;
      for (;;) {
        const b = (HEX[hex.charCodeAt(pos)]! << 4) | HEX[hex.charCodeAt(pos + 1)]!;
        pos += 2;
        v += (b & 0x7f) * mul;
        if (b < 0x80) return v;
        mul *= 128;
      }
    };
    while (pos < hex.length) {
      const zeros = varint();
      this.zeros += zeros;
      this.count += zeros;
      while (pos < hex.length && hex.charCodeAt(pos) !== COMMA) {
        const z = varint();
        const n = varint();
        this.addBucket(z % 2 === 0 ? z / 2 : -(z + 1) / 2, n);
      }
      pos++; // the comma
    }
  }

  /** Adds the durations (µs) of calls read one by one, comma-separated: exact sum, sketched buckets. */
  addDurations(list: string): void {
    const s = new LatencySketch();
    for (const us of list.split(',')) {
      const ms = Number(us) / 1000;
      s.add(ms);
      this.sumMs += ms;
    }
    this.zeros += s.zeros;
    this.count += s.zeros;
    for (const [i, n] of s.buckets) {
      this.#room(i, i);
      this.#counts![i - this.#first]! += n;
      this.count += n;
    }
  }

  merge(other: Latency): void {
    this.zeros += other.zeros;
    this.count += other.count;
    this.sumMs += other.sumMs;
    const sparse = other.#sparse;
    if (sparse !== null) {
      const { buckets, counts } = sparse;
      const n = buckets.length;
      if (n === 0) return;
      this.#room(buckets[0]!, buckets[n - 1]!);
      const mine = this.#counts!;
      const first = this.#first;
      for (let j = 0; j < n; j++) mine[buckets[j]! - first]! += counts[j]!;
      return;
    }
    const theirs = other.#counts;
    if (theirs === null) return;
    this.#room(other.#first, other.#first + theirs.length - 1);
    const mine = this.#counts!;
    const at = other.#first - this.#first;
    for (let j = 0; j < theirs.length; j++) mine[at + j]! += theirs[j]!;
  }
}

/**
 * store/sketch.ts keeps a value v in bucket ceil(log_gamma(v)), gamma = (1 + 0.01) / (1 - 0.01),
 * and answers 2·gamma^i/(gamma+1) for it (within 1%): rollup rows' durations count as that.
 */
const GAMMA = (1 + 0.01) / (1 - 0.01);
/** The values of buckets -1024 to 3071 (far past any duration either way), worked out once. */
const VALUES = Float64Array.from(
  { length: 4096 },
  (_, j) => (2 * GAMMA ** (j - 1024)) / (GAMMA + 1),
);
const bucketValue = (i: number) => VALUES[i + 1024] ?? (2 * GAMMA ** i) / (GAMMA + 1);
const COMMA = 44;
/** Hex digit values by character code. */
const HEX = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
}

/** The sums of a set of calls. */
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

const COUNTS = [
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
type SumRow = Partial<Record<SumField, number>> & {
  k: string | number | null;
  b: number | null;
  /** pUSD as text: SQLite's exact 64-bit sum, read without rounding. */
  cost?: string;
  /** Rollups: hex() of each latency BLOB; calls: their durations in µs (comma-separated). */
  latency: string | null;
  last: number | null;
} & Partial<Record<`d_${(typeof DISTINCT)[number]}`, string>>;

/** A row of either source, parsed: what groups are added up from (and what is kept per hour). */
interface Part {
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

export interface ListOptions {
  sort: SortBy;
  desc: boolean;
  limit: number;
  /** Rows to skip (page numbers), or... */
  offset?: number;
  /** ...the row to go on after (a cursor). */
  after?: ListPosition;
}

/** A stored call as the list and the export show it (text resolved, ids hex). */
export interface CallRow {
  rid: number;
  trace_id: string;
  span_id: string;
  started_at: number;
  duration_us: number;
  ttft_us: number | null;
  service: string | null;
  project: string | null;
  user: string | null;
  account: string | null;
  provider: string | null;
  operation: string | null;
  call_type: string;
  request_model: string | null;
  response_model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  cache_write_1h_tokens: number | null;
  reasoning_tokens: number | null;
  image_count: number | null;
  image_size: string | null;
  image_resolution: string | null;
  image_quality: string | null;
  video_seconds: number | null;
  video_resolution: string | null;
  video_audio: number | null;
  aspect_ratio: string | null;
  status: string;
  error_type: string | null;
  error_message: string | null;
  retry_count: number;
  cost_pusd: number | null;
  pricing_source: string | null;
  unpriced_reason: string | null;
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
  tokens: [
    'calls',
    'failed',
    'unpriced',
    'input_tokens',
    'output_tokens',
    'cache_read_tokens',
    'cache_write_tokens',
    'cache_write_1h_tokens',
    'reasoning_tokens',
  ],
  basic: ['calls', 'failed', 'unpriced', 'input_tokens', 'output_tokens'],
  counts: ['calls', 'unpriced'],
};

function sumColumns(on: 'rollups' | 'calls', level: SumLevel = 'all'): string {
  const cols = SUMS.filter(([name]) => LEVELS[level].includes(name)).map(
    ([name, rollups, calls]) => `ifnull(${on === 'rollups' ? rollups : calls}, 0) AS ${name}`,
  );
  if (level !== 'counts') {
    cols.push(`CAST(ifnull(sum(${on === 'rollups' ? 'r' : 'c'}.cost_pusd), 0) AS TEXT) AS cost`);
  }
  return cols.join(', ');
}

/**
 * An hour is settled this long after its start: rollup_changes counts every later
 * change to it (its triggers leave out the current hour only, by a clock read to the
 * second; a minute more spares exports that straddle the hour a recount).
 */
const KEEP_AFTER_MS = HOUR_MS + 60_000;

/** The fields distinct values are counted of, in a summary. */
const DISTINCT = ['model', 'user', 'account', 'project'] as const;
export type Distinct = Record<'models' | 'users' | 'accounts' | 'projects', number>;

/** GROUP BY only what varies: grouping by constants would still sort every row. */
function groupBy(key: string, bucket: string): string {
  const cols = [key === 'NULL' ? '' : 'k', bucket === 'NULL' ? '' : 'b'].filter(Boolean);
  return cols.length === 0 ? '' : ` GROUP BY ${cols.join(', ')}`;
}

/** Ids remembered per direction before the caches start over. */
const CACHE_LIMIT = 50_000;
/** Queries whose merged settled hours are kept. */
const MERGED_LIMIT = 500;
/** Rollup rows deleted per statement: about a day of hours. */
const ROLLUP_DELETE_HOURS = 24;

/** The whole hours of [from, to), and the partial hours at its edges. */
export function splitWindow(
  from: number,
  to: number,
): { hours: [number, number] | null; edges: [number, number][] } {
  const h0 = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const h1 = Math.floor(to / HOUR_MS) * HOUR_MS;
  if (h0 >= h1) return { hours: null, edges: from < to ? [[from, to]] : [] };
  const edges: [number, number][] = [];
  if (from < h0) edges.push([from, h0]);
  if (h1 < to) edges.push([h1, to]);
  return { hours: [h0, h1], edges };
}

/** The query API's reads over the store's database (its reading connection). */
export class Queries {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #ids = new Map<string, number>();
  readonly #values = new Map<number, string>();
  readonly #idOf: Database.Statement;
  readonly #valueOf: Database.Statement;
  readonly #oldest: Database.Statement;
  readonly #cache: HourCache;
  /** Per query: its settled hours merged, with the hours and versions they were merged at. */
  readonly #merged = new Map<string, { stamp: string; parts: Part[] }>();
  readonly #versions: Database.Statement;

  /**
   * `now`: the clock that tells which hours are old enough to keep (tests pass their own).
   * `cacheBytes`: how much the kept sums of past hours may take.
   */
  constructor(
    db: Database.Database,
    readonly options: { now?: () => number; cacheBytes?: number } = {},
  ) {
    this.#db = db;
    this.#cache = new HourCache(options.cacheBytes ?? 64 * 1024 * 1024);
    this.#versions = db.prepare(
      'SELECT hour, version FROM rollup_changes WHERE hour >= ? AND hour < ?',
    );
    this.#idOf = db.prepare('SELECT id FROM strings WHERE value = ?').pluck();
    this.#valueOf = db.prepare('SELECT value FROM strings WHERE id = ?').pluck();
    this.#oldest = db.prepare('SELECT min(started_at) FROM calls').pluck();
  }

  #prepare(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** The strings id of a value; -1 (no row has it) when the value was never stored. */
  #id(value: string): number {
    const cached = this.#ids.get(value);
    if (cached !== undefined) return cached;
    const id = this.#idOf.get(value) as number | undefined;
    // A value not stored yet may be by the next export: only ids found are kept.
    if (id === undefined) return -1;
    if (this.#ids.size >= CACHE_LIMIT) this.#ids.clear();
    this.#ids.set(value, id);
    return id;
  }

  #value(id: number | null): string | null {
    if (id === null) return null;
    let v = this.#values.get(id);
    if (v === undefined) {
      v = (this.#valueOf.get(id) as string | undefined) ?? '';
      if (this.#values.size >= CACHE_LIMIT) this.#values.clear();
      this.#values.set(id, v);
    }
    return v;
  }

  /** `AND field = @field` for each field the filter gives, on the rollups (text) or the calls (ids). */
  #where(f: QueryFilter, on: 'rollups' | 'calls', params: Record<string, unknown>): string {
    let sql = '';
    for (const d of DIMENSIONS) {
      const v = f[d];
      if (v === undefined) continue;
      if (on === 'rollups') {
        sql += ` AND r.${d} = @${d}`;
        params[d] = v;
      } else {
        sql += ` AND ${CALL_FIELD[d]} = @${d}`;
        params[d] = this.#id(v);
      }
    }
    return sql;
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
      for (const part of this.#callSums(f, a, b, opts, false, withDistinct)) add(part, false);
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
    if (opts.lastAt && by !== undefined) this.#findLastCalls(f, by, groups);
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
          const name = typeof v === 'number' ? this.#value(v) : v;
          if (name !== null && name !== '') names.push(name);
        }
        return names;
      });
    }
    return {
      key: fromRollups ? (row.k as string | null) : this.#value(row.k as number | null),
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
    let where = this.#where(f, 'rollups', params);
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
    return this.#hourly(sql, params, [h0, h1], true, h0, opts.bucketMs !== undefined);
  }

  /**
   * The failed calls of the whole hours [h0, h1) by error type and hour, read from
   * the calls (the rollups have no error type). An hour is kept like a rollup hour
   * (a late call changes its rollups too) while all of its calls are still stored.
   */
  #errorSums(f: QueryFilter, [h0, h1]: [number, number], opts: GroupOptions): Part[] {
    const params: Record<string, unknown> = { error: this.#id('error') };
    if ((opts.sums ?? 'all') === 'all') {
      params.image = this.#id('image');
      params.video = this.#id('video');
    }
    const where = this.#where(f, 'calls', params);
    const sql = `SELECT c.error_type AS k, c.started_at - c.started_at % ${HOUR_MS} AS b,
      ${sumColumns('calls', opts.sums)},
      ${opts.latency ? 'group_concat(c.duration_us)' : 'NULL'} AS latency, max(c.started_at) AS last
      FROM calls AS c WHERE c.started_at >= @h0 AND c.started_at < @h1
      AND c.error_type IS NOT NULL${where} GROUP BY b, k`;
    // Retention removes the oldest calls first: hours after the oldest call's are whole.
    const oldest = (this.#oldest.get() as number | null) ?? h1;
    return this.#hourly(
      sql,
      params,
      [h0, h1],
      false,
      Math.floor(oldest / HOUR_MS) * HOUR_MS + HOUR_MS,
      opts.bucketMs !== undefined,
    );
  }

  /**
   * Parts of the whole hours [h0, h1) from `sql` (which groups by hour as `b`): hours
   * from `keepFrom` that are over are kept per query (its SQL and parameters) and
   * reused while rollup_changes says their rows did not change (see migrations.ts).
   */
  #hourly(
    sql: string,
    params: Record<string, unknown>,
    [h0, h1]: [number, number],
    fromRollups: boolean,
    keepFrom: number,
    byHour: boolean,
  ): Part[] {
    const statement = this.#prepare(sql);
    const read = (a: number, b: number) =>
      (statement.all({ ...params, h0: a, h1: b }) as SumRow[]).map((r) =>
        this.#parse(r, fromRollups),
      );
    const now = (this.options.now ?? Date.now)();
    const settled = Math.min(h1, Math.floor((now - KEEP_AFTER_MS) / HOUR_MS) * HOUR_MS + HOUR_MS);
    const first = Math.max(h0, keepFrom);
    if (settled <= first) return read(h0, h1);
    const signature = `${sql}\u0000${JSON.stringify(params)}`;
    // Versions first: a change that lands while the rows are read leaves them marked stale.
    const rows = this.#versions.all(first, settled) as { hour: number; version: number }[];
    const versions = new Map(rows.map((v) => [v.hour, v.version]));
    const out: Part[] = h0 < first ? read(h0, first) : [];
    const tail = () => (settled < h1 ? read(settled, h1) : []);
    // Without buckets, the settled hours' parts are also kept merged into one per key: a
    // repeated request (the page refreshing) merges nothing.
    const stamp = `${first}:${settled}:${rows.map((v) => `${v.hour}=${v.version}`).join(',')}`;
    if (!byHour) {
      const merged = this.#merged.get(signature);
      if (merged?.stamp === stamp) {
        this.#merged.delete(signature);
        this.#merged.set(signature, merged);
        return [...out, ...merged.parts, ...tail()];
      }
    }
    const kept: Part[] = [];
    let missingFrom: number | null = null;
    const fill = (end: number) => {
      if (missingFrom === null) return;
      const fresh = new Map<number, Part[]>();
      for (const part of read(missingFrom, end)) {
        kept.push(part);
        fresh.set(part.b!, [...(fresh.get(part.b!) ?? []), part]);
      }
      for (let h = missingFrom; h < end; h += HOUR_MS) {
        this.#cache.set(signature, h, versions.get(h) ?? 0, fresh.get(h) ?? []);
      }
      missingFrom = null;
    };
    for (let h = first; h < settled; h += HOUR_MS) {
      const parts = this.#cache.get(signature, h, versions.get(h) ?? 0);
      if (parts === undefined) missingFrom ??= h;
      else {
        fill(h);
        for (const part of parts) kept.push(part);
      }
    }
    fill(settled);
    if (byHour) return [...out, ...kept, ...tail()];
    const merged = mergeParts(kept, first);
    this.#merged.set(signature, { stamp, parts: merged });
    for (const k of this.#merged.keys()) {
      if (this.#merged.size <= MERGED_LIMIT) break;
      this.#merged.delete(k);
    }
    return [...out, ...merged, ...tail()];
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
    const params: Record<string, unknown> = { a, b, error: this.#id('error') };
    if ((opts.sums ?? 'all') === 'all') {
      params.image = this.#id('image');
      params.video = this.#id('video');
    }
    let where = this.#where(f, 'calls', params);
    let key = 'NULL';
    if (errors) {
      where += ' AND c.error_type IS NOT NULL';
      key = 'c.error_type';
    } else if (opts.by === 'error_type') {
      where += ' AND c.status = @success';
      params.success = this.#id('success');
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
    return (this.#prepare(sql).all(params) as SumRow[]).map((r) => this.#parse(r, false));
  }

  /**
   * The exact start of each group's last call. Groups whose last call fell in the
   * partial hour at the end have it already; for the others the rollups tell the hour,
   * and the calls of that hour tell the time (the hour itself once its calls are gone).
   */
  #findLastCalls(
    f: QueryFilter,
    by: GroupBy,
    groups: (Group & { lastHour: number | null })[],
  ): void {
    const pending = groups.filter(
      (g) => g.lastHour !== null && (g.lastAt === null || g.lastAt < g.lastHour),
    );
    const byHour = new Map<number, (Group & { lastHour: number | null })[]>();
    for (const g of pending) {
      const list = byHour.get(g.lastHour!) ?? [];
      list.push(g);
      byHour.set(g.lastHour!, list);
    }
    for (const [hour, list] of byHour) {
      const params: Record<string, unknown> = { a: hour, b: hour + HOUR_MS };
      let where = this.#where(f, 'calls', params);
      let key = CALL_FIELD[by];
      if (by === 'error_type') {
        key = 'NULL';
        where += ' AND c.status = @success';
        params.success = this.#id('success');
      }
      let found: Map<string | null, number>;
      if (by === 'project' && list.length < 50) {
        // One project's calls of the hour, through its index.
        found = new Map();
        const one = this.#prepare(
          `SELECT max(c.started_at) FROM calls AS c WHERE c.project IS @key AND c.started_at >= @a AND c.started_at < @b${where}`,
        ).pluck();
        for (const g of list) {
          const at = one.get({ ...params, key: g.key === null ? null : this.#id(g.key) }) as
            | number
            | null;
          if (at !== null) found.set(g.key, at);
        }
      } else {
        // The hour's calls newest first, until every group's last one is found: the
        // groups still active late in the hour are found after a few rows.
        found = new Map();
        const rows = this.#prepare(
          `SELECT ${key} AS k, c.started_at AS m FROM calls AS c WHERE c.started_at >= @a AND c.started_at < @b${where} ORDER BY c.started_at DESC`,
        ).iterate(params) as IterableIterator<{ k: number | null; m: number }>;
        const wanted = new Set(list.map((g) => g.key));
        for (const r of rows) {
          const name = this.#value(r.k);
          if (!wanted.has(name) || found.has(name)) continue;
          found.set(name, r.m);
          if (found.size === wanted.size) break;
        }
      }
      for (const g of list) g.lastAt = found.get(g.key) ?? hour;
    }
  }

  /** Whether any call the fields match was ever counted (its raw row may be gone). */
  exists(fields: Omit<QueryFilter, 'from' | 'to'>): boolean {
    const params: Record<string, unknown> = {};
    const where = this.#where({ ...fields, from: 0, to: 0 }, 'rollups', params);
    return (
      this.#prepare(`SELECT 1 FROM rollups_hourly AS r WHERE 1${where} LIMIT 1`).get(params) !==
      undefined
    );
  }

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
      keys = take(this.#keys(window, opts.sort, opts.desc, hours, want, opts.after), want);
    } else if (offset >= total) {
      keys = [];
    } else if (opts.sort === 'time') {
      keys = take(this.#timeKeys(window, opts.desc, hours, want, undefined, offset), want);
    } else if (offset > total / 2) {
      // The same rows read backwards from the far end, where fewer come before them.
      const end = Math.min(total, offset + want);
      const back = take(
        this.#keys(window, opts.sort, !opts.desc, hours, want, undefined, true),
        total - offset,
      );
      keys = back.slice(total - end).reverse();
    } else {
      keys = take(skip(this.#keys(window, opts.sort, opts.desc, hours, want), offset), want);
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
    let batch: number[] = [];
    for (const k of this.#keys(window, sort, desc, hours, size)) {
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
    const oldest = this.#oldest.get() as number | null;
    return { ...f, from: Math.max(f.from, oldest ?? f.to) };
  }

  /** Calls (and unpriced calls) per hour of the window, whole and partial, oldest first. */
  #hourCounts(f: QueryFilter): HourCount[] {
    return this.groups(f, { bucketMs: HOUR_MS, sums: 'counts' })
      .map((g) => ({ hour: g.bucket!, calls: g.totals.calls, unpriced: g.totals.unpriced }))
      .filter((h) => h.calls > 0)
      .sort((a, b) => a.hour - b.hour);
  }

  /** The keys of the matching calls in the order; `chunk` is how many are read at once. */
  #keys(
    f: QueryFilter,
    sort: SortBy,
    desc: boolean,
    hours: HourCount[],
    chunk: number,
    after?: ListPosition,
    nullsFirst = false,
  ): Generator<ListPosition> {
    if (sort === 'time') return this.#timeKeys(f, desc, hours, chunk, after);
    return this.#valueKeys(f, sort, desc, hours, after, nullsFirst);
  }

  /**
   * Keys by start time, from the time (or project) index, `chunk` at a time after the
   * last. A large offset skips whole hours by their counts first.
   */
  *#timeKeys(
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
    const where = this.#where(f, 'calls', base);
    const sql = (withAfter: boolean) =>
      this.#prepare(
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
  *#valueKeys(
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
    const where = this.#where(f, 'calls', base);
    const statement = (valued: boolean, withAfter: boolean) => {
      const order = valued ? `${column} ${dir}, ` : '';
      const cursor = valued ? `(${column}, c.started_at, c.rowid)` : '(c.started_at, c.rowid)';
      return this.#prepare(
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

  /** Full rows of these calls, in this order. */
  #rowsById(ids: number[]): CallRow[] {
    if (ids.length === 0) return [];
    const rows = this.#prepare(
      `SELECT ${CALL_COLUMNS} FROM calls AS c WHERE c.rowid IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(ids)) as CallRow[];
    const byId = new Map(rows.map((r) => [r.rid, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** One call by its ids (hex), with everything stored about it; null when there is none. */
  call(traceId: string, spanId: string): CallDetailRow | null {
    const row = this.#prepare(
      `SELECT ${DETAIL_COLUMNS} FROM calls AS c WHERE c.span_id = ? AND c.trace_id = ?`,
    ).get(Buffer.from(spanId, 'hex'), Buffer.from(traceId, 'hex')) as CallDetailRow | undefined;
    return row ?? null;
  }

  /** The first and last stored call the fields match (any time), and how many there are. */
  stored(f: Omit<QueryFilter, 'from' | 'to'>): {
    calls: number;
    oldest: number | null;
    newest: number | null;
  } {
    const params: Record<string, unknown> = {};
    const where = this.#where({ ...f, from: 0, to: 0 }, 'calls', params);
    const ends = this.#prepare(
      `SELECT (SELECT c.started_at FROM calls AS c WHERE 1${where} ORDER BY c.started_at ASC LIMIT 1) AS oldest,
              (SELECT c.started_at FROM calls AS c WHERE 1${where} ORDER BY c.started_at DESC LIMIT 1) AS newest`,
    ).get(params) as { oldest: number | null; newest: number | null };
    if (ends.oldest === null || ends.newest === null) return { calls: 0, ...ends };
    // Stored calls are those since the oldest (retention removes the oldest first), so
    // the rollups count them for every whole hour.
    let calls = 0;
    for (const g of this.groups(
      { ...f, from: ends.oldest, to: ends.newest + 1 },
      { sums: 'counts' },
    ))
      calls += g.totals.calls;
    return { calls, ...ends };
  }

  /**
   * Removes the rollup rows of the oldest day of hours that ended at or before
   * `before`: call again until it answers null (nothing left), so a long delete
   * leaves room for exports between days. Raw calls are removed by Store.pruneCalls.
   */
  deleteRollupsBefore(before: number): number | null {
    const end = Math.floor(before / HOUR_MS) * HOUR_MS;
    const first = this.#prepare('SELECT min(hour) FROM rollups_hourly').pluck().get() as
      | number
      | null;
    if (first === null || first >= end) return null;
    this.#cache.clear();
    this.#merged.clear();
    return this.#prepare('DELETE FROM rollups_hourly WHERE hour >= ? AND hour < ?').run(
      first,
      Math.min(end, first + ROLLUP_DELETE_HOURS * HOUR_MS),
    ).changes;
  }
}

/**
 * A pUSD sum as SQLite wrote it: an integer, exact; or, for a rollup row whose cost
 * passed 64 bits and was stored as a real (store.ts), that real rounded.
 */
function pusdOf(text: string): bigint {
  return /^-?\d+$/.test(text) ? BigInt(text) : BigInt(Math.round(Number(text)));
}

/** Parts merged into one per key (their bucket: `b`), latency frozen again. */
function mergeParts(parts: Part[], b: number): Part[] {
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

interface HourCount {
  hour: number;
  calls: number;
  unpriced: number;
}

/**
 * Sums of past hours per query (its SQL and parameters), each with the version of the
 * hour it was read at; the least recently used go first past `limit` bytes (roughly:
 * the latency text they hold and a few hundred bytes a row).
 */
class HourCache {
  readonly #entries = new Map<string, { version: number; rows: Part[]; bytes: number }>();
  #bytes = 0;

  constructor(readonly limit: number) {}

  get(signature: string, hour: number, version: number): Part[] | undefined {
    const id = `${hour}\u0000${signature}`;
    const e = this.#entries.get(id);
    if (e === undefined) return undefined;
    this.#entries.delete(id);
    if (e.version !== version) {
      this.#bytes -= e.bytes;
      return undefined;
    }
    this.#entries.set(id, e);
    return e.rows;
  }

  set(signature: string, hour: number, version: number, rows: Part[]): void {
    const id = `${hour}\u0000${signature}`;
    const old = this.#entries.get(id);
    if (old !== undefined) {
      this.#entries.delete(id);
      this.#bytes -= old.bytes;
    }
    let bytes = 256 + signature.length;
    for (const r of rows) {
      bytes += 400 + 8 * (r.latency?.span ?? 0);
      for (const names of r.distinct ?? []) for (const n of names) bytes += 40 + 2 * n.length;
    }
    if (bytes > this.limit) return;
    this.#entries.set(id, { version, rows, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.limit) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
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
