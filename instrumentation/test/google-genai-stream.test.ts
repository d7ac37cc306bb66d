import * as googleGenAI from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { geminiChunks, priced, STREAM_ID, sendError } from './fake-google.js';
import { lastPath, textCall, useGoogle } from './google-testbed.js';
import { type Handler, onlySpan, sendSse, waitForSpans } from './harness.js';

// Streamed calls through the real @google/genai SDK against a local server
// speaking the Gemini API's SSE: the chunks reach the caller unchanged and the
// span ends once, however the stream ends.

const bed = useGoogle();

/** Answers with the Gemini stream's chunks as SSE, spaced and maybe cut off as `opts` says. */
const geminiStream =
  (opts: Parameters<typeof sendSse>[2]): Handler =>
  (_req, res) =>
    sendSse(
      res,
      geminiChunks().map((data) => ({ data })),
      opts,
    );

describe('generateContentStream', () => {
  it('chunks reach the caller; usage from the last chunk; time to first chunk', async () => {
    bed.server.script(geminiStream({ gapMs: 20 }));
    const started = performance.now();
    const stream = await bed.gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    const elapsed = (performance.now() - started) / 1000;
    expect(text).toBe('The sky is blue.');
    expect(lastPath(bed)).toMatch(/:streamGenerateContent\?alt=sse$/);
    const span = onlySpan(bed.t);
    const ttft = span.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(ttft).toBeGreaterThan(0);
    expect(ttft).toBeLessThan(elapsed);
    expect(span.attributes).toEqual({
      ...textCall(bed, { stream: true }),
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': STREAM_ID,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 143,
      'gen_ai.usage.reasoning.output_tokens': 23,
      'gen_ai.response.time_to_first_chunk': ttft,
      // 8 input at $0.30/M, 143 output (23 of them thinking) at $2.50/M.
      ...priced(0.0003599),
    });
  });

  it('an early break ends the span once, with the usage seen so far', async () => {
    bed.server.script(geminiStream({ gapMs: 30 }));
    const stream = await bed.gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
    });
    for await (const chunk of stream) {
      expect(chunk.text).toBe('The');
      break;
    }
    const spans = await waitForSpans(bed.t, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(bed.t.spans()).toHaveLength(1);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[0]!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.response.id': STREAM_ID,
    });
    expect(spans[0]!.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
  });

  it('a connection dropped mid-stream ends the span as an error, and the caller sees it', async () => {
    bed.server.script(geminiStream({ gapMs: 20, failAfter: 2 }));
    const stream = await bed.gemini.models.generateContentStream({
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
    const span = onlySpan(bed.t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': (caught as Error).constructor.name,
      'gen_ai.usage.input_tokens': 8,
    });
  });

  it('a stream that fails to open is an ApiError span', async () => {
    bed.server.script((_req, res) =>
      sendError(res, 500, 'INTERNAL', 'An internal error has occurred.'),
    );
    const err = await bed.gemini.models
      .generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(googleGenAI.ApiError);
    const span = onlySpan(bed.t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('ApiError');
    expect(span.attributes['costlens.cost.usd']).toBe(0);
  });
});
