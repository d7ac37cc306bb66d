import { createRequire } from 'node:module';
import type { CallableTool, FunctionCall, Part } from '@google/genai';
import * as googleGenAI from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeGoogle,
  GEMINI_TEXT,
  geminiChunks,
  STREAM_ID,
  sendError,
  startFakeGoogle,
  VEO_OPERATION,
  VERTEX_TEXT,
} from './fake-google.js';
import {
  onlySpan,
  sendJson,
  sendSse,
  setupTelemetry,
  type Telemetry,
  waitForSpans,
} from './harness.js';

const { GoogleGenAI } = googleGenAI;

let server: FakeGoogle;
let t: Telemetry;
let gemini: InstanceType<typeof GoogleGenAI>;
let vertex: InstanceType<typeof GoogleGenAI>;

/** Vertex AI without Google sign-in: an auth client that hands out a fixed token. */
const fakeAuthClient = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer ya29.fake-test-token' }),
};

beforeAll(async () => {
  server = await startFakeGoogle();
  t = setupTelemetry({}, { googleGenAI });
  gemini = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: server.url } });
  vertex = new GoogleGenAI({
    vertexai: true,
    project: 'p',
    location: 'us-central1',
    googleAuthOptions: { authClient: fakeAuthClient as never },
    httpOptions: { baseUrl: server.url },
  });
});
afterEach(() => {
  t.reset();
  server.requests.length = 0;
  server.pendingPolls = 0;
});
afterAll(async () => {
  await t.shutdown();
  await server.close();
});

const at = () => ({ 'server.address': '127.0.0.1', 'server.port': server.port });

/** The cost attributes of a priced call. */
const priced = (usd: number) => ({
  'costlens.cost.usd': expect.closeTo(usd, 12),
  'costlens.cost.breakdown': expect.any(String),
  'costlens.pricing.source': expect.stringMatching(/^\d{4}\.\d{2}\.\d{2}-/),
});

const breakdown = (attrs: Record<string, unknown>) =>
  JSON.parse(String(attrs['costlens.cost.breakdown'])) as Record<string, number>;

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
      ...priced((230 * 0.3 + 19 * 2.5) / 1e6),
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

describe('images', () => {
  const imageCall = (imageSize: string, media: number, aspectRatio: string) => ({
    'gen_ai.operation.name': 'image_generation',
    'gen_ai.provider.name': 'gcp.gemini',
    'costlens.call_type': 'image',
    'gen_ai.request.model': 'gemini-3-pro-image-preview',
    'gen_ai.request.stream': false,
    ...at(),
    'gen_ai.response.model': 'gemini-3-pro-image-preview',
    'gen_ai.response.id': 'Zq2taP2uO6Wz1dkPr_2nmAM',
    'gen_ai.response.finish_reasons': ['STOP'],
    'gen_ai.usage.input_tokens': 12,
    // 20 text tokens and 180 thinking tokens; the image's tokens are the image's price.
    'gen_ai.usage.output_tokens': 200,
    'gen_ai.usage.reasoning.output_tokens': 180,
    'costlens.image.count': 1,
    'costlens.image.resolution': imageSize,
    'costlens.aspect_ratio': aspectRatio,
    'costlens.retry.count': 0,
    // The image at its resolution's price, 12 input tokens at $2/M, 200 output at $12/M.
    ...priced(media + 12 * 2e-6 + 200 * 12e-6),
  });

  for (const [size, media] of [
    ['4K', 0.24],
    ['2K', 0.1344],
  ] as const) {
    it(`Gemini 3 Pro Image at ${size}: one image at the catalogue's ${size} price ($${media})`, async () => {
      const out = await gemini.models.generateContent({
        model: 'gemini-3-pro-image-preview',
        contents: 'A lighthouse at dusk',
        config: { imageConfig: { imageSize: size, aspectRatio: '16:9' } },
      });
      expect(out.data).toBeTruthy();
      const span = onlySpan(t);
      expect(span.name).toBe('image_generation gemini-3-pro-image-preview');
      expect(span.attributes).toEqual(imageCall(size, media, '16:9'));
      expect(breakdown(span.attributes).media).toBe(media);
    });
  }

  it('Imagen generateImages on Vertex AI: two images at the per-image price', async () => {
    const out = await vertex.models.generateImages({
      model: 'imagen-4.0-generate-001',
      prompt: 'Robot holding a red skateboard',
      config: { numberOfImages: 2, aspectRatio: '1:1' },
    });
    expect(out.generatedImages).toHaveLength(2);
    const req = server.requests.at(-1)!;
    expect(req.path).toMatch(/\/models\/imagen-4\.0-generate-001:predict$/);
    expect(JSON.parse(req.body)).toMatchObject({ parameters: { sampleCount: 2 } });
    expect(onlySpan(t).attributes).toEqual({
      'gen_ai.operation.name': 'image_generation',
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'costlens.call_type': 'image',
      'gen_ai.request.model': 'imagen-4.0-generate-001',
      ...at(),
      'costlens.image.count': 2,
      'costlens.aspect_ratio': '1:1',
      'costlens.retry.count': 0,
      // Imagen 4: $0.04 per image.
      ...priced(0.08),
    });
  });
});

describe('videos', () => {
  const veoCall = (audio: boolean, usd: number) => ({
    'gen_ai.operation.name': 'video_generation',
    'gen_ai.provider.name': 'gcp.vertex_ai',
    'costlens.call_type': 'video',
    'gen_ai.request.model': 'veo-3.1-generate-001',
    ...at(),
    'gen_ai.response.id': VEO_OPERATION,
    'costlens.video.seconds': 8,
    'costlens.video.resolution': '1080p',
    'costlens.video.audio': audio,
    'costlens.aspect_ratio': '16:9',
    'costlens.retry.count': 0,
    ...priced(usd),
  });

  it('Veo 3.1, 8 s at 1080p without audio: $1.60; polling still works and adds no span', async () => {
    server.pendingPolls = 1;
    let op = await vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      source: { prompt: 'A neon hologram of a cat driving at top speed' },
      config: {
        durationSeconds: 8,
        resolution: '1080p',
        generateAudio: false,
        aspectRatio: '16:9',
      },
    });
    expect(op.name).toBe(VEO_OPERATION);
    expect(onlySpan(t).attributes).toEqual(veoCall(false, 1.6));
    while (!op.done) op = await vertex.operations.getVideosOperation({ operation: op });
    expect(op.response?.generatedVideos?.[0]?.video?.uri).toBe('gs://demo-bucket/veo/sample_0.mp4');
    const polls = server.requests.filter((r) => r.path.endsWith(':fetchPredictOperation'));
    expect(polls).toHaveLength(2);
    expect(polls[0]!.path).toMatch(
      /\/projects\/p\/locations\/us-central1\/publishers\/google\/models\/veo-3\.1-generate-001:fetchPredictOperation$/,
    );
    expect(JSON.parse(polls[0]!.body)).toEqual({ operationName: VEO_OPERATION });
    expect(t.spans()).toHaveLength(1);
  });

  it('Veo 3.1, 8 s at 1080p with audio: $3.20', async () => {
    await vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      source: { prompt: 'Waves on a beach at sunset' },
      config: { durationSeconds: 8, resolution: '1080p', generateAudio: true, aspectRatio: '16:9' },
    });
    expect(onlySpan(t).attributes).toEqual(veoCall(true, 3.2));
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
