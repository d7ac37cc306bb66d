import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { API_KEY, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';

// The one import's metrics: register gives each metric reader NodeSDK builds a
// producer of the instrumentation's metrics, with the reader's temporality. An app
// makes two calls; what reaches an OTLP/HTTP JSON endpoint is read as sent.

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const REGISTER = fileURLToPath(new URL('../dist/register.js', import.meta.url));
const APP = fileURLToPath(new URL('./fake-openai-app.mjs', import.meta.url));
const run = promisify(execFile);

let openai: FakeOpenAI;
let otlp: Server;
let otlpUrl: string;
let bodies: { path: string; body: OtlpMetrics }[] = [];

interface OtlpPoint {
  attributes: { key: string; value: { stringValue?: string } }[];
  count?: string | number;
  sum?: number;
  asDouble?: number;
  min?: number;
  max?: number;
}
interface OtlpMetric {
  name: string;
  unit: string;
  histogram?: { aggregationTemporality: number; dataPoints: OtlpPoint[] };
  sum?: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: OtlpPoint[] };
}
interface OtlpMetrics {
  resourceMetrics?: { scopeMetrics: { scope: { name: string }; metrics: OtlpMetric[] }[] }[];
}

beforeAll(async () => {
  openai = await startFakeOpenAI();
  otlp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/metrics') {
        bodies.push({ path: req.url, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => otlp.listen(0, '127.0.0.1', done));
  otlpUrl = `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await openai.close();
  await new Promise((done) => otlp.close(done));
});

/** Runs the app under the one import; the metrics of the instrumentation's scope it sent. */
async function runApp(env: Record<string, string>): Promise<OtlpMetric[]> {
  bodies = [];
  await run(process.execPath, ['--import', REGISTER, APP], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: {
      ...process.env,
      FAKE_OPENAI_URL: openai.baseURL,
      KEY: API_KEY,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      ...env,
    },
  });
  return bodies.flatMap((b) =>
    (b.body.resourceMetrics ?? []).flatMap((r) =>
      r.scopeMetrics
        .filter((s) => s.scope.name === '@costlens/instrumentation')
        .flatMap((s) => s.metrics),
    ),
  );
}

const tokenSum = (m: OtlpMetric, type: string) =>
  m
    .histogram!.dataPoints.filter((p) =>
      p.attributes.some((a) => a.key === 'gen_ai.token.type' && a.value.stringValue === type),
    )
    .reduce((s, p) => s + (p.sum ?? 0), 0);

it('sends the histograms and counters once each, cumulative by default', async () => {
  const metrics = await runApp({});
  expect(metrics.map((m) => m.name).sort()).toEqual([
    'costlens.client.calls',
    'costlens.client.cost',
    'gen_ai.client.operation.duration',
    'gen_ai.client.token.usage',
  ]);
  const byName = (n: string) => metrics.find((m) => m.name === n)!;
  const tokens = byName('gen_ai.client.token.usage');
  // OTLP's AGGREGATION_TEMPORALITY_CUMULATIVE is 2.
  expect(tokens.histogram!.aggregationTemporality).toBe(2);
  // The fake answers 1,000 input and 100 output tokens to a chat call, streamed or not.
  expect(tokenSum(tokens, 'input')).toBe(2_000);
  expect(tokenSum(tokens, 'output')).toBe(200);
  const calls = byName('costlens.client.calls').sum!;
  expect(calls.isMonotonic).toBe(true);
  expect(calls.dataPoints.reduce((s, p) => s + Number(p.asDouble ?? 0), 0)).toBe(2);
  const duration = byName('gen_ai.client.operation.duration').histogram!.dataPoints;
  expect(duration.reduce((s, p) => s + Number(p.count), 0)).toBe(2);
  expect(duration.every((p) => typeof p.min === 'number' && typeof p.max === 'number')).toBe(true);
});

it("sends deltas when the exporter's temporality preference says delta", async () => {
  const metrics = await runApp({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' });
  const tokens = metrics.find((m) => m.name === 'gen_ai.client.token.usage')!;
  // OTLP's AGGREGATION_TEMPORALITY_DELTA is 1.
  expect(tokens.histogram!.aggregationTemporality).toBe(1);
  expect(metrics.find((m) => m.name === 'costlens.client.calls')!.sum!.aggregationTemporality).toBe(
    1,
  );
  expect(tokenSum(tokens, 'input')).toBe(2_000);
  // The producer's mark (the SDK's own delta histograms keep a min and max): it is
  // the instrumentation's sums that were sent, not its SDK instruments'.
  expect(
    tokens.histogram!.dataPoints.every((p) => p.min === undefined && p.max === undefined),
  ).toBe(true);
});
