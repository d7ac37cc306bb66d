import { pusdToUsd } from '@costlens/pricing';
import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  InstrumentType,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Series } from './attribute-sets.js';
import { METRICS } from './metrics.js';
import type { OwnHistogram } from './own-histogram.js';

/** How a metric producer reports; see CostlensInstrumentation.metricProducer. */
export interface MetricProducerOptions {
  /**
   * Cumulative (the default) or delta, by kind of instrument: pass the reader's
   * own choice, `(type) => reader.selectAggregationTemporality(type)`. A delta
   * histogram point carries no min and max (they are not kept per interval).
   */
  aggregationTemporalitySelector?: (type: InstrumentType) => AggregationTemporality;
}

/** What a series had reached at the last collection (for delta points). */
interface Reached {
  calls: number;
  costPusd: number;
  duration: Counts | undefined;
  input: Counts | undefined;
  output: Counts | undefined;
}

interface Counts {
  count: number;
  sum: number;
  counts: number[];
}

/** A metric's name, description and unit. */
type Described = { name: string; description: string; unit: string };

const counts = (h: OwnHistogram | undefined): Counts | undefined =>
  h === undefined ? undefined : { count: h.count, sum: h.sum, counts: [...h.counts] };

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

/**
 * Reports the instrumentation's metrics, summed per series by the
 * instrumentation itself (metrics.ts), to the metric reader it is given to:
 * the conventions' two histograms and the calls and cost counters, with the
 * names, units and bucket boundaries the SDK's instruments have. A reader asks
 * for them at each collection and sends them with the SDK's own, under the
 * instrumentation's scope. One producer per reader: a delta producer remembers
 * what it last reported.
 */
export class CostlensMetricProducer implements MetricProducer {
  private readonly histogramTemporality: AggregationTemporality;
  private readonly counterTemporality: AggregationTemporality;
  /** Weakly: series of a meter provider since replaced are let go. */
  private readonly reached = new WeakMap<Series, Reached>();
  private lastCollection: number | undefined;

  constructor(
    /** The series to report: the instrumentation's current ones (a new meter provider starts new ones). */
    private readonly source: () => readonly Series[],
    private readonly scope: { name: string; version: string },
    options: MetricProducerOptions = {},
  ) {
    const select = options.aggregationTemporalitySelector;
    this.histogramTemporality =
      select?.(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE;
    this.counterTemporality =
      select?.(InstrumentType.OBSERVABLE_COUNTER) ?? AggregationTemporality.CUMULATIVE;
  }

  async collect(): Promise<CollectionResult> {
    const now = Date.now();
    const metrics = this.metricsAt(now);
    this.lastCollection = now;
    return {
      resourceMetrics: {
        // The reader keeps the SDK's resource; this one is not read.
        resource: emptyResource(),
        scopeMetrics: metrics.length === 0 ? [] : [{ scope: this.scope, metrics }],
      },
      errors: [],
    };
  }

  private metricsAt(now: number): MetricData[] {
    const end = hrTime(now);
    const deltaH = this.histogramTemporality === AggregationTemporality.DELTA;
    const deltaC = this.counterTemporality === AggregationTemporality.DELTA;
    const duration: DataPoint<Histogram>[] = [];
    const tokens: DataPoint<Histogram>[] = [];
    const calls: DataPoint<number>[] = [];
    const cost: DataPoint<number>[] = [];
    for (const s of this.source()) {
      const before = deltaH || deltaC ? this.reached.get(s) : undefined;
      // A delta point starts where the last one ended, or where the series did.
      const start = hrTime(
        before !== undefined && this.lastCollection ? this.lastCollection : s.since,
      );
      const cumulativeStart = hrTime(s.since);
      const hStart = deltaH ? start : cumulativeStart;
      const cStart = deltaC ? start : cumulativeStart;
      const h = s.histograms;
      if (h !== undefined) {
        const hb = deltaH ? before : undefined;
        point(duration, h.duration, hb?.duration, deltaH, s.attributes, hStart, end);
        point(tokens, h.input, hb?.input, deltaH, s.input, hStart, end);
        point(tokens, h.output, hb?.output, deltaH, s.output, hStart, end);
      }
      const n = s.calls - (deltaC ? (before?.calls ?? 0) : 0);
      if (n > 0) calls.push({ startTime: cStart, endTime: end, attributes: s.counted, value: n });
      const pusd = s.costPusd - (deltaC ? (before?.costPusd ?? 0) : 0);
      // In USD: the amount leaves the program here.
      if (pusd > 0)
        cost.push({
          startTime: cStart,
          endTime: end,
          attributes: s.counted,
          value: pusdToUsd(pusd),
        });
      if (deltaH || deltaC) {
        this.reached.set(s, {
          calls: s.calls,
          costPusd: s.costPusd,
          duration: counts(h?.duration),
          input: counts(h?.input),
          output: counts(h?.output),
        });
      }
    }
    const out: MetricData[] = [];
    const histogram = (m: Described, dataPoints: DataPoint<Histogram>[]) => {
      if (dataPoints.length > 0) {
        out.push({
          descriptor: { ...m, valueType: ValueType.DOUBLE },
          aggregationTemporality: this.histogramTemporality,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints,
        });
      }
    };
    const sum = (m: Described, dataPoints: DataPoint<number>[]) => {
      if (dataPoints.length > 0) {
        out.push({
          descriptor: { ...m, valueType: ValueType.DOUBLE },
          aggregationTemporality: this.counterTemporality,
          dataPointType: DataPointType.SUM,
          isMonotonic: true,
          dataPoints,
        });
      }
    };
    histogram(METRICS.duration, duration);
    histogram(METRICS.tokenUsage, tokens);
    sum(METRICS.calls, calls);
    sum(METRICS.cost, cost);
    return out;
  }
}

/** One histogram point, unless nothing was recorded (since the last point, for a delta one). */
function point(
  to: DataPoint<Histogram>[],
  h: OwnHistogram,
  before: Counts | undefined,
  delta: boolean,
  attributes: Attributes,
  startTime: HrTime,
  endTime: HrTime,
): void {
  const count = h.count - (before?.count ?? 0);
  if (count === 0) return;
  const value: Histogram = {
    buckets: {
      boundaries: [...h.boundaries],
      counts: h.counts.map((c, i) => c - (before?.counts[i] ?? 0)),
    },
    count,
    sum: h.sum - (before?.sum ?? 0),
  };
  if (!delta) {
    value.min = h.min;
    value.max = h.max;
  }
  to.push({ startTime, endTime, attributes, value });
}
