import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';

let c: RunningCollector;
beforeAll(async () => {
  c = await startCollector();
});
afterAll(() => c.close());

const metric = async (series: string) => {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  return Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.split(' ')[1] ?? 0,
  );
};

describe('/v1/metrics and /v1/logs from the official exporters', () => {
  it.each([
    ['protobuf', (url: string) => new MetricsProto({ url })],
    ['JSON', (url: string) => new MetricsJson({ url })],
  ])('metrics (%s) are accepted and their data points counted', async (_kind, make) => {
    const before = await metric('costlens_ingest_items_total{signal="metrics"}');
    const exporter: PushMetricExporter = make(`${c.url}/v1/metrics`);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'm' }),
      readers: [reader],
    });
    const meter = provider.getMeter('app');
    meter.createCounter('gen_ai.client.calls').add(1, { model: 'a' });
    meter.createCounter('gen_ai.client.calls.other').add(2, { model: 'b' });
    meter.createHistogram('gen_ai.client.operation.duration').record(0.5);
    await provider.shutdown(); // one final export of the three data points
    expect(await metric('costlens_ingest_items_total{signal="metrics"}')).toBe(before + 3);
    expect(
      await metric('costlens_ingest_requests_total{signal="metrics",result="ok"}'),
    ).toBeGreaterThan(0);
  });

  it.each([
    ['protobuf', (url: string) => new LogsProto({ url })],
    ['JSON', (url: string) => new LogsJson({ url })],
  ])('logs (%s) are accepted and their records counted', async (_kind, make) => {
    const before = await metric('costlens_ingest_items_total{signal="logs"}');
    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: make(`${c.url}/v1/logs`) })],
    });
    const logger = provider.getLogger('app');
    logger.emit({ body: 'one' });
    logger.emit({ body: 'two', attributes: { k: 'v' } });
    await provider.forceFlush();
    await provider.shutdown();
    expect(await metric('costlens_ingest_items_total{signal="logs"}')).toBe(before + 2);
  });

  it('a malformed metrics body is 400 and counted as such', async () => {
    const res = await fetch(`${c.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0x10, 0x01]),
    });
    expect(res.status).toBe(400);
    expect(
      await metric('costlens_ingest_requests_total{signal="metrics",result="bad_request"}'),
    ).toBe(1);
  });
});
