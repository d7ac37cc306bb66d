import { OPERATION_DURATION_BUCKETS, pusdToUsd, TOKEN_USAGE_BUCKETS } from '@costlens/pricing';
import type { Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { AttributeSets, type Series } from './attribute-sets.js';
import { SeriesHistograms } from './own-histogram.js';
import {
  METRIC_COSTLENS_CLIENT_CALLS,
  METRIC_COSTLENS_CLIENT_COST,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from './semconv.js';

/** Name, description and unit of each metric, the same through the SDK's instruments and the producer. */
export const METRICS = {
  tokenUsage: {
    name: METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
    description: 'Number of input and output tokens used',
    unit: '{token}',
  },
  duration: {
    name: METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
    description: 'GenAI operation duration',
    unit: 's',
  },
  cost: {
    name: METRIC_COSTLENS_CLIENT_COST,
    description: 'What GenAI calls cost, priced at call time (unpriced calls add nothing)',
    unit: 'USD',
  },
  calls: {
    name: METRIC_COSTLENS_CLIENT_CALLS,
    description: 'GenAI calls made, failed ones included',
    unit: '{call}',
  },
} as const;

/**
 * The instruments of one meter; made once per meter. The calls and cost
 * counters are summed here, per series, and reported by observable counters
 * when the metrics are collected: a recording through the SDK sorts and
 * serialises the attributes each time. The conventions' two histograms are
 * recorded through the SDK on every call, unless a metric producer reports them
 * (`summedHere`): they are then summed here too, and the producer reports all
 * four at collection, which spares a call its three recordings (measured: the
 * largest part of what the instrumentation added to a call).
 */
export class CallMetrics {
  /** The attribute sets and series of the calls these instruments measure. */
  readonly sets = new AttributeSets();
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;

  constructor(
    meter: Meter,
    /** Whether a metric producer reports the metrics, in place of the SDK's instruments. */
    private summedHere = false,
  ) {
    this.tokenUsage = meter.createHistogram(METRICS.tokenUsage.name, {
      description: METRICS.tokenUsage.description,
      unit: METRICS.tokenUsage.unit,
      advice: { explicitBucketBoundaries: [...TOKEN_USAGE_BUCKETS] },
    });
    this.duration = meter.createHistogram(METRICS.duration.name, {
      description: METRICS.duration.description,
      unit: METRICS.duration.unit,
      advice: { explicitBucketBoundaries: [...OPERATION_DURATION_BUCKETS] },
    });
    const all = this.sets.all;
    meter
      .createObservableCounter(METRICS.cost.name, {
        description: METRICS.cost.description,
        unit: METRICS.cost.unit,
      })
      .addCallback((result: ObservableResult) => {
        if (this.summedHere) return;
        // The counter is in USD: the amount leaves the program here.
        for (const s of all) if (s.costPusd > 0) result.observe(pusdToUsd(s.costPusd), s.counted);
      });
    meter
      .createObservableCounter(METRICS.calls.name, {
        description: METRICS.calls.description,
        unit: METRICS.calls.unit,
      })
      .addCallback((result: ObservableResult) => {
        if (this.summedHere) return;
        for (const s of all) if (s.calls > 0) result.observe(s.calls, s.counted);
      });
  }

  /** From now on a metric producer reports every metric; the SDK's instruments are left unused. */
  sumHere(): void {
    this.summedHere = true;
  }

  get isSummedHere(): boolean {
    return this.summedHere;
  }

  /**
   * One finished call of `series`. Token counts and the cost (pUSD) are absent
   * when unknown: an unpriced call adds nothing to the cost rather than a false 0.
   */
  record(
    series: Series,
    durationSeconds: number,
    inputTokens: number | undefined,
    outputTokens: number | undefined,
    costPusd: number | undefined,
  ): void {
    if (this.summedHere) {
      let h = series.histograms;
      if (h === undefined) {
        h = new SeriesHistograms(OPERATION_DURATION_BUCKETS, TOKEN_USAGE_BUCKETS);
        series.histograms = h;
      }
      h.duration.record(durationSeconds);
      if (inputTokens !== undefined) h.input.record(inputTokens);
      if (outputTokens !== undefined) h.output.record(outputTokens);
    } else {
      this.duration.record(durationSeconds, series.attributes);
      if (inputTokens !== undefined) this.tokenUsage.record(inputTokens, series.input);
      if (outputTokens !== undefined) this.tokenUsage.record(outputTokens, series.output);
    }
    series.calls++;
    if (costPusd !== undefined && costPusd > 0) series.costPusd += costPusd;
  }
}
