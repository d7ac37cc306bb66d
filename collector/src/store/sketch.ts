/**
 * A mergeable latency sketch with 1% relative accuracy (the DDSketch idea):
 * a value v > 0 falls in bucket ceil(log_gamma(v)), gamma = (1+a)/(1-a). Two
 * sketches merge by adding bucket counts, so hourly rollups combine into any
 * window and p50/p95/p99 stay within 1% of the exact percentile.
 */
const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

/** The values of buckets -1024 to 3071 (far past any duration either way), worked out once. */
const VALUES = Float64Array.from(
  { length: 4096 },
  (_, j) => (2 * GAMMA ** (j - 1024)) / (GAMMA + 1),
);

/** The value bucket `i` stands for: 2·gamma^i/(gamma+1), within 1% of any value in it. */
export const bucketValue = (i: number): number =>
  VALUES[i + 1024] ?? (2 * GAMMA ** i) / (GAMMA + 1);

/**
 * The q-quantile (0..1) of `count` values, `zeros` of them zero: the value of the bucket
 * that holds rank q·(count-1), zeros first; null when there are none. `each` visits the
 * buckets with a count in ascending order, and may stop once `visit` answers true.
 */
export function quantileOf(
  q: number,
  count: number,
  zeros: number,
  each: (visit: (i: number, n: number) => boolean) => void,
): number | null {
  if (count === 0) return null;
  const rank = q * (count - 1);
  let seen = zeros;
  if (rank < seen) return 0;
  let found: number | null = null;
  each((i, n) => {
    if (found !== null) return true;
    seen += n;
    if (rank < seen) found = bucketValue(i);
    return found !== null;
  });
  return found;
}

export class LatencySketch {
  readonly buckets = new Map<number, number>();
  zeros = 0;
  count = 0;

  add(valueMs: number, times = 1): void {
    this.count += times;
    if (!(valueMs > 0)) {
      this.zeros += times;
      return;
    }
    const i = Math.ceil(Math.log(valueMs) / LOG_GAMMA);
    this.buckets.set(i, (this.buckets.get(i) ?? 0) + times);
  }

  merge(other: LatencySketch): this {
    this.count += other.count;
    this.zeros += other.zeros;
    for (const [i, n] of other.buckets) this.buckets.set(i, (this.buckets.get(i) ?? 0) + n);
    return this;
  }

  /** The q-quantile (0..1), or null when empty. */
  quantile(q: number): number | null {
    return quantileOf(q, this.count, this.zeros, (visit) => {
      for (const i of [...this.buckets.keys()].sort((a, b) => a - b)) {
        if (visit(i, this.buckets.get(i)!)) return;
      }
    });
  }

  /** Compact bytes: zeros, then (bucket, count) pairs as signed/unsigned varints. */
  encode(): Uint8Array {
    const out: number[] = [];
    const varint = (n: number) => {
      let v = n;
      while (v > 0x7f) {
        out.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
      }
      out.push(v);
    };
    varint(this.zeros);
    for (const [i, n] of this.buckets) {
      varint(i >= 0 ? i * 2 : -i * 2 - 1); // zig-zag
      varint(n);
    }
    return Uint8Array.from(out);
  }

  static decode(bytes: Uint8Array | null | undefined): LatencySketch {
    const s = new LatencySketch();
    if (!bytes || bytes.length === 0) return s;
    let pos = 0;
    const varint = () => {
      let v = 0;
      let mul = 1;
      for (;;) {
        if (pos >= bytes.length) throw new RangeError('latency sketch is truncated');
        const b = bytes[pos++]!;
        v += (b & 0x7f) * mul;
        if (b < 0x80) return v;
        mul *= 128;
      }
    };
    s.zeros = varint();
    s.count = s.zeros;
    while (pos < bytes.length) {
      const z = varint();
      const n = varint();
      const i = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      s.buckets.set(i, (s.buckets.get(i) ?? 0) + n);
      s.count += n;
    }
    return s;
  }
}
