import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { AttributeSets } from '../src/attribute-sets.js';
import { CallMetrics } from '../src/metrics.js';
import { CHAT_FACTS } from './harness.js';

const facts = CHAT_FACTS;

describe('AttributeSets', () => {
  it('builds each distinct set once and hands the same frozen object back', () => {
    const sets = new AttributeSets();
    const a = sets.base(facts, 'web');
    expect(sets.base({ ...facts }, 'web')).toBe(a);
    expect(sets.base(facts, 'batch')).not.toBe(a);
    expect(sets.base({ ...facts, serverPort: 8443 }, 'web')).not.toBe(a);
    expect(a.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': 'api.openai.com',
      'server.port': 443,
      'costlens.project': 'web',
    });
    expect(Object.isFrozen(a.attributes)).toBe(true);
    expect(a.spanName).toBe('chat gpt-4o-mini');
    expect(a.start(true)).toBe(a.start(true));
    expect(a.start(true)['gen_ai.request.stream']).toBe(true);
    // Absent is not streamed: a call that is not a stream pays for no attribute saying so.
    expect(a.start(false)).toBe(a.start(undefined));
    expect('gen_ai.request.stream' in a.start(false)).toBe(false);
  });

  it('writes costlens.call_type on the span only where the operation does not imply it', () => {
    const sets = new AttributeSets();
    // chat is text: the collector derives the type from the operation, as for any span.
    expect(sets.base(facts, undefined).attributes).not.toHaveProperty('costlens.call_type');
    const embed = sets.base(
      { ...facts, operation: 'embeddings', callType: 'embedding' },
      undefined,
    );
    expect(embed.attributes).not.toHaveProperty('costlens.call_type');
    // A call tracked as audio under a chat operation says what it is.
    const audio = sets.base({ ...facts, callType: 'audio' }, undefined);
    expect(audio.attributes['costlens.call_type']).toBe('audio');
    // The counters always carry it; the histograms never do.
    const series = audio.seriesFor('gpt-4o-mini', undefined);
    expect(series.counted['costlens.call_type']).toBe('audio');
    expect(series.attributes).not.toHaveProperty('costlens.call_type');
    expect(
      sets.base(facts, undefined).seriesFor('x', undefined).counted['costlens.call_type'],
    ).toBe('text');
  });

  it('keys a series by response model and error type, with the token type for the token histogram', () => {
    const base = new AttributeSets().base(facts, undefined);
    const ok = base.seriesFor('gpt-4o-mini-2024-07-18', undefined);
    expect(base.seriesFor('gpt-4o-mini-2024-07-18', undefined)).toBe(ok);
    const failed = base.seriesFor('gpt-4o-mini-2024-07-18', 'RateLimitError');
    expect(failed).not.toBe(ok);
    expect(failed.attributes['error.type']).toBe('RateLimitError');
    expect(base.seriesFor(undefined, 'RateLimitError').attributes).not.toHaveProperty(
      'gen_ai.response.model',
    );
    expect(ok.input).toEqual({ ...ok.attributes, 'gen_ai.token.type': 'input' });
    expect(ok.output).toEqual({ ...ok.attributes, 'gen_ai.token.type': 'output' });
    // The histograms' sets leave the call type to the counters' set.
    expect(ok.attributes).not.toHaveProperty('costlens.call_type');
    expect(ok.counted).toEqual({ ...ok.attributes, 'costlens.call_type': 'text' });
  });

  it('past 2000 series, calls count in one overflow series, as the SDK’s own limit does', () => {
    const sets = new AttributeSets();
    for (let i = 0; i < 2000; i++)
      sets.base({ ...facts, model: `m${i}` }, undefined).seriesFor('x', undefined);
    const late = sets.base({ ...facts, model: 'one-too-many' }, undefined);
    expect(late.attributes['gen_ai.request.model']).toBe('one-too-many');
    const overflow = late.seriesFor('x', undefined);
    expect(overflow.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(sets.base(facts, undefined).seriesFor('y', undefined)).toBe(overflow);
    expect(sets.all).toHaveLength(2001);
  });
});

describe('CallMetrics', () => {
  it('reports the calls and cost counted per series at each collection, cumulatively', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const metrics = new CallMetrics(provider.getMeter('test'));
    const base = metrics.sets.base(facts, undefined);
    const ok = base.seriesFor('gpt-4o-mini', undefined);
    const failed = base.seriesFor('gpt-4o-mini', 'APIConnectionError');
    const collect = async () => {
      exporter.reset();
      await reader.forceFlush();
      const all = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
      const points = (name: string) =>
        all
          .filter((m) => m.descriptor.name === name)
          .flatMap((m) => m.dataPoints as DataPoint<number>[])
          .map((p) => [p.attributes['error.type'] ?? 'ok', p.value]);
      return { calls: points('costlens.client.calls'), cost: points('costlens.client.cost') };
    };
    metrics.record(ok, 0.5, 24, 4, 6_000_000);
    metrics.record(failed, 0.1, undefined, undefined, 0);
    expect(await collect()).toEqual({
      calls: [
        ['ok', 1],
        ['APIConnectionError', 1],
      ],
      // A call billed nothing adds no cost point; $0.000006 is 6,000,000 pUSD.
      cost: [['ok', 0.000006]],
    });
    metrics.record(ok, 0.5, 24, 4, 6_000_000);
    metrics.record(ok, 0.5, 24, 4, undefined);
    expect(await collect()).toEqual({
      calls: [
        ['ok', 3],
        ['APIConnectionError', 1],
      ],
      cost: [['ok', 0.000012]],
    });
    await provider.shutdown();
  });
});
