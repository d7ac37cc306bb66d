/**
 * An explicit-bucket histogram summed by the instrumentation itself, for the
 * metric producer (metric-producer.ts): the buckets, count, sum, min and max
 * that the SDK's own histogram aggregation keeps, with the same bucket rule
 * (bucket i holds the values above boundary i-1 up to boundary i), so that
 * what it reports is what the SDK would have reported for the same values.
 */
export class OwnHistogram {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** One more than the boundaries: the last holds what is above the last boundary. */
  readonly counts: number[];

  constructor(readonly boundaries: readonly number[]) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    if (Number.isNaN(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // The first boundary at or above the value (binary search: 14 boundaries, 4 steps).
    const b = this.boundaries;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]!++;
  }
}

/** The conventions' two histograms of one series: the duration, and the input and output tokens. */
export class SeriesHistograms {
  readonly duration: OwnHistogram;
  readonly input: OwnHistogram;
  readonly output: OwnHistogram;

  constructor(durationBuckets: readonly number[], tokenBuckets: readonly number[]) {
    this.duration = new OwnHistogram(durationBuckets);
    this.input = new OwnHistogram(tokenBuckets);
    this.output = new OwnHistogram(tokenBuckets);
  }
}
