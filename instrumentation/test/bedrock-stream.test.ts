import {
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { pusdToUsd } from '@costlens/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { expectOnlySpan, perM, spanBase, USER, useBedrock } from './bedrock-testbed.js';
import {
  converseStreamFrames,
  exceptionMessage,
  invokeStreamFrames,
  split,
} from './fake-bedrock.js';
import { onlySpan, waitForSpans } from './harness.js';

// ConverseStream and InvokeModelWithResponseStream through the real client,
// over AWS event stream frames: whole streams of each family, a loop broken
// off, an abort, an exception frame and a dropped connection.

const bed = useBedrock();

const base = (model: string) => spanBase(bed, model, { stream: true });

const converseStream = (modelId: string, abortSignal?: AbortSignal) =>
  bed.client.send(new ConverseStreamCommand({ modelId, messages: USER }), { abortSignal });

const invokeStream = (modelId: string, body: unknown) =>
  bed.client.send(
    new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body) }),
  );

const decode = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

/** The last chunk's invocation metrics, as Bedrock appends them for every family. */
const invocationMetrics = (input: number, output: number) => ({
  'amazon-bedrock-invocationMetrics': {
    inputTokenCount: input,
    outputTokenCount: output,
    invocationLatency: 812,
    firstByteLatency: 233,
  },
});

describe('ConverseStream', () => {
  it('a whole stream: text read by the caller, usage with cache from the metadata event, time to first chunk', async () => {
    bed.server.reply({
      frames: converseStreamFrames({
        chunks: ['Hel', 'lo', '!'],
        usage: { inputTokens: 10, outputTokens: 30, totalTokens: 1040, cacheReadInputTokens: 1000 },
      }),
      gapMs: 2,
    });
    const out = await converseStream('us.anthropic.claude-sonnet-4-6');
    let text = '';
    const kinds: string[] = [];
    for await (const event of out.stream!) {
      kinds.push(Object.keys(event)[0]!);
      text += event.contentBlockDelta?.delta?.text ?? '';
    }
    expect(text).toBe('Hello!');
    expect(kinds).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(bed.server.calls()).toEqual([
      { modelId: 'us.anthropic.claude-sonnet-4-6', action: 'converse-stream' },
    ]);
    const { rest, cost, ttft } = split(onlySpan(bed.t));
    expect(rest).toEqual({
      ...base('us.anthropic.claude-sonnet-4-6'),
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 1010,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 1000,
    });
    expect(ttft).toBeGreaterThan(0);
    expect(cost).toBe(pusdToUsd(10 * perM(3.3) + 30 * perM(16.5) + 1000 * perM(0.33)));
  });

  it('a loop broken off early ends the span at the break; no usage was reported, so unpriced', async () => {
    bed.server.reply({ frames: converseStreamFrames({ chunks: ['a', 'b', 'c', 'd'] }), gapMs: 5 });
    const out = await converseStream('amazon.nova-pro-v1:0');
    for await (const event of out.stream!) {
      if (event.contentBlockDelta) break;
    }
    const [span] = await waitForSpans(bed.t, 1);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(split(span!).rest).toEqual({
      ...base('amazon.nova-pro-v1:0'),
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': 'the response reported no usage',
    });
  });

  it("an abort mid-stream: the SDK ends the caller's loop quietly, the span records the abort", async () => {
    bed.server.reply({
      frames: converseStreamFrames({ chunks: ['a', 'b', 'c', 'd', 'e'] }),
      gapMs: 20,
    });
    const controller = new AbortController();
    const out = await converseStream('amazon.nova-pro-v1:0', controller.signal);
    const seen: string[] = [];
    for await (const event of out.stream!) {
      seen.push(Object.keys(event)[0]!);
      if (event.contentBlockDelta) controller.abort();
    }
    // What the SDK does with an abort after the answer began: the loop just ends.
    expect(seen).toEqual(['messageStart', 'contentBlockDelta']);
    const span = onlySpan(bed.t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'the caller aborted the stream',
    });
    // A stream stopped before its usage came: nothing was reported, so nothing is billed here.
    expectOnlySpan(
      bed,
      'amazon.nova-pro-v1:0',
      { stream: true },
      { 'error.type': 'AbortError' },
      0,
    );
  });

  it('an abort before the answer rejects send; the span fails with the same error', async () => {
    bed.server.reply({ frames: converseStreamFrames(), delayMs: 300 });
    const controller = new AbortController();
    const sent = converseStream('amazon.nova-pro-v1:0', controller.signal);
    setTimeout(() => controller.abort(), 30);
    const err = await sent.catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    const [span] = await waitForSpans(bed.t, 1);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    expect(span!.attributes['error.type']).toBe((err as Error).constructor.name);
  });

  it('a stream the app never reads ends after the idle time, marked idle, with what it said (nothing)', async () => {
    bed.t.instrumentation.setConfig({ streamIdleMs: 100 });
    try {
      bed.server.reply({ frames: converseStreamFrames() });
      const out = await converseStream('amazon.nova-pro-v1:0');
      expect(out.stream).toBeDefined();
      const [span] = await waitForSpans(bed.t, 1, 2000);
      expect(split(span!).rest).toEqual({
        ...base('amazon.nova-pro-v1:0'),
        'costlens.stream.state': 'idle',
        'costlens.cost.unpriced': true,
        'costlens.cost.unpriced_reason': 'the response reported no usage',
      });
    } finally {
      bed.t.instrumentation.setConfig({});
    }
  });

  it('an exception frame mid-stream (throttlingException) reaches the caller and the span as error.type', async () => {
    const frames = converseStreamFrames({ chunks: ['a'] }).slice(0, 2);
    bed.server.reply({
      frames: [...frames, exceptionMessage('throttlingException', 'Too many tokens, slow down.')],
    });
    const out = await converseStream('meta.llama3-1-8b-instruct-v1:0');
    const err = await (async () => {
      for await (const _ of out.stream!);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    const span = onlySpan(bed.t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'Too many tokens, slow down.',
    });
    expect(split(span).rest).toEqual({
      ...base('meta.llama3-1-8b-instruct-v1:0'),
      'error.type': 'ThrottlingException',
    });
  });
});

describe('InvokeModelWithResponseStream', () => {
  it("Anthropic's events as chunks: input and cache from message_start, output from message_delta", async () => {
    const model = 'eu.anthropic.claude-sonnet-4-6';
    bed.server.reply({
      frames: invokeStreamFrames([
        {
          type: 'message_start',
          message: {
            id: 'msg_bdrk_01StreamAbCdEfGh',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-6',
            content: [],
            stop_reason: null,
            usage: {
              input_tokens: 8,
              cache_creation_input_tokens: 1200,
              cache_read_input_tokens: 0,
              output_tokens: 1,
            },
          },
        },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello!' } },
        { type: 'content_block_stop', index: 0 },
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 12 },
        },
        { type: 'message_stop', ...invocationMetrics(8, 12) },
      ]),
    });
    const out = await invokeStream(model, {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const types: string[] = [];
    for await (const event of out.body!) types.push(decode(event.chunk?.bytes).type);
    expect(types.at(-1)).toBe('message_stop');
    expectOnlySpan(
      bed,
      model,
      { stream: true },
      {
        'gen_ai.response.id': 'msg_bdrk_01StreamAbCdEfGh',
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 1208,
        'gen_ai.usage.output_tokens': 12,
        'gen_ai.usage.cache_creation.input_tokens': 1200,
      },
      // eu.anthropic.claude-sonnet-4-6: input 3.3, output 16.5, 5-minute cache write 4.125.
      pusdToUsd(8 * perM(3.3) + 12 * perM(16.5) + 1200 * perM(4.125)),
    );
  });

  it('Anthropic broken off after message_start: the input it reported is kept and billed', async () => {
    bed.server.reply({
      frames: invokeStreamFrames([
        {
          type: 'message_start',
          message: { id: 'msg_bdrk_01Broken', usage: { input_tokens: 500, output_tokens: 1 } },
        },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      ]),
      gapMs: 5,
    });
    const out = await invokeStream('anthropic.claude-3-5-haiku-20241022-v1:0', { messages: [] });
    for await (const _ of out.body!) break;
    const [span] = await waitForSpans(bed.t, 1);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(500);
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    expect(span!.attributes['costlens.cost.usd']).toBe(pusdToUsd(500 * perM(0.8)));
  });

  it("Amazon Nova's chunks: text deltas, then metadata usage", async () => {
    bed.server.reply({
      frames: invokeStreamFrames([
        { messageStart: { role: 'assistant' } },
        { contentBlockDelta: { delta: { text: 'Hello!' }, contentBlockIndex: 0 } },
        { contentBlockStop: { contentBlockIndex: 0 } },
        { messageStop: { stopReason: 'end_turn' } },
        {
          metadata: { usage: { inputTokens: 44, outputTokens: 6 }, metrics: {}, trace: {} },
          ...invocationMetrics(44, 6),
        },
      ]),
    });
    await (async () => {
      const out = await invokeStream('eu.amazon.nova-lite-v1:0', { messages: [] });
      for await (const _ of out.body!);
    })();
    expectOnlySpan(
      bed,
      'eu.amazon.nova-lite-v1:0',
      { stream: true },
      {
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 44,
        'gen_ai.usage.output_tokens': 6,
      },
      pusdToUsd(44 * perM(0.078) + 6 * perM(0.312)),
    );
  });

  it("Meta Llama's chunks: the prompt count on the first, the generation count growing", async () => {
    bed.server.reply({
      frames: invokeStreamFrames([
        { generation: 'Hel', prompt_token_count: 21, generation_token_count: 1, stop_reason: null },
        {
          generation: 'lo',
          prompt_token_count: null,
          generation_token_count: 2,
          stop_reason: null,
        },
        {
          generation: '!',
          prompt_token_count: null,
          generation_token_count: 3,
          stop_reason: 'stop',
          ...invocationMetrics(21, 3),
        },
      ]),
    });
    const out = await invokeStream('meta.llama3-1-8b-instruct-v1:0', { prompt: 'Hi' });
    for await (const _ of out.body!);
    expectOnlySpan(
      bed,
      'meta.llama3-1-8b-instruct-v1:0',
      { stream: true },
      {
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 21,
        'gen_ai.usage.output_tokens': 3,
      },
      pusdToUsd(24 * perM(0.22)),
    );
  });

  it("Mistral's chunks report no counts: the invocation metrics of the last chunk do", async () => {
    bed.server.reply({
      frames: invokeStreamFrames([
        { outputs: [{ text: 'Bon', stop_reason: null }] },
        { outputs: [{ text: 'jour', stop_reason: 'stop' }], ...invocationMetrics(16, 4) },
      ]),
    });
    const out = await invokeStream('mistral.mistral-large-2407-v1:0', { prompt: 'Hi' });
    for await (const _ of out.body!);
    expectOnlySpan(
      bed,
      'mistral.mistral-large-2407-v1:0',
      { stream: true },
      {
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 16,
        'gen_ai.usage.output_tokens': 4,
      },
      pusdToUsd(16 * perM(3) + 4 * perM(9)),
    );
  });

  it('a modelStreamErrorException frame fails the span; a dropped connection does too', async () => {
    bed.server.reply({
      frames: [
        ...invokeStreamFrames([{ outputs: [{ text: 'Bon', stop_reason: null }] }]),
        exceptionMessage('modelStreamErrorException', 'The model stopped answering.'),
      ],
    });
    const first = await invokeStream('mistral.mistral-7b-instruct-v0:2', { prompt: 'Hi' });
    const err = await (async () => {
      for await (const _ of first.body!);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelStreamErrorException);
    expect(onlySpan(bed.t).attributes['error.type']).toBe('ModelStreamErrorException');
    bed.t.reset();

    bed.server.reply({
      frames: invokeStreamFrames([
        { outputs: [{ text: 'a', stop_reason: null }] },
        { outputs: [{ text: 'b', stop_reason: null }] },
      ]),
      failAfter: 1,
    });
    const second = await invokeStream('mistral.mistral-7b-instruct-v0:2', { prompt: 'Hi' });
    const dropped = await (async () => {
      for await (const _ of second.body!);
    })().catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(Error);
    const [span] = await waitForSpans(bed.t, 1);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe((dropped as Error).constructor.name);
  });
});
