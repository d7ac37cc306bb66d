import { createRequire } from 'node:module';
import { pusdToUsd } from '@costlens/pricing';
import type { CallableTool, FunctionCall, Part } from '@google/genai';
import * as googleGenAI from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  breakdown,
  type FakeGoogle,
  GEMINI_TEXT,
  type GenAI,
  geminiChunks,
  googleTestbed,
  priced,
  resetGoogleTestbed,
  STREAM_ID,
  sendError,
  VERTEX_TEXT,
} from './fake-google.js';
import {
  type Handler,
  onlySpan,
  sendJson,
  sendSse,
  type Telemetry,
  useTestbed,
  waitForSpans,
} from './harness.js';

const { GoogleGenAI } = googleGenAI;

let server: FakeGoogle;
let t: Telemetry;
let gemini: GenAI;
let vertex: GenAI;

useTestbed(
  googleTestbed,
  (bed) => {
    ({ server, t, gemini, vertex } = bed);
  },
  resetGoogleTestbed,
);

const at = () => ({ 'server.address': '127.0.0.1', 'server.port': server.port });

const lastPath = () => server.requests.at(-1)?.path ?? '';

describe('generateContent', () => {
  it('a text answer becomes one CLIENT span with cached and thinking tokens, priced', async () => {
    const out = await gemini.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    expect(out.text).toBe(GEMINI_TEXT.candidates[0]!.content.parts[0]!.text);
    expect(lastPath()).toMatch(/\/models\/gemini-2\.5-flash:generateContent$/);
    const span = onlySpan(t);
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expect(span.kind).toBe(2); // CLIENT
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'costlens.call_type': 'text',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.stream': false,
      ...at(),
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': GEMINI_TEXT.responseId,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 350,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 200,
      'costlens.retry.count': 0,
      // gemini-2.5-flash: 200 input at $0.30/M, 1000 cached at $0.03/M, 350 output at $2.50/M.
      ...priced(0.000965),
    });
    expect(breakdown(span.attributes)).toMatchObject({ cache_read: 0.00003 });
  });

  it('names the model by its id when the caller uses the resource name', async () => {
    await gemini.models.generateContent({ model: 'models/gemini-2.5-flash', contents: 'Hi' });
    const span = onlySpan(t);
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expect(span.attributes['gen_ai.request.model']).toBe('gemini-2.5-flash');
  });

  it('on Vertex AI the provider is gcp.vertex_ai and the project path is used', async () => {
    const out = await vertex.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello',
    });
    expect(out.text).toBe('Hello from Vertex.');
    const req = server.requests.at(-1)!;
    expect(req.path).toMatch(
      /\/projects\/p\/locations\/us-central1\/publishers\/google\/models\/gemini-2\.5-flash:generateContent$/,
    );
    expect(req.headers.authorization).toBe('Bearer ya29.fake-test-token');
    expect(onlySpan(t).attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'costlens.call_type': 'text',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.stream': false,
      ...at(),
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': VERTEX_TEXT.responseId,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'costlens.retry.count': 0,
      // Vertex AI gemini-2.5-flash: $0.30/M input, $2.50/M output.
      ...priced(0.00155),
    });
  });

  it('a chat turn goes through the same patch', async () => {
    const chat = gemini.chats.create({ model: 'gemini-2.5-flash' });
    await chat.sendMessage({ message: 'Hi' });
    expect(onlySpan(t).attributes['gen_ai.usage.input_tokens']).toBe(1200);
  });

  it('automatic function calling: one span whose usage adds up every round', async () => {
    const weather: CallableTool = {
      tool: async () => ({
        functionDeclarations: [{ name: 'get_weather', description: 'Weather in a city' }],
      }),
      callTool: async (calls: FunctionCall[]): Promise<Part[]> =>
        calls.map((c) => ({ functionResponse: { name: c.name, response: { temp_c: 21 } } })),
    };
    server.script(
      (_req, res) =>
        sendJson(res, 200, {
          candidates: [
            {
              content: {
                role: 'model',
                parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
              },
              finishReason: 'STOP',
              index: 0,
            },
          ],
          usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, totalTokenCount: 110 },
          modelVersion: 'gemini-2.5-flash',
          responseId: 'round-1',
        }),
      (_req, res) =>
        sendJson(res, 200, {
          candidates: [
            {
              content: { role: 'model', parts: [{ text: 'It is 21°C in Paris.' }] },
              finishReason: 'STOP',
              index: 0,
            },
          ],
          usageMetadata: { promptTokenCount: 130, candidatesTokenCount: 9, totalTokenCount: 139 },
          modelVersion: 'gemini-2.5-flash',
          responseId: 'round-2',
        }),
    );
    const out = await gemini.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: { tools: [weather] },
    });
    expect(out.text).toBe('It is 21°C in Paris.');
    expect(server.requests).toHaveLength(2);
    const span = onlySpan(t);
    expect(span.attributes).toMatchObject({
      'gen_ai.response.id': 'round-2',
      'gen_ai.usage.input_tokens': 230,
      'gen_ai.usage.output_tokens': 19,
      // $0.30 / 1M in, $2.50 / 1M out: 300,000 and 2,500,000 pUSD a token
      ...priced(pusdToUsd(230 * 300_000 + 19 * 2_500_000)),
    });
  });
});

describe('generateContentStream', () => {
  it('chunks reach the caller; usage from the last chunk; time to first chunk', async () => {
    server.script((_req, res) =>
      sendSse(
        res,
        geminiChunks().map((data) => ({ data })),
        { gapMs: 20 },
      ),
    );
    const started = performance.now();
    const stream = await gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    const elapsed = (performance.now() - started) / 1000;
    expect(text).toBe('The sky is blue.');
    expect(lastPath()).toMatch(/:streamGenerateContent\?alt=sse$/);
    const span = onlySpan(t);
    const ttft = span.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(ttft).toBeGreaterThan(0);
    expect(ttft).toBeLessThan(elapsed);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'costlens.call_type': 'text',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.stream': true,
      ...at(),
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': STREAM_ID,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 143,
      'gen_ai.usage.reasoning.output_tokens': 23,
      'gen_ai.response.time_to_first_chunk': ttft,
      'costlens.retry.count': 0,
      // 8 input at $0.30/M, 143 output (23 of them thinking) at $2.50/M.
      ...priced(0.0003599),
    });
  });

  it('an early break ends the span once, with the usage seen so far', async () => {
    server.script((_req, res) =>
      sendSse(
        res,
        geminiChunks().map((data) => ({ data })),
        { gapMs: 30 },
      ),
    );
    const stream = await gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
    });
    for await (const chunk of stream) {
      expect(chunk.text).toBe('The');
      break;
    }
    const spans = await waitForSpans(t, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.spans()).toHaveLength(1);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[0]!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.response.id': STREAM_ID,
    });
    expect(spans[0]!.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
  });

  it('a connection dropped mid-stream ends the span as an error, and the caller sees it', async () => {
    server.script((_req, res) =>
      sendSse(
        res,
        geminiChunks().map((data) => ({ data })),
        { gapMs: 20, failAfter: 2 },
      ),
    );
    const stream = await gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
    });
    let chunks = 0;
    let caught: unknown;
    try {
      for await (const _ of stream) chunks++;
    } catch (err) {
      caught = err;
    }
    expect(chunks).toBe(2);
    expect(caught).toBeInstanceOf(Error);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': (caught as Error).constructor.name,
      'gen_ai.usage.input_tokens': 8,
    });
  });

  it('a stream that fails to open is an ApiError span', async () => {
    server.script((_req, res) =>
      sendError(res, 500, 'INTERNAL', 'An internal error has occurred.'),
    );
    const err = await gemini.models
      .generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(googleGenAI.ApiError);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('ApiError');
    expect(span.attributes['costlens.cost.usd']).toBe(0);
  });
});

describe('embedContent', () => {
  it('Gemini API embeddings report no token count: no usage is recorded, the call is unpriced', async () => {
    const out = await gemini.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['What is your name?', 'What is your favourite colour?'],
    });
    expect(out.embeddings).toHaveLength(2);
    expect(lastPath()).toMatch(/\/models\/gemini-embedding-001:batchEmbedContents$/);
    expect(onlySpan(t).attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'gcp.gemini',
      'costlens.call_type': 'embedding',
      'gen_ai.request.model': 'gemini-embedding-001',
      ...at(),
      'costlens.retry.count': 0,
      // Billed, but by a count the API does not report: unpriced, never $0.
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': 'the response reported no usage',
    });
  });

  it('Vertex AI embeddings count tokens per input; they add up', async () => {
    const out = await vertex.models.embedContent({
      model: 'text-embedding-005',
      contents: ['What is your name?', 'What is your favourite colour?'],
    });
    expect(out.embeddings?.[1]?.statistics?.tokenCount).toBe(8);
    expect(lastPath()).toMatch(/\/publishers\/google\/models\/text-embedding-005:predict$/);
    expect(onlySpan(t).attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'costlens.call_type': 'embedding',
      'gen_ai.request.model': 'text-embedding-005',
      ...at(),
      'gen_ai.usage.input_tokens': 14,
      'costlens.retry.count': 0,
      // $0.10 per million tokens.
      ...priced(0.0000014),
    });
  });
});

describe("the SDK's own retries", () => {
  // retryOptions turns on @google/genai's retry loop; tiny delays keep the test quick.
  const retrying = (attempts: number) =>
    new GoogleGenAI({
      apiKey: 'test-key',
      httpOptions: {
        baseUrl: server.url,
        retryOptions: { attempts, initialDelay: 0.001, maxDelay: 0.005, jitter: 0 },
      },
    });
  const busy =
    (code: number, status: string): Handler =>
    (_req, res) =>
      sendError(res, code, status, 'The service is busy; try again.');

  it('a 429 and a 503 then a 200: one call, priced once, retry count 2', async () => {
    server.script(busy(429, 'RESOURCE_EXHAUSTED'), busy(503, 'UNAVAILABLE'));
    const out = await retrying(5).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    expect(out.text).toBe(GEMINI_TEXT.candidates[0]!.content.parts[0]!.text);
    expect(server.requests.filter((r) => r.path.endsWith(':generateContent'))).toHaveLength(3);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'costlens.retry.count': 2,
      'gen_ai.usage.input_tokens': 1200,
      ...priced(0.000965),
    });
  });

  it('retries run out: the caller gets the last error, the span says 2 retries and $0', async () => {
    server.script(busy(503, 'UNAVAILABLE'), busy(503, 'UNAVAILABLE'), busy(503, 'UNAVAILABLE'));
    const err = await retrying(3)
      .models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(googleGenAI.ApiError);
    expect((err as googleGenAI.ApiError).status).toBe(503);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'ApiError',
      'costlens.retry.count': 2,
      'costlens.cost.usd': 0,
    });
  });

  it('a stream and a request without retryOptions count their single attempt as 0 retries', async () => {
    const stream = await retrying(3).models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
    });
    for await (const _ of stream);
    await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    const spans = await waitForSpans(t, 2);
    expect(spans.map((s) => s.attributes['costlens.retry.count'])).toEqual([0, 0]);
  });

  it('a retried stream counts its retries too', async () => {
    server.script(busy(503, 'UNAVAILABLE'));
    const stream = await retrying(3).models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
    });
    for await (const _ of stream);
    const [span] = await waitForSpans(t, 1);
    expect(span!.attributes['costlens.retry.count']).toBe(1);
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBe(143);
  });
});

describe('failures and unknowns', () => {
  it('a 429 reaches the caller unchanged; the span is an ApiError that cost nothing', async () => {
    let thrown: unknown;
    server.script((_req, res) =>
      sendError(res, 429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
    );
    const p = gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    await p.catch((e: unknown) => {
      thrown = e;
    });
    expect(thrown).toBeInstanceOf(googleGenAI.ApiError);
    expect((thrown as { status: number }).status).toBe(429);
    // The same instance the SDK threw: a second reader sees it too.
    await expect(p).rejects.toBe(thrown);
    const span = onlySpan(t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: (thrown as Error).message,
    });
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'costlens.call_type': 'text',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.stream': false,
      ...at(),
      'error.type': 'ApiError',
      'costlens.retry.count': 0,
      'costlens.cost.usd': 0,
      'gen_ai.usage.cost': 0,
    });
  });

  it('an unknown model is unpriced, with the reason', async () => {
    server.script((_req, res) =>
      sendJson(res, 200, { ...GEMINI_TEXT, modelVersion: 'gemini-9-ultra' }),
    );
    await gemini.models.generateContent({ model: 'gemini-9-ultra', contents: 'Hi' });
    const attrs = onlySpan(t).attributes;
    expect(attrs['costlens.cost.usd']).toBeUndefined();
    expect(attrs).toMatchObject({
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': expect.stringContaining('unknown model "gemini-9-ultra"'),
      'gen_ai.usage.input_tokens': 1200,
    });
  });

  it('the CommonJS build is patched too', async () => {
    const cjs = createRequire(import.meta.url)('@google/genai') as typeof googleGenAI;
    expect(cjs.Models).not.toBe(googleGenAI.Models);
    t.instrumentation.instrumentModules({ googleGenAI: cjs });
    const client = new cjs.GoogleGenAI({
      apiKey: 'test-key',
      httpOptions: { baseUrl: server.url },
    });
    await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(onlySpan(t).attributes['gen_ai.usage.input_tokens']).toBe(1200);
  });

  it('disabled instrumentation is a no-op: the SDK runs as it is, no span', async () => {
    t.instrumentation.disable();
    try {
      const client = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: server.url } });
      const out = await gemini.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'Hi',
      });
      expect(out.text).toBe(GEMINI_TEXT.candidates[0]!.content.parts[0]!.text);
      const stream = await client.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'Hi',
      });
      let chunks = 0;
      for await (const _ of stream) chunks++;
      expect(chunks).toBe(3);
      expect(t.spans()).toHaveLength(0);
    } finally {
      t.instrumentation.enable();
      t.instrumentation.instrumentModules({ googleGenAI });
    }
    await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(t.spans()).toHaveLength(1);
  });
});
