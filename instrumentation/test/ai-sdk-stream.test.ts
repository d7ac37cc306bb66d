import { OpenTelemetry } from '@ai-sdk/otel';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { generateText, registerTelemetry, streamObject, streamText } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectCall } from './ai-sdk-expect.js';
import { type AiSdkBed, aiSdkTestbed, chatStream, split } from './fake-ai-sdk.js';
import { GPT_4O_MINI_COST } from './fake-openai.js';
import { onlySpan, useTestbed, waitForSpans } from './harness.js';

// Streams through the AI SDK 7 (streamText, streamObject): the span ends with
// the stream, whether it completes, is stopped early, aborted or broken; and
// with the AI SDK's own OpenTelemetry integration registered, costlens's span is
// the innermost, a child of its model-call span.

let bed: AiSdkBed;
useTestbed(aiSdkTestbed, (b) => {
  bed = b;
});

const model = () => bed.openai.chat('gpt-4o-mini');
/** gpt-4o-mini streamed from OpenAI's API at this local port. */
const miniStream = (port: number) => ({
  provider: 'openai',
  model: 'gpt-4o-mini',
  port,
  stream: true,
});

describe('streamText', () => {
  it('a whole stream: usage from its last chunk, time to first chunk, OpenAI prices', async () => {
    bed.oa.script(chatStream(['Hel', 'lo', '!'], { gapMs: 5 }));
    const s = streamText({ model: model(), prompt: 'Hi' });
    let text = '';
    for await (const delta of s.textStream) text += delta;
    expect(text).toBe('Hello!');
    const [span] = await waitForSpans(bed.t, 1);
    expect(span!.name).toBe('chat gpt-4o-mini');
    const ttft = expectCall(span!, {
      ...miniStream(bed.oa.port),
      attributes: {
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.response.id': 'chatcmpl-stream-ai',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 100,
        'gen_ai.usage.cache_read.input_tokens': 200,
      },
      cost: GPT_4O_MINI_COST,
    });
    expect(ttft).toBeGreaterThan(0);
  });

  it('stopped early by the app: the span still ends, once', async () => {
    bed.oa.script(chatStream(['a', 'b', 'c', 'd', 'e', 'f'], { gapMs: 20 }));
    const s = streamText({ model: model(), prompt: 'Hi' });
    for await (const _delta of s.textStream) break;
    const spans = await waitForSpans(bed.t, 1, 3000);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.ended).toBe(true);
    expect(spans[0]!.status.code).not.toBe(SpanStatusCode.ERROR);
    await new Promise((r) => setTimeout(r, 200));
    expect(bed.t.spans()).toHaveLength(1);
  });

  it('aborted by the app: the span ends as a failed call', async () => {
    bed.oa.script(chatStream(['a', 'b', 'c', 'd', 'e', 'f'], { gapMs: 50 }));
    const abort = new AbortController();
    const s = streamText({ model: model(), prompt: 'Hi', abortSignal: abort.signal });
    const reading = (async () => {
      for await (const _delta of s.textStream) abort.abort();
    })();
    await reading.catch(() => {});
    const [span] = await waitForSpans(bed.t, 1, 3000);
    expect(span!.ended).toBe(true);
    expect(span!.attributes['error.type']).toBe('DOMException');
    expect(span!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'This operation was aborted',
    });
  });

  it('the connection drops mid-stream: the span ends with the error', async () => {
    bed.oa.script(chatStream(['a', 'b', 'c'], { failAfter: 2 }));
    const s = streamText({ model: model(), prompt: 'Hi', maxRetries: 0, onError: () => {} });
    await s.consumeStream();
    const [span] = await waitForSpans(bed.t, 1, 3000);
    expect(span!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'Failed to process successful response',
    });
    // The stream broke before its usage chunk: a failed call that reported no usage is not billed.
    const ttft = expectCall(span!, {
      ...miniStream(bed.oa.port),
      attributes: {
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.response.id': 'chatcmpl-stream-ai',
        'error.type': 'APICallError',
      },
      cost: 0,
    });
    expect(ttft).toBeGreaterThan(0);
  });

  it("a model stream cancelled by its reader (the model's doStream used directly): ended, not failed", async () => {
    bed.oa.script(chatStream(['a', 'b', 'c', 'd'], { gapMs: 20 }));
    const { stream } = await model().doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    const span = onlySpan(bed.t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });
});

describe('streamObject', () => {
  it('one streamed chat call with its usage', async () => {
    bed.oa.script(chatStream(['{"city":', '"Paris",', '"celsius":18}']));
    const s = streamObject({
      model: model(),
      schema: z.object({ city: z.string(), celsius: z.number() }),
      prompt: 'Weather in Paris as JSON',
    });
    for await (const _partial of s.partialObjectStream) {
      // read to the end
    }
    expect(await s.object).toEqual({ city: 'Paris', celsius: 18 });
    const [span] = await waitForSpans(bed.t, 1);
    expect(split(span!).rest).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    });
    expect(split(span!).cost).toBe(GPT_4O_MINI_COST);
  });
});

describe('with the AI SDK OpenTelemetry integration registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  afterEach(() => {
    // registerTelemetry is global: leave no integration behind for the other tests.
    (globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] }).AI_SDK_TELEMETRY_INTEGRATIONS =
      [];
    exporter.reset();
  });

  it("costlens's span is recorded once, the child of the integration's model-call span", async () => {
    registerTelemetry(new OpenTelemetry({ tracer: provider.getTracer('ai') }));
    await generateText({ model: model(), prompt: 'Hi' });
    const ours = onlySpan(bed.t);
    expect(split(ours).cost).toBe(GPT_4O_MINI_COST);
    const theirs = exporter.getFinishedSpans();
    const parent = theirs.find((s) => s.spanContext().spanId === ours.parentSpanContext?.spanId);
    expect(parent, theirs.map((s) => s.name).join(', ')).toBeDefined();
    // Their innermost span is the model call; ours sits under it.
    expect(theirs.some((s) => s.parentSpanContext?.spanId === parent!.spanContext().spanId)).toBe(
      false,
    );
    expect(parent!.name).toMatch(/chat|gpt-4o-mini/);
  });

  it('a stream too', async () => {
    registerTelemetry(new OpenTelemetry({ tracer: provider.getTracer('ai') }));
    bed.oa.script(chatStream(['Hi']));
    await streamText({ model: model(), prompt: 'Hi' }).consumeStream();
    const [ours] = await waitForSpans(bed.t, 1);
    const theirs = exporter.getFinishedSpans();
    expect(theirs.map((s) => s.spanContext().spanId)).toContain(ours!.parentSpanContext?.spanId);
    expect(split(ours!).cost).toBe(GPT_4O_MINI_COST);
  });
});
