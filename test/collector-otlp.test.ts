import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { finishedSpans } from './spans.js';

const running: RunningCollector[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.close();
});

/** Makes spans the way an instrumented app does, and keeps them to send again. */
function makeSpans(): ReadableSpan[] {
  return finishedSpans(
    { 'service.name': 'checkout', 'costlens.project': 'shop' },
    '@costlens/instrumentation',
    (tracer) => {
      const chat = tracer.startSpan('chat gpt-4o', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 10_000,
          'gen_ai.usage.output_tokens': 500,
          'gen_ai.usage.cache_read.input_tokens': 8_000,
          'gen_ai.response.finish_reasons': ['stop'],
          'costlens.user': 'u-1',
        },
      });
      chat.end();
      const video = tracer.startSpan('video_generation veo-3.1-generate-001', {
        attributes: {
          'gen_ai.operation.name': 'video_generation',
          'gen_ai.provider.name': 'gcp.vertex_ai',
          'gen_ai.request.model': 'veo-3.1-generate-001',
          'costlens.video.seconds': 8,
          'costlens.video.resolution': '1080p',
          'costlens.video.audio': true,
        },
      });
      video.end();
      const failed = tracer.startSpan('chat claude-sonnet-4-5', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4-5',
          'error.type': 'RateLimitError',
        },
      });
      failed.setStatus({ code: SpanStatusCode.ERROR, message: '429 rate_limit_error' });
      failed.end();
      const unknown = tracer.startSpan('chat acme-1', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'acme-1',
          'gen_ai.usage.input_tokens': 50,
        },
      });
      unknown.end();
      tracer.startSpan('GET /checkout', { attributes: { 'http.request.method': 'GET' } }).end();
    },
  );
}

function send(
  exporter: SpanExporter,
  spans: ReadableSpan[],
): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}
const metric = (text: string, series: string) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.split(' ')[1],
  );

describe.each([
  [
    'protobuf (exporter-trace-otlp-proto)',
    (url: string) => new ProtoExporter({ url: `${url}/v1/traces` }),
  ],
  [
    'JSON (exporter-trace-otlp-http)',
    (url: string) => new HttpJsonExporter({ url: `${url}/v1/traces` }),
  ],
])('the official OTLP exporter, %s, to a running collector', (_name, exporterFor) => {
  it('stores every GenAI span exactly once, priced, and /metrics agrees', async () => {
    const collector = await startCollector();
    running.push(collector);
    const exporter = exporterFor(collector.url);
    const spans = makeSpans();
    expect(await send(exporter, spans)).toEqual({ code: 0 });

    const db = collector.parts.store.db;
    const rows = db
      .prepare(
        'SELECT request_model, provider, project, user, status, error_type, input_tokens, cache_read_tokens, cost_pusd, unpriced_reason IS NOT NULL AS unpriced FROM call_records ORDER BY request_model',
      )
      .all();
    expect(rows).toEqual([
      {
        request_model: 'acme-1',
        provider: 'openai',
        project: 'shop',
        user: null,
        status: 'success',
        error_type: null,
        input_tokens: 50,
        cache_read_tokens: null,
        cost_pusd: null,
        unpriced: 1,
      },
      {
        request_model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        project: 'shop',
        user: null,
        status: 'error',
        error_type: 'RateLimitError',
        input_tokens: null,
        cache_read_tokens: null,
        cost_pusd: 0,
        unpriced: 0,
      },
      {
        request_model: 'gpt-4o',
        provider: 'openai',
        project: 'shop',
        user: 'u-1',
        status: 'success',
        error_type: null,
        input_tokens: 10_000,
        cache_read_tokens: 8_000,
        cost_pusd: 20_000_000_000,
        unpriced: 0,
      },
      {
        request_model: 'veo-3.1-generate-001',
        provider: 'gcp.vertex_ai',
        project: 'shop',
        user: null,
        status: 'success',
        error_type: null,
        input_tokens: null,
        cache_read_tokens: null,
        cost_pusd: 3_200_000_000_000,
        unpriced: 0,
      },
    ]);

    // A retried export (the same spans again) changes nothing.
    expect(await send(exporter, spans)).toEqual({ code: 0 });
    expect(db.prepare('SELECT count(*) n, sum(cost_pusd) cost FROM call_records').get()).toEqual({
      n: 4,
      cost: 3_220_000_000_000,
    });
    expect(
      db.prepare('SELECT sum(calls) n, sum(cost_pusd) cost FROM rollups_hourly').get(),
    ).toEqual({ n: 4, cost: 3_220_000_000_000 });

    const text = await scrape(collector.url);
    expect(
      metric(
        text,
        'costlens_cost_usd_total{provider="openai",model="gpt-4o-2024-08-06",project="shop",call_type="text"}',
      ),
    ).toBe(0.02);
    expect(
      metric(
        text,
        'costlens_cost_usd_total{provider="gcp.vertex_ai",model="veo-3.1-generate-001",project="shop",call_type="video"}',
      ),
    ).toBe(3.2);
    expect(
      metric(
        text,
        'costlens_unpriced_calls_total{provider="openai",model="acme-1",project="shop"}',
      ),
    ).toBe(1);
    expect(metric(text, 'costlens_ingest_spans_total{result="accepted"}')).toBe(4);
    expect(metric(text, 'costlens_ingest_spans_total{result="duplicate"}')).toBe(4);
    expect(metric(text, 'costlens_ingest_spans_total{result="not_genai"}')).toBe(2);
    await exporter.shutdown();
  });
});

describe('/metrics formats', () => {
  it('serves the Prometheus text format, and OpenMetrics when the scraper asks for it', async () => {
    const collector = await startCollector();
    running.push(collector);
    expect(
      await send(new ProtoExporter({ url: `${collector.url}/v1/traces` }), makeSpans()),
    ).toEqual({ code: 0 });
    const text = await fetch(`${collector.url}/metrics`);
    expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const om = await fetch(`${collector.url}/metrics`, {
      headers: {
        accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
      },
    });
    expect(om.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const body = await om.text();
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
    expect(body).toContain('# TYPE costlens_cost_usd counter');
    expect(body).toMatch(
      /\ncostlens_cost_usd_total\{provider="openai",model="gpt-4o-2024-08-06",project="shop",call_type="text"\} 0\.02\n/,
    );
  });
});

describe('partial success', () => {
  const genai = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
  };
  // Two GenAI spans, the second with no start time (what a broken instrumentation sends).
  const spans = (): ReadableSpan[] => {
    const [ok, broken] = finishedSpans({ 'service.name': 'app' }, 'app', (t) => {
      t.startSpan('chat gpt-4o', { attributes: genai }).end();
      t.startSpan('chat gpt-4o', { attributes: genai }).end();
    });
    const noStart = Object.assign(Object.create(Object.getPrototypeOf(broken)), broken, {
      startTime: [0, 0],
    });
    return [ok!, noStart];
  };

  it.each([
    ['protobuf', (url: string) => new ProtoExporter({ url: `${url}/v1/traces` })],
    ['JSON', (url: string) => new HttpJsonExporter({ url: `${url}/v1/traces` })],
  ])(
    'a GenAI span that cannot be recorded is reported, the others are stored (%s)',
    async (_kind, exporterFor) => {
      const collector = await startCollector();
      running.push(collector);
      const made = spans();
      // The exporter reads partial_success and reports success; the response itself is checked below.
      expect(await send(exporterFor(collector.url), made)).toEqual({ code: 0 });
      expect(collector.parts.store.db.prepare('SELECT count(*) n FROM call_records').get()).toEqual(
        { n: 1 },
      );
      expect(await scrape(collector.url)).toContain(
        'costlens_ingest_spans_total{result="rejected"} 1',
      );
    },
  );

  it('answers with the count and an English message', async () => {
    const collector = await startCollector();
    running.push(collector);
    const { JsonTraceSerializer } = await import('@opentelemetry/otlp-transformer');
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JsonTraceSerializer.serializeRequest(spans())!),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(
      /^1 GenAI span\(s\) could not be recorded; first: span [0-9a-f]{16}: the span has no start time$/,
    );
  });
});
