import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { type RunningPrometheus, scrapeConfig, startPrometheus } from './prometheus-harness.js';
import { finishedSpans } from './spans.js';

// A real Prometheus scrapes the real /metrics.
let collector: RunningCollector;
let prometheus: RunningPrometheus | undefined;
afterAll(async () => {
  await prometheus?.close();
  await collector?.close();
});

describe('Prometheus scraping the collector', () => {
  it('sees the cost the collector stored, to the cent', async () => {
    collector = await startCollector();
    const spans = finishedSpans(
      { 'service.name': 'app', 'costlens.project': 'shop' },
      '@costlens/instrumentation',
      (t) => {
        for (let i = 0; i < 3; i++) {
          t.startSpan('chat gpt-4o', {
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.usage.input_tokens': 1_000_000,
              'gen_ai.usage.output_tokens': 100_000,
            },
          }).end();
        }
      },
    );
    const exported = await new Promise<{ code: number }>((resolve) =>
      new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }).export(spans, resolve),
    );
    expect(exported.code).toBe(0);

    prometheus = await startPrometheus({ config: scrapeConfig(new URL(collector.url).host) });
    const shop = 'sum(costlens_cost_usd_total{project="shop"})';
    const [cost] = await prometheus.waitFor(shop, (s) => s.length > 0);
    // 3 calls of 1M input at $2.50 and 100k output at $10 per 1M: $10.50.
    expect(cost!.value).toBe(10.5);
    const [calls] = await prometheus.query('sum(costlens_calls_total)');
    expect(calls!.value).toBe(3);
  }, 60_000);
});
