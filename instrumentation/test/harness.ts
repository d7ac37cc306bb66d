import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { BaseFacts } from '../src/attribute-sets.js';
import { CostlensInstrumentation } from '../src/instrumentation.js';
import type { CostlensInstrumentationConfig } from '../src/types.js';

/**
 * A real tracer and meter provider with in-memory exporters, and the
 * instrumentation wired to them: what a test needs to see emitted telemetry.
 */
export interface Telemetry {
  instrumentation: CostlensInstrumentation;
  spans(): ReadableSpan[];
  /** Collects the metrics recorded so far (cumulative). */
  metrics(): Promise<ResourceMetrics[]>;
  reset(): void;
  shutdown(): Promise<void>;
}

let contextManager: AsyncLocalStorageContextManager | undefined;

export function setupTelemetry(
  config: CostlensInstrumentationConfig = {},
  modules: Parameters<CostlensInstrumentation['instrumentModules']>[0] = {},
  /** Whether the reader has the instrumentation's metric producer (else its SDK instruments report). */
  metricProducer = false,
): Telemetry {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })],
  });
  const instrumentation = new CostlensInstrumentation({ enabled: false, ...config });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
    metricProducers: metricProducer ? [instrumentation.metricProducer()] : [],
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);
  instrumentation.enable();
  instrumentation.instrumentModules(modules);
  return {
    instrumentation,
    spans: () => spanExporter.getFinishedSpans(),
    async metrics() {
      await reader.forceFlush();
      return metricExporter.getMetrics();
    },
    reset() {
      spanExporter.reset();
      metricExporter.reset();
    },
    async shutdown() {
      instrumentation.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
    },
  };
}

/** The one span finished since the last reset; fails when there are none or several. */
export function onlySpan(t: Telemetry): ReadableSpan {
  const spans = t.spans();
  if (spans.length !== 1) {
    throw new Error(
      `expected one finished span, found ${spans.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  }
  return spans[0]!;
}

/** Waits until `n` spans have finished (streams end their span after the caller's last read). */
export async function waitForSpans(t: Telemetry, n: number, ms = 2000): Promise<ReadableSpan[]> {
  const until = Date.now() + ms;
  while (t.spans().length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  return t.spans();
}

export type Handler = (
  req: IncomingMessage & { body: string; json: () => unknown },
  res: ServerResponse,
) => void | Promise<void>;

export interface FakeServer {
  url: string;
  port: number;
  /** Every request received: method, path (with query) and body. */
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** A local HTTP server on a free loopback port that answers as `handler` says. */
export async function startServer(handler: Handler): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    const r = Object.assign(req, { body, json: () => JSON.parse(body) as unknown });
    try {
      await handler(r, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err) } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Server-sent events as the providers send them: `event:` lines when a name is
 * given (Anthropic), bare `data:` lines otherwise (OpenAI, Gemini). `gapMs` spaces
 * the events out so time to first chunk and early breaks can be seen.
 */
export async function sendSse(
  res: ServerResponse,
  events: { event?: string; data: unknown }[],
  opts: { gapMs?: number; done?: boolean; failAfter?: number } = {},
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let sent = 0;
  for (const e of events) {
    if (opts.failAfter !== undefined && sent === opts.failAfter) {
      res.destroy(); // the connection drops mid-stream
      return;
    }
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`);
    sent++;
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  if (opts.done) res.write('data: [DONE]\n\n');
  res.end();
}

/**
 * Registers a test file's lifecycle around a testbed (a fake provider server and
 * telemetry): made once before the tests, handed to `assign`, checked and reset
 * after each test by `afterEachTest` (default: reset the telemetry), closed at the end.
 */
export function useTestbed<B extends { t: Telemetry; server: FakeServer }>(
  make: () => Promise<B>,
  assign: (bed: B) => void,
  afterEachTest: (bed: B) => void = (bed) => bed.t.reset(),
): void {
  let bed: B | undefined;
  beforeAll(async () => {
    bed = await make();
    assign(bed);
  });
  afterEach(() => {
    if (bed) afterEachTest(bed);
  });
  afterAll(async () => {
    await bed?.t.shutdown();
    await bed?.server.close();
  });
}

/** What an openai chat call's attribute set is made of (for tests of the sets and metrics). */
export const CHAT_FACTS: BaseFacts = Object.freeze({
  operation: 'chat',
  provider: 'openai',
  callType: 'text',
  model: 'gpt-4o-mini',
  serverAddress: 'api.openai.com',
  serverPort: 443,
});
