import {
  BedrockRuntime,
  ConverseCommand,
  type ConverseCommandOutput,
  CountTokensCommand,
  InvokeModelCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { breakdownToUsd, pusdToUsd } from '@costlens/pricing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { spanBase, USER, useBedrock } from './bedrock-testbed.js';
import { ACCESS_KEY_ID, converseAnswer, SECRET_ACCESS_KEY, split } from './fake-bedrock.js';
import { onlySpan } from './harness.js';

// Converse and InvokeModel through the real @aws-sdk/client-bedrock-runtime,
// over HTTP/2 to a local server speaking Bedrock's wire format.

const bed = useBedrock();

/** Bedrock's prices from the catalogue, USD per 1M tokens as pUSD per token. */
const PRICES = {
  // us.anthropic.claude-sonnet-4-6: the US cross-region profile costs 10% more than in-region.
  usSonnet46: {
    input: 3_300_000,
    output: 16_500_000,
    cacheRead: 330_000,
    write5m: 4_125_000,
    write1h: 6_600_000,
  },
  novaPro: { input: 800_000, output: 3_200_000, cacheRead: 200_000 },
  llama31_8b: { input: 220_000, output: 220_000 },
  mistralLarge2407: { input: 3_000_000, output: 9_000_000 },
};

/** The priced parts of a call, summed as the catalogue sums them. */
function expectCost(
  span: ReturnType<typeof onlySpan>,
  parts: { input?: number; output?: number; cache_read?: number; cache_write?: number },
) {
  const full = {
    input: 0,
    output: 0,
    cache_read: 0,
    cache_write: 0,
    reasoning: 0,
    media: 0,
    ...parts,
  };
  const { cost, breakdown, source } = split(span);
  expect(cost).toBe(pusdToUsd(full.input + full.output + full.cache_read + full.cache_write));
  expect(JSON.parse(String(breakdown))).toEqual(breakdownToUsd(full));
  expect(String(source)).toMatch(/^\d{4}\.\d{2}\.\d{2}-/);
}

describe('Converse', () => {
  it('Anthropic through a US inference profile: cache reads and 5-minute + 1-hour writes, priced at the profile', async () => {
    bed.server.reply({
      json: converseAnswer({
        usage: {
          inputTokens: 100,
          outputTokens: 50,
          totalTokens: 3650,
          cacheReadInputTokens: 2000,
          cacheWriteInputTokens: 1500,
          cacheDetails: [
            { ttl: '1h', inputTokens: 500 },
            { ttl: '5m', inputTokens: 1000 },
          ],
        },
      }),
    });
    const out = await bed.client.send(
      new ConverseCommand({ modelId: 'us.anthropic.claude-sonnet-4-6', messages: USER }),
    );
    expect(out.output?.message?.content).toEqual([{ text: 'Hello!' }]);
    expect(bed.server.calls()).toEqual([
      { modelId: 'us.anthropic.claude-sonnet-4-6', action: 'converse' },
    ]);

    const span = onlySpan(bed.t);
    expect(span.name).toBe('chat us.anthropic.claude-sonnet-4-6');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const { rest, ttft } = split(span);
    expect(rest).toEqual({
      ...spanBase(bed, 'us.anthropic.claude-sonnet-4-6'),
      'gen_ai.response.finish_reasons': ['end_turn'],
      // Bedrock's inputTokens leave the cache out: 100 + 2000 read + 1500 written.
      'gen_ai.usage.input_tokens': 3600,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'gen_ai.usage.cache_creation.input_tokens': 1500,
      'costlens.usage.cache_write_1h.input_tokens': 500,
    });
    expect(ttft).toBeUndefined();
    const p = PRICES.usSonnet46;
    expectCost(span, {
      input: 100 * p.input,
      output: 50 * p.output,
      cache_read: 2000 * p.cacheRead,
      cache_write: 1000 * p.write5m + 500 * p.write1h,
    });
  });

  it("the aggregated BedrockRuntime class's converse() goes through send: Meta Llama in another region", async () => {
    const eu = new BedrockRuntime({
      region: 'eu-west-1',
      endpoint: bed.server.url,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    });
    bed.server.reply({
      json: converseAnswer({ usage: { inputTokens: 40, outputTokens: 10, totalTokens: 50 } }),
    });
    const out = await eu.converse({ modelId: 'meta.llama3-1-8b-instruct-v1:0', messages: USER });
    expect(out.usage?.totalTokens).toBe(50);
    const span = onlySpan(bed.t);
    expect(split(span).rest).toEqual({
      ...spanBase(bed, 'meta.llama3-1-8b-instruct-v1:0'),
      'cloud.region': 'eu-west-1',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 10,
    });
    expectCost(span, {
      input: 40 * PRICES.llama31_8b.input,
      output: 10 * PRICES.llama31_8b.output,
    });
  });

  it('the callback form of send is observed too and the callback gets the answer', async () => {
    bed.server.reply({
      json: converseAnswer({
        stop: 'max_tokens',
        usage: {
          inputTokens: 300,
          outputTokens: 20,
          totalTokens: 1320,
          cacheReadInputTokens: 1000,
        },
      }),
    });
    const out = await new Promise<ConverseCommandOutput>((resolve, reject) => {
      const returned = bed.client.send(
        new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: USER }),
        (err: unknown, data?: ConverseCommandOutput) => (err ? reject(err) : resolve(data!)),
      );
      expect(returned).toBeUndefined();
    });
    expect(out.stopReason).toBe('max_tokens');
    const span = onlySpan(bed.t);
    expect(split(span).rest).toEqual({
      ...spanBase(bed, 'amazon.nova-pro-v1:0'),
      'gen_ai.response.finish_reasons': ['max_tokens'],
      'gen_ai.usage.input_tokens': 1300,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.usage.cache_read.input_tokens': 1000,
    });
    const p = PRICES.novaPro;
    expectCost(span, {
      input: 300 * p.input,
      output: 20 * p.output,
      cache_read: 1000 * p.cacheRead,
    });
  });

  it('an inference profile ARN is recorded and priced as the profile id it names', async () => {
    const arn =
      'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6';
    bed.server.reply({ json: converseAnswer() });
    await bed.client.send(new ConverseCommand({ modelId: arn, messages: USER }));
    expect(bed.server.calls()).toEqual([{ modelId: arn, action: 'converse' }]);
    const span = onlySpan(bed.t);
    expect(span.name).toBe('chat us.anthropic.claude-sonnet-4-6');
    expect(span.attributes['gen_ai.request.model']).toBe('us.anthropic.claude-sonnet-4-6');
    const p = PRICES.usSonnet46;
    expectCost(span, { input: 12 * p.input, output: 6 * p.output });
  });

  it('records prompt (system first) and completion only when content capture is on', async () => {
    bed.t.instrumentation.setConfig({ captureMessageContent: true });
    try {
      bed.server.reply({ json: converseAnswer({ text: 'Bonjour' }) });
      await bed.client.send(
        new ConverseCommand({
          modelId: 'amazon.nova-pro-v1:0',
          system: [{ text: 'Answer in French.' }],
          messages: USER,
        }),
      );
      const a = onlySpan(bed.t).attributes;
      expect(JSON.parse(String(a['costlens.prompt']))).toEqual([
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: [{ text: 'Hi' }] },
      ]);
      expect(a['costlens.completion']).toBe('Bonjour');
    } finally {
      bed.t.instrumentation.setConfig({});
    }
    bed.t.reset();
    bed.server.reply({ json: converseAnswer({ text: 'Bonjour' }) });
    await bed.client.send(new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: USER }));
    expect(
      Object.keys(onlySpan(bed.t).attributes).filter((k) => /prompt|completion/.test(k)),
    ).toEqual([]);
  });

  it('metrics: tokens, duration, cost and calls carry provider aws.bedrock and the model', async () => {
    // A model no other test calls: the metrics are cumulative over the file.
    const model = 'us.meta.llama3-3-70b-instruct-v1:0';
    bed.server.reply({
      json: converseAnswer({ usage: { inputTokens: 1000, outputTokens: 500, totalTokens: 1500 } }),
    });
    await bed.client.send(new ConverseCommand({ modelId: model, messages: USER }));
    const metrics = (await bed.t.metrics()).at(-1)!.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) =>
      metrics
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<Histogram | number>[])
        .filter((d) => d.attributes['gen_ai.request.model'] === model);
    const common = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': model,
    };
    const tokens = points('gen_ai.client.token.usage') as DataPoint<Histogram>[];
    expect(tokens.map((d) => [d.attributes, d.value.sum])).toEqual([
      [{ ...common, 'gen_ai.token.type': 'input' }, 1000],
      [{ ...common, 'gen_ai.token.type': 'output' }, 500],
    ]);
    expect(points('gen_ai.client.operation.duration').map((d) => d.attributes)).toEqual([common]);
    const cost = points('costlens.client.cost');
    expect(cost).toHaveLength(1);
    // The call type follows from the operation: on the counters, not the histograms.
    expect(cost[0]!.attributes).toEqual({ ...common, 'costlens.call_type': 'text' });
  });
});

describe('failures and retries', () => {
  it("a throttled call the SDK retries twice: one span, costlens.retry.count 2, the last attempt's usage", async () => {
    bed.server.reply(
      { error: 'ThrottlingException', status: 429, message: 'Too many requests, please wait.' },
      { error: 'ThrottlingException', status: 429, message: 'Too many requests, please wait.' },
      { json: converseAnswer() },
    );
    const out = await bed.client.send(
      new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: USER }),
    );
    expect(out.$metadata.attempts).toBe(3);
    expect(bed.server.requests).toHaveLength(3);
    const span = onlySpan(bed.t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['costlens.retry.count']).toBe(2);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(12);
  });

  it('throttled on every attempt: error.type ThrottlingException, 2 retries, $0 (nothing was billed)', async () => {
    const throttled = {
      error: 'ThrottlingException',
      status: 429,
      message: 'Too many requests, please wait.',
    };
    bed.server.reply(throttled, throttled, throttled);
    const err = await bed.client
      .send(new ConverseCommand({ modelId: 'us.anthropic.claude-sonnet-4-6', messages: USER }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    const span = onlySpan(bed.t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'Too many requests, please wait.',
    });
    const { rest, cost } = split(span);
    expect(rest).toEqual({
      ...spanBase(bed, 'us.anthropic.claude-sonnet-4-6'),
      'error.type': 'ThrottlingException',
      'costlens.retry.count': 2,
    });
    expect(cost).toBe(0);
  });

  it('a ValidationException is not retried; the calls metric counts it with its error.type', async () => {
    bed.server.reply({
      error: 'ValidationException',
      status: 400,
      message: 'The provided model identifier is invalid.',
    });
    const err = await bed.client
      .send(
        new InvokeModelCommand({ modelId: 'meta.llama9', body: JSON.stringify({ prompt: 'Hi' }) }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    const span = onlySpan(bed.t);
    expect(split(span).rest).toEqual({
      ...spanBase(bed, 'meta.llama9'),
      'error.type': 'ValidationException',
    });
    const metrics = (await bed.t.metrics()).at(-1)!.scopeMetrics.flatMap((s) => s.metrics);
    const calls = metrics
      .filter((m) => m.descriptor.name === 'costlens.client.calls')
      .flatMap((m) => m.dataPoints as DataPoint<number>[])
      .filter((d) => d.attributes['gen_ai.request.model'] === 'meta.llama9');
    expect(calls.map((d) => [d.attributes['error.type'], d.value])).toEqual([
      ['ValidationException', 1],
    ]);
  });

  it('disabled, the client sends untouched (its own send back on the prototype) and nothing is recorded', async () => {
    const bedrock = await import('@aws-sdk/client-bedrock-runtime');
    const proto = bedrock.BedrockRuntimeClient.prototype;
    expect(Object.hasOwn(proto, 'send')).toBe(true);
    bed.t.instrumentation.disable();
    try {
      expect(Object.hasOwn(proto, 'send')).toBe(false);
      bed.server.reply({ json: converseAnswer() });
      const out = await bed.client.send(
        new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: USER }),
      );
      expect(out.usage?.inputTokens).toBe(12);
      expect(bed.t.spans()).toEqual([]);
    } finally {
      bed.t.instrumentation.enable();
      bed.t.instrumentation.instrumentModules({ bedrock });
    }
  });

  it('commands that are not model calls (CountTokens) are left alone', async () => {
    await bed.client
      .send(
        new CountTokensCommand({
          modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
          input: undefined,
        }),
      )
      .catch(() => undefined);
    expect(bed.server.requests).toHaveLength(1);
    expect(bed.t.spans()).toEqual([]);
  });
});
