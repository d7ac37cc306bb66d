import * as openaiPkg from '@ai-sdk/openai';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { type Context, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  embed,
  embedMany,
  generateObject,
  generateText,
  registerTelemetry,
  streamObject,
} from 'ai';
import * as ai6 from 'ai6';
import * as openai6Pkg from 'ai6-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CostlensInstrumentation } from '../src/instrumentation.js';
import { PACKAGE_NAME } from '../src/version.js';
import {
  API_KEY,
  CHAT_COMPLETION,
  type FakeOpenAI,
  sendError,
  startFakeOpenAI,
} from './fake-openai.js';
import { sendJson, sendSse } from './harness.js';

// The AI SDK 7 with its own OpenTelemetry integration registered
// (`registerTelemetry(new OpenTelemetry())` from @ai-sdk/otel) and the
// instrumentation's span processor on the same tracer provider: the span of each
// provider call is the child of the AI SDK's span of that model call, also where
// the AI SDK does not make its span the active one (generateObject, streamObject,
// embed, embedMany), so the collector keeps one record per call.

let oa: FakeOpenAI;
let provider: TracerProvider;
let exporter: InMemorySpanExporter;
let instrumentation: CostlensInstrumentation;
let openai: ReturnType<typeof openaiPkg.createOpenAI>;
const aiGlobal = globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] };

beforeAll(async () => {
  oa = await startFakeOpenAI();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  exporter = new InMemorySpanExporter();
  instrumentation = new CostlensInstrumentation({ enabled: false });
  provider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter }), instrumentation.spanProcessor()],
  });
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  instrumentation.instrumentModules({ aiSdk: [openaiPkg, openai6Pkg] });
  openai = openaiPkg.createOpenAI({ apiKey: API_KEY, baseURL: oa.baseURL });
});
afterEach(() => {
  exporter.reset();
  aiGlobal.AI_SDK_TELEMETRY_INTEGRATIONS = [];
});
afterAll(async () => {
  instrumentation.disable();
  await provider.shutdown();
  await oa.close();
  context.disable();
});

const useOtel = () =>
  registerTelemetry(new OpenTelemetry({ tracer: provider.getTracer('gen_ai') }));

const ours = (s: ReadableSpan) => s.instrumentationScope.name === PACKAGE_NAME;
const id = (s: ReadableSpan) => s.spanContext().spanId;

/**
 * The AI SDK's spans of each provider call (model-call spans with no model-call
 * span of theirs below), each with our spans whose parent it is.
 */
function pairs(spans: ReadableSpan[]) {
  const theirs = spans.filter((s) => !ours(s));
  const modelCalls = theirs.filter(
    (s) =>
      ['chat', 'embeddings'].includes(String(s.attributes['gen_ai.operation.name'])) &&
      !theirs.some((c) => c.parentSpanContext?.spanId === id(s)),
  );
  return modelCalls.map((s) => ({
    name: s.name,
    children: spans
      .filter((c) => ours(c) && c.parentSpanContext?.spanId === id(s))
      .map((c) => {
        expect(c.spanContext().traceId).toBe(s.spanContext().traceId);
        return c.attributes['gen_ai.usage.input_tokens'];
      }),
  }));
}

const PERSON = '{"name":"Ada","age":36}';
const personCompletion = {
  ...CHAT_COMPLETION,
  choices: [{ ...CHAT_COMPLETION.choices[0]!, message: { role: 'assistant', content: PERSON } }],
};
const person = z.object({ name: z.string(), age: z.number() });

function personChunks() {
  const base = {
    id: 'chatcmpl-stream-person',
    object: 'chat.completion.chunk',
    created: 1741569952,
    model: 'gpt-4o-mini-2024-07-18',
  };
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
    { ...base, choices: [{ index: 0, delta: { content: PERSON.slice(0, 10) } }] },
    { ...base, choices: [{ index: 0, delta: { content: PERSON.slice(10) } }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    {
      ...base,
      choices: [],
      usage: { prompt_tokens: 70, completion_tokens: 9, total_tokens: 79 },
    },
  ].map((data) => ({ data }));
}

/** The four operations whose model-call span the AI SDK 7 leaves inactive, and generateText, whose it does not. */
const OPERATIONS: [string, () => Promise<unknown>, { name: string; children: unknown[] }[]][] = [
  [
    'generateObject',
    async () => {
      oa.script((_req, res) => sendJson(res, 200, personCompletion));
      const r = await generateObject({
        model: openai.chat('gpt-4o-mini'),
        schema: person,
        prompt: 'Invent a person.',
      });
      expect(r.object).toEqual({ name: 'Ada', age: 36 });
    },
    [{ name: 'chat gpt-4o-mini', children: [1000] }],
  ],
  [
    'streamObject',
    async () => {
      oa.script((_req, res) => sendSse(res, personChunks(), { done: true }));
      const r = streamObject({
        model: openai.chat('gpt-4o-mini'),
        schema: person,
        prompt: 'Invent a person.',
      });
      for await (const _ of r.partialObjectStream) {
        // read to the end, as an app shows the object growing
      }
      expect(await r.object).toEqual({ name: 'Ada', age: 36 });
    },
    [{ name: 'chat gpt-4o-mini', children: [70] }],
  ],
  [
    'embed',
    () => embed({ model: openai.embedding('text-embedding-3-small'), value: 'sunny day' }),
    [{ name: 'embeddings text-embedding-3-small', children: [8] }],
  ],
  [
    'embedMany, in three requests',
    () => {
      const model = openai.embedding('text-embedding-3-small');
      Object.assign(model, { maxEmbeddingsPerCall: 1 });
      return embedMany({ model, values: ['one', 'two', 'three'] });
    },
    Array(3).fill({ name: 'embeddings text-embedding-3-small', children: [8] }),
  ],
  [
    'generateText',
    () => generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Hi' }),
    [{ name: 'chat gpt-4o-mini', children: [1000] }],
  ],
];

/** A parent span context the calls run under, as an app's request span would be. */
const APP_SPAN = trace.setSpanContext(context.active(), {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
});

describe('with @ai-sdk/otel registered', () => {
  describe.each<[string, Context | undefined]>([
    ['no span active', undefined],
    ["under an app's span", APP_SPAN],
  ])('%s', (_, parent) => {
    it.each(OPERATIONS)(
      '%s: our span of each provider call is the child of its AI SDK span',
      async (_op, run, expected) => {
        useOtel();
        await (parent ? context.with(parent, run) : run());
        const spans = exporter.getFinishedSpans();
        expect(pairs(spans)).toEqual(expected);
        // Every span of ours has such a parent: none is a record beside the AI SDK's.
        expect(spans.filter(ours)).toHaveLength(expected.length);
        if (parent) {
          for (const s of spans)
            expect(s.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
        }
      },
    );
  });

  it('concurrent embeds of one model: each AI SDK span has exactly one child of ours', async () => {
    useOtel();
    const model = openai.embedding('text-embedding-3-small');
    Object.assign(model, { maxEmbeddingsPerCall: 1 });
    const values = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all([
      ...values.map((value) => embed({ model, value })),
      // Three more under an app's span, among them: one embed, an embedMany of two requests.
      context.with(APP_SPAN, () => embed({ model, value: 'g' })),
      context.with(APP_SPAN, () => embedMany({ model, values: ['h', 'i'] })),
    ]);
    const spans = exporter.getFinishedSpans();
    const found = pairs(spans);
    expect(found).toHaveLength(9);
    for (const p of found) expect(p.children).toEqual([8]);
    expect(spans.filter(ours)).toHaveLength(9);
  });

  it('a retried generateObject: both attempts are children of the one AI SDK span', async () => {
    useOtel();
    oa.script(
      (_req, res) => sendError(res, 500, 'server_error', 'The server had an error'),
      (_req, res) => sendJson(res, 200, personCompletion),
    );
    const r = await generateObject({
      model: openai.chat('gpt-4o-mini'),
      schema: person,
      prompt: 'Invent a person.',
      maxRetries: 1,
    });
    expect(r.object).toEqual({ name: 'Ada', age: 36 });
    const attempts = exporter.getFinishedSpans().filter(ours);
    expect(attempts.map((s) => s.status.code)).toEqual([2, 0]); // ERROR, then UNSET
    expect(pairs(exporter.getFinishedSpans())).toEqual([
      { name: 'chat gpt-4o-mini', children: [undefined, 1000] },
    ]);
  }, 10_000);

  it('the Legacy integration (ai.* spans): our span is the child of its ai.embed.doEmbed and ai.generateObject.doGenerate spans', async () => {
    registerTelemetry(new LegacyOpenTelemetry({ tracer: provider.getTracer('ai') }));
    oa.script((_req, res) => sendJson(res, 200, personCompletion));
    await generateObject({
      model: openai.chat('gpt-4o-mini'),
      schema: person,
      prompt: 'Invent a person.',
    });
    await embed({ model: openai.embedding('text-embedding-3-small'), value: 'sunny day' });
    const spans = exporter.getFinishedSpans();
    const parentName = (s: ReadableSpan) =>
      spans.find((p) => id(p) === s.parentSpanContext?.spanId)?.name;
    expect(spans.filter(ours).map(parentName)).toEqual([
      'ai.generateObject.doGenerate',
      'ai.embed.doEmbed',
    ]);
  });
});

describe("AI SDK 6's experimental_telemetry", () => {
  it('our span is the child of its ai.embed.doEmbed and ai.generateObject.doGenerate spans', async () => {
    const openai6 = openai6Pkg.createOpenAI({ apiKey: API_KEY, baseURL: oa.baseURL });
    const experimental_telemetry = { isEnabled: true, tracer: provider.getTracer('ai') };
    oa.script((_req, res) => sendJson(res, 200, personCompletion));
    await ai6.generateObject({
      model: openai6.chat('gpt-4o-mini'),
      schema: person,
      prompt: 'Invent a person.',
      experimental_telemetry,
    });
    await ai6.embedMany({
      model: openai6.embedding('text-embedding-3-small'),
      values: ['one'],
      experimental_telemetry,
    });
    const spans = exporter.getFinishedSpans();
    const parentName = (s: ReadableSpan) =>
      spans.find((p) => id(p) === s.parentSpanContext?.spanId)?.name;
    expect(spans.filter(ours).map(parentName)).toEqual([
      'ai.generateObject.doGenerate',
      'ai.embedMany.doEmbed',
    ]);
  });
});

describe('without @ai-sdk/otel', () => {
  it('our spans are where they were: the roots of their traces, or children of the active span', async () => {
    await embed({ model: openai.embedding('text-embedding-3-small'), value: 'x' });
    await context.with(APP_SPAN, () =>
      embed({ model: openai.embedding('text-embedding-3-small'), value: 'y' }),
    );
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [ours(s), s.parentSpanContext?.spanId])).toEqual([
      [true, undefined],
      [true, 'b7ad6b7169203331'],
    ]);
  });
});
