import { OPERATION_DURATION_BUCKETS, pusdToUsd, TOKEN_USAGE_BUCKETS } from '@costlens/pricing';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  METRIC_COSTLENS_CLIENT_CALLS,
  METRIC_COSTLENS_CLIENT_COST,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from './semconv.js';

/** What one finished call contributes to the metrics. */
export interface CallMeasurement {
  /** Low-cardinality attributes: operation, provider, models, server, error type, call type, project. */
  attributes: Attributes;
  durationSeconds: number;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** In pUSD; absent when the call is unpriced: it adds nothing rather than a false 0. */
  costPusd: number | undefined;
}

/** The instruments of one meter; made once per meter, recorded on every call. */
export class CallMetrics {
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly cost: Counter;
  private readonly calls: Counter;

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
    this.cost = meter.createCounter(METRIC_COSTLENS_CLIENT_COST, {
      description: 'What GenAI calls cost, priced at call time (unpriced calls add nothing)',
      unit: 'USD',
    });
    this.calls = meter.createCounter(METRIC_COSTLENS_CLIENT_CALLS, {
      description: 'GenAI calls made, failed ones included',
      unit: '{call}',
    });
  }

  record(m: CallMeasurement): void {
    this.duration.record(m.durationSeconds, m.attributes);
    this.calls.add(1, m.attributes);
    if (m.inputTokens !== undefined) {
      this.tokenUsage.record(m.inputTokens, { ...m.attributes, [ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
    }
    if (m.outputTokens !== undefined) {
      this.tokenUsage.record(m.outputTokens, {
        ...m.attributes,
        [ATTR_GEN_AI_TOKEN_TYPE]: 'output',
      });
    }
    // The counter is in USD: the amount leaves the program here.
    if (m.costPusd !== undefined && m.costPusd > 0) {
      this.cost.add(pusdToUsd(m.costPusd), m.attributes);
    }
  }
}
