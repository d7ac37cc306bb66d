import { pusdToUsd } from '@costlens/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { embed, generateObject, generateText, stepCountIs, streamText, tool } from 'ai6';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AFTER_TOOL_COMPLETION,
  type AiSdkBed,
  aiSdkTestbed,
  answer,
  chatStream,
  split,
  TOOL_CALL_COMPLETION,
} from './fake-ai-sdk.js';
import { CHAT_COMPLETION, GPT_4O_MINI_COST, sendError } from './fake-openai.js';
import { onlySpan, useTestbed, waitForSpans } from './harness.js';

// The previous major, AI SDK 6 (`ai` 6 with `@ai-sdk/openai` 3, models of
// specification v3), which publishes no tracing channel: the same model calls,
// recorded the same way.

let bed: AiSdkBed;
useTestbed(aiSdkTestbed, (b) => {
  bed = b;
});

const model = () => bed.openai6.chat('gpt-4o-mini');
const base = () => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'server.address': '127.0.0.1',
  'server.port': bed.oa.port,
  'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
});

describe('ai 6 with @ai-sdk/openai 3', () => {
  it('generateText: one chat span, usage with cache reads', async () => {
    const r = await generateText({ model: model(), prompt: 'Hi' });
    expect(r.text).toBe('Hello! How can I help?');
    const { rest, cost } = split(onlySpan(bed.t));
    expect(rest).toEqual({
      ...base(),
      'gen_ai.response.id': CHAT_COMPLETION.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 200,
    });
    expect(cost).toBe(GPT_4O_MINI_COST);
  });

  it('the Responses API: reasoning tokens', async () => {
    await generateText({ model: bed.openai6('o4-mini'), prompt: 'Tell me a story' });
    const { rest } = split(onlySpan(bed.t));
    expect(rest).toMatchObject({
      'gen_ai.request.model': 'o4-mini',
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.reasoning.output_tokens': 300,
    });
  });

  it('streamText: usage from the last chunk', async () => {
    bed.oa.script(chatStream(['Hel', 'lo']));
    const s = streamText({ model: model(), prompt: 'Hi' });
    expect(await s.text).toBe('Hello');
    const [span] = await waitForSpans(bed.t, 1);
    const { rest, cost, ttft } = split(span!);
    expect(rest).toEqual({
      ...base(),
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'chatcmpl-stream-ai',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 200,
    });
    expect(ttft).toBeGreaterThan(0);
    expect(cost).toBe(GPT_4O_MINI_COST);
  });

  it('a two-step tool call: two spans, each with its own usage', async () => {
    bed.oa.script(answer(TOOL_CALL_COMPLETION), answer(AFTER_TOOL_COMPLETION));
    const r = await generateText({
      model: model(),
      prompt: 'Weather in Paris?',
      tools: {
        weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => ({ city, celsius: 18 }),
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(r.steps).toHaveLength(2);
    const [first, second] = bed.t.spans().map(split);
    expect(bed.t.spans()).toHaveLength(2);
    expect(first!.rest).toMatchObject({
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 300,
      'gen_ai.usage.output_tokens': 20,
    });
    expect(second!.rest).toMatchObject({
      'gen_ai.usage.input_tokens': 360,
      'gen_ai.usage.cache_read.input_tokens': 256,
      'gen_ai.usage.output_tokens': 12,
    });
    expect(first!.cost).toBe(pusdToUsd(300 * 150_000 + 20 * 600_000));
    expect(second!.cost).toBe(pusdToUsd(104 * 150_000 + 256 * 75_000 + 12 * 600_000));
  });

  it('generateObject and embed', async () => {
    bed.oa.script(
      answer({
        ...CHAT_COMPLETION,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '{"ok":true}' },
            finish_reason: 'stop',
          },
        ],
      }),
    );
    const o = await generateObject({
      model: model(),
      schema: z.object({ ok: z.boolean() }),
      prompt: 'ok?',
    });
    expect(o.object).toEqual({ ok: true });
    await embed({ model: bed.openai6.embedding('text-embedding-3-small'), value: 'hello' });
    const spans = bed.t.spans();
    expect(spans.map((s) => s.name)).toEqual([
      'chat gpt-4o-mini',
      'embeddings text-embedding-3-small',
    ]);
    expect(split(spans[0]!).cost).toBe(GPT_4O_MINI_COST);
    expect(split(spans[1]!).cost).toBe(pusdToUsd(8 * 20_000));
  });

  it('an error: an error span, not billed', async () => {
    bed.oa.script((_req, res) => sendError(res, 400, 'invalid_request_error', 'Bad request'));
    await expect(generateText({ model: model(), prompt: 'Hi', maxRetries: 0 })).rejects.toThrow(
      'Bad request',
    );
    const span = onlySpan(bed.t);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Bad request' });
    expect(span.attributes['error.type']).toBe('APICallError');
    expect(split(span).cost).toBe(0);
  });

  it("with experimental_telemetry on, costlens's span is the child of the AI SDK's doGenerate span", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    await generateText({
      model: model(),
      prompt: 'Hi',
      experimental_telemetry: { isEnabled: true, tracer: provider.getTracer('ai') },
    });
    const ours = onlySpan(bed.t);
    const theirs = exporter.getFinishedSpans();
    const parent = theirs.find((s) => s.spanContext().spanId === ours.parentSpanContext?.spanId);
    expect(parent?.name).toBe('ai.generateText.doGenerate');
    expect(split(ours).cost).toBe(GPT_4O_MINI_COST);
  });
});
