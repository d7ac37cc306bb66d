import { OPERATION_DURATION_BUCKETS, pusdToUsd, TOKEN_USAGE_BUCKETS } from '@costlens/pricing';
import type { Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { AttributeSets, type Series } from './attribute-sets.js';
import {
  METRIC_COSTLENS_CLIENT_CALLS,
  METRIC_COSTLENS_CLIENT_COST,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from './semconv.js';

/**
 * The instruments of one meter; made once per meter. The conventions' two
 * histograms are recorded on every call. The calls and cost counters are
 * summed here, per series, and reported by observable counters when the
 * metrics are collected: a recording through the SDK sorts and serialises the
 * attributes each time, and two of five recordings a call were these counters.
 */
export class CallMetrics {
  /** The attribute sets and series of the calls these instruments measure. */
  readonly sets = new AttributeSets();
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;

  constructor(meter: Meter) {
    this.tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...TOKEN_USAGE_BUCKETS] },
    });
    this.duration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration',
      unit: 's',
      advice: { explicitBucketBoundaries: [...OPERATION_DURATION_BUCKETS] },
    });
    const all = this.sets.all;
    meter
      .createObservableCounter(METRIC_COSTLENS_CLIENT_COST, {
        description: 'What GenAI calls cost, priced at call time (unpriced calls add nothing)',
        unit: 'USD',
      })
      .addCallback((result: ObservableResult) => {
        // The counter is in USD: the amount leaves the program here.
        for (const s of all) if (s.costPusd > 0) result.observe(pusdToUsd(s.costPusd), s.counted);
      });
    meter
      .createObservableCounter(METRIC_COSTLENS_CLIENT_CALLS, {
        description: 'GenAI calls made, failed ones included',
        unit: '{call}',
      })
      .addCallback((result: ObservableResult) => {
        for (const s of all) if (s.calls > 0) result.observe(s.calls, s.counted);
      });
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
    this.duration.record(durationSeconds, series.attributes);
    if (inputTokens !== undefined) this.tokenUsage.record(inputTokens, series.input);
    if (outputTokens !== undefined) this.tokenUsage.record(outputTokens, series.output);
    series.calls++;
    if (costPusd !== undefined && costPusd > 0) series.costPusd += costPusd;
  }
}
