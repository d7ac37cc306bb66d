import { createRequire } from 'node:module';
import { pusdToUsd } from '@costlens/pricing';
import type { CallableTool, FunctionCall, Part } from '@google/genai';
import * as googleGenAI from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { breakdown, GEMINI_TEXT, priced, VERTEX_TEXT } from './fake-google.js';
import { at, lastPath, textCall, useGoogle } from './google-testbed.js';
import { onlySpan, sendJson } from './harness.js';

// Calls through the real @google/genai SDK against a local server speaking the
// Gemini API and Vertex AI wire formats: generateContent and embedContent, each
// call one span with its usage and cost; and the patch on the CommonJS build, and off.

const { GoogleGenAI } = googleGenAI;

const bed = useGoogle();

describe('generateContent', () => {
  it('a text answer becomes one CLIENT span with cached and thinking tokens, priced', async () => {
    const out = await bed.gemini.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    expect(out.text).toBe(GEMINI_TEXT.candidates[0]!.content.parts[0]!.text);
    expect(lastPath(bed)).toMatch(/\/models\/gemini-2\.5-flash:generateContent$/);
    const span = onlySpan(bed.t);
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expect(span.kind).toBe(2); // CLIENT
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      ...textCall(bed),
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': GEMINI_TEXT.responseId,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 350,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 200,
      // gemini-2.5-flash: 200 input at $0.30/M, 1000 cached at $0.03/M, 350 output at $2.50/M.
      ...priced(0.000965),
    });
    expect(breakdown(span.attributes)).toMatchObject({ cache_read: 0.00003 });
  });

  it('names the model by its id when the caller uses the resource name', async () => {
    await bed.gemini.models.generateContent({ model: 'models/gemini-2.5-flash', contents: 'Hi' });
    const span = onlySpan(bed.t);
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expect(span.attributes['gen_ai.request.model']).toBe('gemini-2.5-flash');
  });

  it('on Vertex AI the provider is gcp.vertex_ai and the project path is used', async () => {
    const out = await bed.vertex.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello',
    });
    expect(out.text).toBe('Hello from Vertex.');
    const req = bed.server.requests.at(-1)!;
    expect(req.path).toMatch(
      /\/projects\/p\/locations\/us-central1\/publishers\/google\/models\/gemini-2\.5-flash:generateContent$/,
    );
    expect(req.headers.authorization).toBe('Bearer ya29.fake-test-token');
    expect(onlySpan(bed.t).attributes).toEqual({
      ...textCall(bed, { provider: 'gcp.vertex_ai' }),
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': VERTEX_TEXT.responseId,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      // Vertex AI gemini-2.5-flash: $0.30/M input, $2.50/M output.
      ...priced(0.00155),
    });
  });

  it('a chat turn goes through the same patch', async () => {
    const chat = bed.gemini.chats.create({ model: 'gemini-2.5-flash' });
    await chat.sendMessage({ message: 'Hi' });
    expect(onlySpan(bed.t).attributes['gen_ai.usage.input_tokens']).toBe(1200);
  });

  it('automatic function calling: one span whose usage adds up every round', async () => {
    const weather: CallableTool = {
      tool: async () => ({
        functionDeclarations: [{ name: 'get_weather', description: 'Weather in a city' }],
      }),
      callTool: async (calls: FunctionCall[]): Promise<Part[]> =>
        calls.map((c) => ({ functionResponse: { name: c.name, response: { temp_c: 21 } } })),
    };
    bed.server.script(
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
    const out = await bed.gemini.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: { tools: [weather] },
    });
    expect(out.text).toBe('It is 21°C in Paris.');
    expect(bed.server.requests).toHaveLength(2);
    const span = onlySpan(bed.t);
    expect(span.attributes).toMatchObject({
      'gen_ai.response.id': 'round-2',
      'gen_ai.usage.input_tokens': 230,
      'gen_ai.usage.output_tokens': 19,
      // $0.30 / 1M in, $2.50 / 1M out: 300,000 and 2,500,000 pUSD a token
      ...priced(pusdToUsd(230 * 300_000 + 19 * 2_500_000)),
    });
  });
});

describe('embedContent', () => {
  it('Gemini API embeddings report no token count: no usage is recorded, the call is unpriced', async () => {
    const out = await bed.gemini.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['What is your name?', 'What is your favourite colour?'],
    });
    expect(out.embeddings).toHaveLength(2);
    expect(lastPath(bed)).toMatch(/\/models\/gemini-embedding-001:batchEmbedContents$/);
    expect(onlySpan(bed.t).attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-embedding-001',
      ...at(bed),
      // Billed, but by a count the API does not report: unpriced, never $0.
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': 'the response reported no usage',
    });
  });

  it('Vertex AI embeddings count tokens per input; they add up', async () => {
    const out = await bed.vertex.models.embedContent({
      model: 'text-embedding-005',
      contents: ['What is your name?', 'What is your favourite colour?'],
    });
    expect(out.embeddings?.[1]?.statistics?.tokenCount).toBe(8);
    expect(lastPath(bed)).toMatch(/\/publishers\/google\/models\/text-embedding-005:predict$/);
    expect(onlySpan(bed.t).attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'gen_ai.request.model': 'text-embedding-005',
      ...at(bed),
      'gen_ai.usage.input_tokens': 14,
      // $0.10 per million tokens.
      ...priced(0.0000014),
    });
  });
});

describe('the patch', () => {
  it('the CommonJS build is patched too', async () => {
    const cjs = createRequire(import.meta.url)('@google/genai') as typeof googleGenAI;
    expect(cjs.Models).not.toBe(googleGenAI.Models);
    bed.t.instrumentation.instrumentModules({ googleGenAI: cjs });
    const client = new cjs.GoogleGenAI({
      apiKey: 'test-key',
      httpOptions: { baseUrl: bed.server.url },
    });
    await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(onlySpan(bed.t).attributes['gen_ai.usage.input_tokens']).toBe(1200);
  });

  it('disabled instrumentation is a no-op: the SDK runs as it is, no span', async () => {
    bed.t.instrumentation.disable();
    try {
      const client = new GoogleGenAI({
        apiKey: 'test-key',
        httpOptions: { baseUrl: bed.server.url },
      });
      const out = await bed.gemini.models.generateContent({
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
      expect(bed.t.spans()).toHaveLength(0);
    } finally {
      bed.t.instrumentation.enable();
      bed.t.instrumentation.instrumentModules({ googleGenAI });
    }
    await bed.gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(bed.t.spans()).toHaveLength(1);
  });
});
