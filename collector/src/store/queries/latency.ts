import { bucketValue, LatencySketch, quantileOf } from '../sketch.js';

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
    return quantileOf(q, this.count, this.zeros, (visit) => {
      this.#each((i, n) => {
        visit(i, n);
      });
    });
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

  /**
   * This latency less the calls `other` holds, bucket by bucket (an hour's rollup less
   * its calls outside a window), the mean from the buckets' values as for any rollup;
   * null when `other` has a call this one has not (the two did not count the same calls).
   */
  minus(other: Latency): Latency | null {
    const left = new Map<number, number>();
    this.#each((i, n) => {
      left.set(i, n);
    });
    let short = false;
    other.#each((i, n) => {
      const rest = (left.get(i) ?? 0) - n;
      if (rest < 0) short = true;
      left.set(i, rest);
    });
    const zeros = this.zeros - other.zeros;
    if (short || zeros < 0) return null;
    const out = new Latency();
    out.zeros = zeros;
    out.count = zeros;
    for (const i of [...left.keys()].sort((x, y) => x - y)) {
      const n = left.get(i)!;
      if (n > 0) out.addBucket(i, n);
    }
    return out;
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

const COMMA = 44;
/** Hex digit values by character code. */
const HEX = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
}
