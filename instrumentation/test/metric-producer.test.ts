import { pusdToUsd } from '@costlens/pricing';
import { type Attributes, DiagLogLevel, diag } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import OpenAI, * as openaiModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostlensMetricProducer, type MetricProducerOptions } from '../src/metric-producer.js';
import { CallMetrics } from '../src/metrics.js';
import { API_KEY, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import { CHAT_FACTS, setupTelemetry, type Telemetry } from './harness.js';

// The metric producer reports what the SDK's instruments would have for the same
// calls, with nothing reported twice; delta when the reader asks for it; and, with
// the real openai SDK, the same counts as the spans.

const facts = CHAT_FACTS;

/** One finished call: duration (s), input and output tokens, cost (pUSD), error type. */
type Recorded = [number, number | undefined, number | undefined, number | undefined, string?];

// On and either side of bucket boundaries (0.01 s, 1 and 4 tokens), below the first and
// past the last (81.92 s, 67108864 tokens), a failure with no usage, an unpriced call.
const CALLS: Recorded[] = [
  [0.005, 0, 1, 1_000],
  [0.01, 1, 4, 6_000_000],
  [0.5, 4, 5, 6_000_000],
  [0.0100001, 5, 3, undefined],
  [100, 70_000_000, 16384, 123_456_789],
  [0.2, undefined, undefined, 0, 'APIConnectionError'],
];

function record(metrics: CallMetrics, calls: Recorded[]): void {
  const base = metrics.sets.base(facts, 'proj');
  for (const [seconds, input, output, cost, error] of calls) {
    metrics.record(base.seriesFor('gpt-4o-mini-2024-07-18', error), seconds, input, output, cost);
  }
}

/** A meter provider whose reader has `producers`, and a way to collect it. */
function reading(makeProducers: (p: { producers: CostlensMetricProducer[] }) => void = () => {}) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const holder = { producers: [] as CostlensMetricProducer[] };
  makeProducers(holder);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 3_600_000,
    metricProducers: holder.producers,
  });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect(): Promise<MetricData[]> {
      exporter.reset();
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    },
  };
}

/** A metric as comparable text: descriptor and points, times left out, points sorted. */
function comparable(m: MetricData) {
  const value = (v: unknown) => {
    if (typeof v === 'number') return v;
    const h = v as Histogram;
    return { buckets: h.buckets, count: h.count, sum: h.sum, min: h.min, max: h.max };
  };
  return {
    name: m.descriptor.name,
    description: m.descriptor.description,
    unit: m.descriptor.unit,
    valueType: m.descriptor.valueType,
    dataPointType: m.dataPointType,
    temporality: m.aggregationTemporality,
    monotonic: 'isMonotonic' in m ? m.isMonotonic : undefined,
    points: (m.dataPoints as DataPoint<unknown>[])
      .map((p) => ({ attributes: p.attributes, value: value(p.value) }))
      .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes))),
  };
}

const byName = (all: MetricData[]) =>
  all.map(comparable).sort((a, b) => a.name.localeCompare(b.name));

describe('CostlensMetricProducer', () => {
  it("reports what the SDK's own instruments report for the same calls, and nothing twice", async () => {
    const sdk = reading();
    const viaSdk = new CallMetrics(sdk.provider.getMeter('@costlens/instrumentation'));
    record(viaSdk, CALLS);

    let own!: CallMetrics;
    const produced = reading((h) => {
      h.producers.push(
        new CostlensMetricProducer(() => own.sets.all, {
          name: '@costlens/instrumentation',
          version: '1',
        }),
      );
    });
    own = new CallMetrics(produced.provider.getMeter('@costlens/instrumentation'), true);
    record(own, CALLS);

    const expected = byName(await sdk.collect());
    const got = await produced.collect();
    expect(expected.map((m) => m.name)).toEqual([
      'costlens.client.calls',
      'costlens.client.cost',
      'gen_ai.client.operation.duration',
      'gen_ai.client.token.usage',
    ]);
    // The SDK's instruments of the producing meter report nothing: each metric once.
    expect(byName(got)).toEqual(expected);
    // The buckets are the SDK's: 0.01 s is in the bucket up to 0.01, a hair above in the next.
    const duration = got.find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')!;
    const ok = duration.dataPoints.find((p) => !('error.type' in p.attributes))!;
    expect((ok.value as Histogram).buckets.counts.slice(0, 3)).toEqual([2, 1, 0]);
    await sdk.provider.shutdown();
    await produced.provider.shutdown();
  });

  it('reports deltas when the reader asks for them: what changed since the last collection', async () => {
    let metrics!: CallMetrics;
    const options: MetricProducerOptions = {
      aggregationTemporalitySelector: () => AggregationTemporality.DELTA,
    };
    const r = reading((h) => {
      h.producers.push(
        new CostlensMetricProducer(() => metrics.sets.all, { name: 's', version: '1' }, options),
      );
    });
    metrics = new CallMetrics(r.provider.getMeter('s'), true);
    record(metrics, CALLS.slice(0, 2));
    const first = await r.collect();
    record(metrics, [[0.5, 10, 2, 3_000_000]]);
    const second = await r.collect();
    const points = (all: MetricData[], name: string) =>
      all.find((m) => m.descriptor.name === name)!.dataPoints as DataPoint<unknown>[];

    for (const m of second) expect(m.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect(points(first, 'costlens.client.calls').map((p) => p.value)).toEqual([2]);
    expect(points(second, 'costlens.client.calls').map((p) => p.value)).toEqual([1]);
    expect(points(second, 'costlens.client.cost').map((p) => p.value)).toEqual([
      pusdToUsd(3_000_000),
    ]);
    const [duration] = points(second, 'gen_ai.client.operation.duration') as DataPoint<Histogram>[];
    expect(duration!.value).toMatchObject({ count: 1, sum: 0.5 });
    // Min and max are not kept per interval: a delta point has none.
    expect(duration!.value.min).toBeUndefined();
    expect(duration!.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(1);
    // The second interval starts where the first ended.
    const firstDuration = points(first, 'gen_ai.client.operation.duration')[0]!;
    expect(duration!.startTime).toEqual(firstDuration.endTime);
    // Nothing changed: no point at all.
    expect(await r.collect()).toEqual([]);
    await r.provider.shutdown();
  });
});

describe('with the real openai SDK', () => {
  let server: FakeOpenAI;
  let t: Telemetry;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI();
    t = setupTelemetry({}, { openai: openaiModule }, true);
    client = new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.shutdown();
    await server.close();
  });

  it('the histograms and counters agree with the spans, each metric reported once', async () => {
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    for await (const _ of stream);
    const spans = t.spans();
    expect(spans).toHaveLength(2);
    const all = (await t.metrics())
      .at(-1)!
      .scopeMetrics.flatMap((s) => s.metrics.map((m) => ({ scope: s.scope.name, m })));
    const names = all.map((x) => x.m.descriptor.name).sort();
    expect(names).toEqual([
      'costlens.client.calls',
      'costlens.client.cost',
      'gen_ai.client.operation.duration',
      'gen_ai.client.token.usage',
    ]);
    for (const x of all) expect(x.scope).toBe('@costlens/instrumentation');
    const metric = (n: string) => all.find((x) => x.m.descriptor.name === n)!.m;
    const sumOf = (key: string) => spans.reduce((s, sp) => s + Number(sp.attributes[key] ?? 0), 0);
    const tokens = metric('gen_ai.client.token.usage').dataPoints as DataPoint<Histogram>[];
    const tokenSum = (type: string) =>
      tokens
        .filter((p) => (p.attributes as Attributes)['gen_ai.token.type'] === type)
        .reduce((s, p) => s + (p.value.sum ?? 0), 0);
    expect(tokenSum('input')).toBe(sumOf('gen_ai.usage.input_tokens'));
    expect(tokenSum('output')).toBe(sumOf('gen_ai.usage.output_tokens'));
    const counted = (n: string) =>
      (metric(n).dataPoints as DataPoint<number>[]).reduce((s, p) => s + p.value, 0);
    expect(counted('costlens.client.calls')).toBe(2);
    expect(counted('costlens.client.cost')).toBeCloseTo(sumOf('costlens.cost.usd'), 12);
    const durations = metric('gen_ai.client.operation.duration')
      .dataPoints as DataPoint<Histogram>[];
    expect(durations.reduce((s, p) => s + p.value.count, 0)).toBe(2);
  });
});

describe('asked for late', () => {
  it('warns when calls were already recorded through the SDK instruments', async () => {
    const t = setupTelemetry();
    const warned: string[] = [];
    diag.setLogger(
      {
        warn: (m: string) => void warned.push(m),
        error: () => {},
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.WARN,
    );
    try {
      t.instrumentation.metricProducer();
      expect(warned).toEqual([]);
      const late = setupTelemetry();
      await late.instrumentation.track(
        {
          provider: 'openai',
          model: 'gpt-4o-mini',
          extract: () => ({ usage: { input_tokens: 1 } }),
        },
        async () => 'answer',
      );
      late.instrumentation.metricProducer();
      expect(warned).toEqual([expect.stringContaining('ask for it before the first call')]);
      await late.shutdown();
    } finally {
      diag.disable();
      await t.shutdown();
    }
  });
});
