import { pusdToUsd } from '@costlens/pricing';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  embed,
  embedMany,
  generateImage,
  generateObject,
  generateText,
  isStepCount,
  tool,
} from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AFTER_TOOL_COMPLETION,
  type AiSdkBed,
  aiSdkTestbed,
  answer,
  split,
  TOOL_CALL_COMPLETION,
} from './fake-ai-sdk.js';
import { CHAT_COMPLETION, GPT_4O_MINI_COST, sendError } from './fake-openai.js';
import { onlySpan, useTestbed } from './harness.js';

// The AI SDK 7 (`ai` with `@ai-sdk/openai` 4) over OpenAI's wire format: each
// model call one span with its own usage, priced at OpenAI's prices.

let bed: AiSdkBed;
useTestbed(aiSdkTestbed, (b) => {
  bed = b;
});

const server = () => ({ 'server.address': '127.0.0.1', 'server.port': bed.oa.port });
const priced = (usd: number) => ({ cost: usd, interop: usd, source: expect.any(String) });

/** A parent span context the calls run under, as an app's request span would be. */
const PARENT = trace.setSpanContext(context.active(), {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
});

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }: { city: string }) => ({ city, celsius: 18 }),
});

describe('generateText', () => {
  it('chat completions: one chat span, usage with cache reads, OpenAI prices', async () => {
    const r = await generateText({ model: bed.openai.chat('gpt-4o-mini'), prompt: 'Hi' });
    expect(r.text).toBe('Hello! How can I help?');
    const span = onlySpan(bed.t);
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.kind).toBe(2); // CLIENT
    const { rest, ...cost } = split(span);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      ...server(),
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': CHAT_COMPLETION.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 200,
    });
    expect(cost).toMatchObject(priced(GPT_4O_MINI_COST));
    expect(JSON.parse(String(cost.breakdown))).toMatchObject({
      cache_read: pusdToUsd(200 * 75_000),
    });
  });

  it('the Responses API (the default model): reasoning and cached tokens', async () => {
    await generateText({ model: bed.openai('o4-mini'), prompt: 'Tell me a story' });
    const { rest, ...cost } = split(onlySpan(bed.t));
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'o4-mini',
      ...server(),
      'gen_ai.response.model': 'o4-mini-2025-04-16',
      'gen_ai.response.id': 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 300,
    });
    // o4-mini: $1.10 / 1M input, $0.275 / 1M cached input, $4.40 / 1M output (reasoning included)
    expect(cost).toMatchObject(
      priced(pusdToUsd(1000 * 1_100_000 + 1000 * 275_000 + 500 * 4_400_000)),
    );
  });

  it('a tool call in two steps is two model calls: two spans, each with its own usage, under the active span', async () => {
    bed.oa.script(answer(TOOL_CALL_COMPLETION), answer(AFTER_TOOL_COMPLETION));
    const r = await context.with(PARENT, () =>
      generateText({
        model: bed.openai.chat('gpt-4o-mini'),
        prompt: 'Weather in Paris?',
        tools: { weather },
        stopWhen: isStepCount(3),
      }),
    );
    expect(r.steps).toHaveLength(2);
    expect(r.text).toBe('It is 18°C in Paris.');
    const spans = bed.t.spans();
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini']);
    for (const s of spans) {
      expect(s.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(s.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    }
    const [first, second] = spans.map(split);
    expect(first!.rest).toMatchObject({
      'gen_ai.response.id': 'chatcmpl-tool-1',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 300,
      'gen_ai.usage.output_tokens': 20,
    });
    expect(first!.rest['gen_ai.usage.cache_read.input_tokens']).toBeUndefined();
    expect(second!.rest).toMatchObject({
      'gen_ai.response.id': 'chatcmpl-tool-2',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 360,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.usage.cache_read.input_tokens': 256,
    });
    // gpt-4o-mini: 150,000 pUSD an input token, 75,000 cached, 600,000 output
    expect(first!.cost).toBe(pusdToUsd(300 * 150_000 + 20 * 600_000));
    expect(second!.cost).toBe(pusdToUsd(104 * 150_000 + 256 * 75_000 + 12 * 600_000));
    // The second request carried the tool's result: the model was really called twice.
    expect(bed.oa.requests.at(-1)!.body).toContain('celsius');
  });

  it('a failed call: an error span, error.type the AI SDK error class, not billed', async () => {
    bed.oa.script((_req, res) => sendError(res, 401, 'invalid_request_error', 'Incorrect API key'));
    await expect(
      generateText({ model: bed.openai.chat('gpt-4o-mini'), prompt: 'Hi', maxRetries: 0 }),
    ).rejects.toThrow('Incorrect API key');
    const span = onlySpan(bed.t);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Incorrect API key' });
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      ...server(),
      'error.type': 'APICallError',
      'costlens.cost.usd': 0,
      'gen_ai.usage.cost': 0,
    });
  });

  it("the AI SDK's retries: each attempt is a model call of its own, the failed one not billed", async () => {
    bed.oa.script(
      (_req, res) => sendError(res, 429, 'rate_limit_exceeded', 'Slow down'),
      answer(CHAT_COMPLETION),
    );
    await generateText({ model: bed.openai.chat('gpt-4o-mini'), prompt: 'Hi', maxRetries: 1 });
    const [failed, ok] = bed.t.spans().map(split);
    expect(failed!.rest['error.type']).toBe('APICallError');
    expect(failed!.cost).toBe(0);
    expect(ok!.rest['error.type']).toBeUndefined();
    expect(ok!.cost).toBe(GPT_4O_MINI_COST);
  });
});

describe('generateObject, embeddings, images', () => {
  it('generateObject: one chat call with its usage', async () => {
    bed.oa.script(
      answer({
        ...CHAT_COMPLETION,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '{"city":"Paris","celsius":18}' },
            finish_reason: 'stop',
          },
        ],
      }),
    );
    const r = await generateObject({
      model: bed.openai.chat('gpt-4o-mini'),
      schema: z.object({ city: z.string(), celsius: z.number() }),
      prompt: 'Weather in Paris as JSON',
    });
    expect(r.object).toEqual({ city: 'Paris', celsius: 18 });
    const { rest, cost } = split(onlySpan(bed.t));
    expect(rest).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    });
    expect(cost).toBe(GPT_4O_MINI_COST);
  });

  it('embed: one embeddings span with the input tokens', async () => {
    const r = await embed({
      model: bed.openai.embedding('text-embedding-3-small'),
      value: 'hello',
    });
    expect(r.embedding).toHaveLength(3);
    const span = onlySpan(bed.t);
    expect(span.name).toBe('embeddings text-embedding-3-small');
    const { rest, ...cost } = split(span);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      ...server(),
      'gen_ai.usage.input_tokens': 8,
    });
    // $0.02 per 1M tokens: 20,000 pUSD a token
    expect(cost).toMatchObject(priced(pusdToUsd(8 * 20_000)));
  });

  it('embedMany in two requests (maxEmbeddingsPerCall): two embeddings calls', async () => {
    const model = bed.openai.embedding('text-embedding-3-small');
    Object.assign(model, { maxEmbeddingsPerCall: 1 });
    const r = await embedMany({ model, values: ['a', 'b'] });
    expect(r.embeddings).toHaveLength(2);
    const spans = bed.t.spans();
    expect(spans.map((s) => [s.name, s.attributes['gen_ai.usage.input_tokens']])).toEqual([
      ['embeddings text-embedding-3-small', 8],
      ['embeddings text-embedding-3-small', 8],
    ]);
  });

  it('generateImage with gpt-image-1: the image at its per-image price plus the prompt tokens', async () => {
    const r = await generateImage({
      model: bed.openai.image('gpt-image-1'),
      prompt: 'a cat',
      size: '1024x1536',
      providerOptions: { openai: { quality: 'high' } },
    });
    expect(r.images).toHaveLength(1);
    const span = onlySpan(bed.t);
    expect(span.name).toBe('image_generation gpt-image-1');
    const { rest, ...cost } = split(span);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'image_generation',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-image-1',
      ...server(),
      'gen_ai.response.model': 'gpt-image-1',
      'gen_ai.usage.input_tokens': 50,
      'costlens.image.count': 1,
      'costlens.image.size': '1024x1536',
      'costlens.image.quality': 'high',
    });
    // $0.25 per high 1024x1536 image, $5 / 1M text input tokens; the 6,240 image tokens are the image
    expect(cost).toMatchObject(priced(pusdToUsd(250_000_000_000 + 50 * 5_000_000)));
  });
});
