/**
 * A mergeable latency sketch with 1% relative accuracy (the DDSketch idea):
 * a value v > 0 falls in bucket ceil(log_gamma(v)), gamma = (1+a)/(1-a). Two
 * sketches merge by adding bucket counts, so hourly rollups combine into any
 * window and p50/p95/p99 stay within 1% of the exact percentile.
 */
const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

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
    if (this.count === 0) return null;
    const rank = q * (this.count - 1);
    let seen = this.zeros;
    if (rank < seen) return 0;
    for (const i of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(i)!;
      if (rank < seen) return (2 * GAMMA ** i) / (GAMMA + 1);
    }
    return null;
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
