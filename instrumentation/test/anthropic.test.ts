import { createRequire } from 'node:module';
import Anthropic, * as anthropicModule from '@anthropic-ai/sdk';
import { breakdownToUsd, pusdToUsd } from '@costlens/pricing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_KEY as API_KEY,
  anthropicTestbed,
  checkedReset,
  errorBody,
  type FakeAnthropic,
  message,
  SONNET_46,
  split,
  USER,
} from './fake-anthropic.js';
import { onlySpan, type Telemetry, useTestbed, waitForSpans } from './harness.js';

let server: FakeAnthropic;
let t: Telemetry;
let client: Anthropic;

useTestbed(
  anthropicTestbed,
  (bed) => {
    ({ server, t, client } = bed);
  },
  checkedReset,
);

const at = () => ({ 'server.address': '127.0.0.1', 'server.port': server.port });

describe('messages.create', () => {
  it('a plain call with cache reads and 5-minute + 1-hour cache writes: one CLIENT span, input counts the cache, priced', async () => {
    server.reply({
      json: message({
        usage: {
          input_tokens: 100,
          cache_creation_input_tokens: 1500,
          cache_read_input_tokens: 2000,
          cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 500 },
          output_tokens: 50,
          service_tier: 'standard',
        },
      }),
    });
    const out = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      messages: USER,
    });
    expect(out.content[0]).toEqual({ type: 'text', text: 'Hello!' });

    const span = onlySpan(t);
    expect(span.name).toBe('chat claude-sonnet-4-6');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const { cost, breakdown, source, ttft, rest } = split(span);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      ...at(),
      'gen_ai.response.model': 'claude-sonnet-4-6',
      'gen_ai.response.id': 'msg_01XFDUDYJgAACzvnptvVoYEL',
      'gen_ai.response.finish_reasons': ['end_turn'],
      // 100 uncached + 2000 read + 1000 written (5 min) + 500 written (1 h)
      'gen_ai.usage.input_tokens': 3600,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'gen_ai.usage.cache_creation.input_tokens': 1500,
      'costlens.usage.cache_write_1h.input_tokens': 500,
    });
    expect(ttft).toBeUndefined();
    const p = SONNET_46;
    const expected = {
      input: 100 * p.input,
      output: 50 * p.output,
      cache_read: 2000 * p.cacheRead,
      cache_write: 1000 * p.write5m + 500 * p.write1h,
      reasoning: 0,
      media: 0,
    };
    expect(cost).toBeCloseTo(0.0084, 12);
    expect(cost).toBe(
      pusdToUsd(expected.input + expected.cache_read + expected.cache_write + expected.output),
    );
    expect(JSON.parse(String(breakdown))).toEqual(breakdownToUsd(expected));
    expect(String(source)).toMatch(/^\d{4}\.\d{2}\.\d{2}-/);

    const sent = JSON.parse(server.requests.at(-1)!.body);
    expect(sent).toEqual({ model: 'claude-sonnet-4-6', max_tokens: 1024, messages: USER });
  });

  it("returns the SDK's own APIPromise: .withResponse() still gives data, response and request id", async () => {
    server.reply({ json: message() });
    const promise = client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: USER,
    });
    expect(promise).toBeInstanceOf(anthropicModule.APIPromise);
    const { data, response, request_id } = await promise.withResponse();
    expect(data.id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(response.status).toBe(200);
    expect(request_id).toBe('req_test_1');
    expect(onlySpan(t).attributes['gen_ai.usage.input_tokens']).toBe(12);
  });

  it('.asResponse() hands over an unread body; the call ends there, without usage', async () => {
    server.reply({ json: message() });
    const response = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER })
      .asResponse();
    expect(JSON.parse(await response.text()).id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    const [span] = await waitForSpans(t, 1);
    expect(t.spans()).toHaveLength(1);
    // No usage was seen: what the call cost is unknown, shown as unpriced, never $0.
    const { rest } = split(span!);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      ...at(),
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': 'the response reported no usage',
    });
  });

  it('records prompt (system first) and completion only when content capture is on', async () => {
    t.instrumentation.setConfig({ captureMessageContent: true });
    try {
      server.reply({ json: message({ text: 'Bonjour' }) });
      await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        system: 'Answer in French.',
        messages: USER,
      });
      const a = onlySpan(t).attributes;
      expect(JSON.parse(String(a['costlens.prompt']))).toEqual([
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: 'Hi' },
      ]);
      expect(a['costlens.completion']).toBe('Bonjour');
    } finally {
      t.instrumentation.setConfig({});
    }
    t.reset();
    server.reply({ json: message({ text: 'Bonjour' }) });
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER });
    const a = onlySpan(t).attributes;
    expect(a['costlens.prompt']).toBeUndefined();
    expect(a['costlens.completion']).toBeUndefined();
  });

  it('an unknown model is unpriced (true, with a reason), never cost 0', async () => {
    server.reply({ json: message({ model: 'claude-imaginary-9' }) });
    await client.messages.create({ model: 'claude-imaginary-9', max_tokens: 16, messages: USER });
    const { cost, breakdown, source, rest } = split(onlySpan(t));
    expect(cost).toBeUndefined();
    expect(breakdown).toBeUndefined();
    expect(source).toBeUndefined();
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-imaginary-9',
      ...at(),
      'gen_ai.response.model': 'claude-imaginary-9',
      'gen_ai.response.id': 'msg_01XFDUDYJgAACzvnptvVoYEL',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 6,
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': expect.any(String),
    });
  });

  it('beta.messages.create is recorded the same way', async () => {
    server.reply({ json: message() });
    await client.beta.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: USER,
      betas: ['context-management-2025-06-27'],
    });
    const span = onlySpan(t);
    expect(span.name).toBe('chat claude-sonnet-4-6');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(12);
    expect(server.requests.at(-1)!.headers['anthropic-beta']).toBe('context-management-2025-06-27');
  });

  it('emits gen_ai.client.token.usage and gen_ai.client.operation.duration for the call', async () => {
    const model = 'claude-haiku-4-5';
    server.reply({
      json: message({
        model,
        usage: { input_tokens: 30, cache_read_input_tokens: 70, output_tokens: 9 },
      }),
    });
    await client.messages.create({ model, max_tokens: 16, messages: USER });
    const exported = await t.metrics();
    const metrics = exported.at(-1)!.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string): DataPoint<Histogram>[] =>
      metrics
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<Histogram>[])
        .filter((d) => d.attributes['gen_ai.request.model'] === model);
    const common = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
      ...at(),
    };
    const tokens = points('gen_ai.client.token.usage');
    expect(tokens.map((d) => [d.attributes, d.value.sum])).toEqual([
      [{ ...common, 'gen_ai.token.type': 'input' }, 100],
      [{ ...common, 'gen_ai.token.type': 'output' }, 9],
    ]);
    const duration = points('gen_ai.client.operation.duration');
    expect(duration).toHaveLength(1);
    expect(duration[0]!.attributes).toEqual(common);
    expect(duration[0]!.value).toMatchObject({ count: 1, sum: expect.any(Number) });
  });
});

describe('retries and errors', () => {
  it('a 429 then a 200: costlens.retry.count is the 1 retry the SDK made', async () => {
    server.reply(
      {
        status: 429,
        json: errorBody('rate_limit_error', 'Number of requests has exceeded your rate limit'),
        headers: { 'retry-after-ms': '1' },
      },
      { json: message() },
    );
    const before = server.requests.length;
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER });
    expect(server.requests.length - before).toBe(2);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['costlens.retry.count']).toBe(1);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(12);
  });

  it('a 400: span ERROR, error.type BadRequestError, the caller gets the same error, cost 0', async () => {
    server.reply({
      status: 400,
      json: errorBody('invalid_request_error', 'max_tokens: Field required'),
    });
    let caught: unknown;
    try {
      await client.messages.create({
        model: 'claude-sonnet-4-6',
        messages: USER,
      } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(anthropicModule.BadRequestError);
    expect((caught as anthropicModule.BadRequestError).status).toBe(400);
    const span = onlySpan(t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining('max_tokens: Field required'),
    });
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      ...at(),
      'costlens.cost.usd': 0,
      'gen_ai.usage.cost': 0,
      'error.type': 'BadRequestError',
    });
  });

  it('a 500 on every attempt: InternalServerError after the SDK retried twice, cost 0', async () => {
    const fail = {
      status: 500,
      json: errorBody('api_error', 'Internal server error'),
      headers: { 'retry-after-ms': '1' },
    };
    server.reply(fail, fail, fail);
    const error = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(anthropicModule.InternalServerError);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'InternalServerError',
      'costlens.retry.count': 2,
      'costlens.cost.usd': 0,
    });
  });

  it('a stream request that fails before any event: ERROR, no stream handed out', async () => {
    server.reply({ status: 401, json: errorBody('authentication_error', 'invalid x-api-key') });
    const error = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER, stream: true })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(anthropicModule.AuthenticationError);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AuthenticationError');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
  });
});

describe('module builds and the disabled state', () => {
  it('the CommonJS build is patched the same way', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require('@anthropic-ai/sdk') as typeof anthropicModule;
    expect(cjs.Anthropic).not.toBe(anthropicModule.Anthropic);
    t.instrumentation.instrumentModules({ anthropic: cjs });
    const cjsClient = new cjs.Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
    server.reply({ json: message() });
    await cjsClient.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER });
    const span = onlySpan(t);
    expect(span.name).toBe('chat claude-sonnet-4-6');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(12);
  });

  it('disabled instrumentation records nothing and calls the SDK untouched', async () => {
    const wrapped = anthropicModule.Anthropic.Messages.prototype.create;
    t.instrumentation.disable();
    try {
      expect(anthropicModule.Anthropic.Messages.prototype.create).not.toBe(wrapped);
      server.reply({ json: message() }, { json: message() });
      const out = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: USER,
      });
      expect(out.id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
      // A reference to the wrapper taken while enabled also runs the SDK unobserved.
      const viaWrapper = await wrapped.call(client.messages, {
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: USER,
      });
      expect((viaWrapper as Anthropic.Message).id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
      expect(t.spans()).toEqual([]);
    } finally {
      t.instrumentation.enable();
      t.instrumentation.instrumentModules({ anthropic: anthropicModule });
    }
  });
});

describe("the SDK's own tracing", () => {
  it('is kept off for the calls costlens records, so a call is stored and billed once', async () => {
    const { trace } = await import('@opentelemetry/api');
    const { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } = await import(
      '@opentelemetry/sdk-trace'
    );
    const globalSpans = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: globalSpans })],
    });
    trace.setGlobalTracerProvider(provider);
    try {
      // A client made while a global provider is registered traces itself (SDK 1.x).
      const traced = new Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
      server.reply({ json: message() });
      await traced.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: USER });
      expect(t.spans()).toHaveLength(1);
      expect(globalSpans.getFinishedSpans().map((s) => s.name)).toEqual([]);
      // The SDK's tracer is back for what costlens does not record.
      await traced.messages
        .countTokens({ model: 'claude-sonnet-4-6', messages: USER })
        .catch(() => {});
      expect(globalSpans.getFinishedSpans().map((s) => s.name)).toEqual([
        'anthropic.messages.count_tokens',
      ]);
    } finally {
      trace.disable();
      await provider.shutdown();
    }
  });
});
