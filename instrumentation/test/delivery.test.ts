import { context, DiagLogLevel, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeUndelivered, sayUndelivered, takeOverDelivery } from '../src/delivery.js';
import { freePort, startCollector } from './fake-collector.js';

// register's exporters as NodeSDK builds them from the OTEL_* variables, each OTLP/HTTP
// one given a courier (found in fields the SDK does not export: an upgrade that moves
// them fails here), and the one line said at exit of what was not delivered.

describe('takeOverDelivery()', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const api of [trace, metrics, context, propagation]) api.disable();
  });

  /** A NodeSDK started as register starts it, from the OTEL_* variables given. */
  function startSdk(env: Record<string, string>): NodeSDK {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const sdk = new NodeSDK({ logRecordProcessors: [], autoDetectResources: false });
    sdk.start();
    return sdk;
  }

  const record = () => {
    trace.getTracer('test').startSpan('a span').end();
    metrics.getMeter('test').createCounter('calls').add(1, { kind: 'test' });
  };

  it.for([
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ])('sends %s traces and metrics through couriers', async ([protocol, type]) => {
    const collector = await startCollector();
    try {
      const sdk = startSdk({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol!,
      });
      const delivery = takeOverDelivery(sdk);
      expect(delivery.mayHoldLoop()).toBe(false); // both exporters taken over
      record();
      await sdk.shutdown();
      await delivery.idle();
      expect(collector.received.map((r) => [r.url, r.headers['content-type']]).sort()).toEqual([
        ['/v1/metrics', type],
        ['/v1/traces', type],
      ]);
      expect(delivery.undeliveredLine()).toBeUndefined();
    } finally {
      await collector.close();
    }
  });

  it('counts the spans and metric points a collector that is down did not get', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const sdk = startSdk({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    const delivery = takeOverDelivery(sdk);
    record();
    record();
    delivery.cutOff(Date.now() + 500);
    await sdk.shutdown();
    await delivery.idle();
    expect(delivery.undeliveredLine()).toBe(
      `costlens: 2 spans and 1 metric point not delivered to ${endpoint} (connect ECONNREFUSED); is the collector running?`,
    );
  });

  it('leaves an exporter of another kind alone, and says it may hold the app', async () => {
    const sdk = startSdk({ OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none' });
    const delivery = takeOverDelivery(sdk);
    expect(delivery.mayHoldLoop()).toBe(true);
    await sdk.shutdown();
  });
});

describe('describeUndelivered()', () => {
  const none = { items: 0, batches: 0, uncounted: 0 };
  const refused = { reason: 'connect ECONNREFUSED', unreachable: true, retryable: true };
  const spans = { noun: 'spans' as const, url: 'http://localhost:4318/v1/traces' };
  const points = { noun: 'metric points' as const, url: 'http://localhost:4318/v1/metrics' };

  it('is undefined when everything was delivered', () => {
    expect(
      describeUndelivered([
        { ...spans, ...none },
        { ...points, ...none },
      ]),
    ).toBeUndefined();
  });

  it('names the endpoint once when both signals went there and failed alike', () => {
    expect(
      describeUndelivered([
        { ...spans, items: 3, batches: 2, uncounted: 0, last: refused },
        { ...points, items: 12, batches: 1, uncounted: 0, last: refused },
      ]),
    ).toBe(
      'costlens: 3 spans and 12 metric points not delivered to http://localhost:4318 (connect ECONNREFUSED); is the collector running?',
    );
  });

  it('counts exports when the size of a batch was not known, in the singular for one', () => {
    expect(
      describeUndelivered([
        { ...spans, items: 1, batches: 1, uncounted: 0, last: refused },
        { ...points, items: 0, batches: 1, uncounted: 1, last: refused },
      ]),
    ).toBe(
      'costlens: 1 span and 1 metric export not delivered to http://localhost:4318 (connect ECONNREFUSED); is the collector running?',
    );
  });

  it('names each URL and reason when they differ; no question when the collector answered', () => {
    const rejected = { reason: 'HTTP 400', unreachable: false, retryable: false };
    expect(
      describeUndelivered([
        {
          ...spans,
          url: 'https://a.example/v1/traces',
          items: 2,
          batches: 1,
          uncounted: 0,
          last: rejected,
        },
        {
          ...points,
          url: 'https://b.example/m',
          items: 4,
          batches: 1,
          uncounted: 0,
          last: rejected,
        },
      ]),
    ).toBe(
      'costlens: 2 spans not delivered to https://a.example (HTTP 400) and 4 metric points not delivered to https://b.example/m (HTTP 400)',
    );
  });
});

describe('sayUndelivered()', () => {
  afterEach(() => {
    diag.disable();
    vi.restoreAllMocks();
  });
  const LINE = 'costlens: 1 span not delivered to http://localhost:4318 (no answer)';

  it('with no OTEL_LOG_LEVEL, prints the line on stderr and nothing else diag is told', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    sayUndelivered(LINE, false);
    diag.warn('something the SDK says');
    diag.error('costlens: something else');
    expect(warn.mock.calls).toEqual([[LINE]]);
  });

  it('with OTEL_LOG_LEVEL set, says it through the logger diag already has', () => {
    const warnings: string[] = [];
    const ignore = () => {};
    diag.setLogger(
      {
        error: ignore,
        warn: (m) => void warnings.push(m),
        info: ignore,
        debug: ignore,
        verbose: ignore,
      },
      DiagLogLevel.WARN,
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    sayUndelivered(LINE, true);
    expect(warnings).toEqual([LINE]);
    expect(warn).not.toHaveBeenCalled();
  });
});
