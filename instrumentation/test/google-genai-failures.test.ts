import * as googleGenAI from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { GEMINI_TEXT, priced, sendError } from './fake-google.js';
import { textCall, useGoogle } from './google-testbed.js';
import { type Handler, onlySpan, sendJson, waitForSpans } from './harness.js';

// Calls through the real @google/genai SDK that fail, are retried by the SDK or
// name a model no catalogue prices: the caller sees what the SDK gives, and the
// span says what happened and what it cost.

const { GoogleGenAI } = googleGenAI;

const bed = useGoogle();

describe("the SDK's own retries", () => {
  // retryOptions turns on @google/genai's retry loop; tiny delays keep the test quick.
  const retrying = (attempts: number) =>
    new GoogleGenAI({
      apiKey: 'test-key',
      httpOptions: {
        baseUrl: bed.server.url,
        retryOptions: { attempts, initialDelay: 0.001, maxDelay: 0.005, jitter: 0 },
      },
    });
  const busy =
    (code: number, status: string): Handler =>
    (_req, res) =>
      sendError(res, code, status, 'The service is busy; try again.');

  it('a 429 and a 503 then a 200: one call, priced once, retry count 2', async () => {
    bed.server.script(busy(429, 'RESOURCE_EXHAUSTED'), busy(503, 'UNAVAILABLE'));
    const out = await retrying(5).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    expect(out.text).toBe(GEMINI_TEXT.candidates[0]!.content.parts[0]!.text);
    expect(bed.server.requests.filter((r) => r.path.endsWith(':generateContent'))).toHaveLength(3);
    const span = onlySpan(bed.t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'costlens.retry.count': 2,
      'gen_ai.usage.input_tokens': 1200,
      ...priced(0.000965),
    });
  });

  it('retries run out: the caller gets the last error, the span says 2 retries and $0', async () => {
    bed.server.script(busy(503, 'UNAVAILABLE'), busy(503, 'UNAVAILABLE'), busy(503, 'UNAVAILABLE'));
    const err = await retrying(3)
      .models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(googleGenAI.ApiError);
    expect((err as googleGenAI.ApiError).status).toBe(503);
    const span = onlySpan(bed.t);
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
    await bed.gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    const spans = await waitForSpans(bed.t, 2);
    expect(spans.map((s) => s.attributes['costlens.retry.count'])).toEqual([undefined, undefined]);
  });

  it('a retried stream counts its retries too', async () => {
    bed.server.script(busy(503, 'UNAVAILABLE'));
    const stream = await retrying(3).models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
    });
    for await (const _ of stream);
    const [span] = await waitForSpans(bed.t, 1);
    expect(span!.attributes['costlens.retry.count']).toBe(1);
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBe(143);
  });
});

describe('failures and unknowns', () => {
  it('a 429 reaches the caller unchanged; the span is an ApiError that cost nothing', async () => {
    let thrown: unknown;
    bed.server.script((_req, res) =>
      sendError(res, 429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
    );
    const p = bed.gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    await p.catch((e: unknown) => {
      thrown = e;
    });
    expect(thrown).toBeInstanceOf(googleGenAI.ApiError);
    expect((thrown as { status: number }).status).toBe(429);
    // The same instance the SDK threw: a second reader sees it too.
    await expect(p).rejects.toBe(thrown);
    const span = onlySpan(bed.t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: (thrown as Error).message,
    });
    expect(span.attributes).toEqual({
      ...textCall(bed),
      'error.type': 'ApiError',
      'costlens.cost.usd': 0,
      'gen_ai.usage.cost': 0,
    });
  });

  it('an unknown model is unpriced, with the reason', async () => {
    bed.server.script((_req, res) =>
      sendJson(res, 200, { ...GEMINI_TEXT, modelVersion: 'gemini-9-ultra' }),
    );
    await bed.gemini.models.generateContent({ model: 'gemini-9-ultra', contents: 'Hi' });
    const attrs = onlySpan(bed.t).attributes;
    expect(attrs['costlens.cost.usd']).toBeUndefined();
    expect(attrs).toMatchObject({
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': expect.stringContaining('unknown model "gemini-9-ultra"'),
      'gen_ai.usage.input_tokens': 1200,
    });
  });
});
