import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeServer,
  onlySpan,
  sendJson,
  setupTelemetry,
  startServer,
  type Telemetry,
} from './harness.js';

// track() records calls made with any client: here a hand-written fetch client
// for Cloudflare Workers AI's REST API and a video generator that retries.

let t: Telemetry;
let server: FakeServer;
let videoFailures = 0;

beforeAll(async () => {
  t = setupTelemetry();
  server = await startServer((req, res) => {
    if (req.url?.startsWith('/client/v4/accounts/acc-1/ai/run/')) {
      return sendJson(res, 200, {
        result: {
          response: 'Hello from Workers AI',
          usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
        },
        success: true,
        errors: [],
        messages: [],
      });
    }
    if (req.url === '/videos') {
      if (videoFailures > 0) {
        videoFailures--;
        return sendJson(res, 503, { error: 'overloaded' });
      }
      return sendJson(res, 200, { name: 'operations/vid-1', path: '/out/vid-1.mp4' });
    }
    sendJson(res, 404, { error: 'no such path' });
  });
});
afterEach(() => t.reset());
afterAll(async () => {
  await t.shutdown();
  await server.close();
});

interface WorkersAiResult {
  result: { response: string; usage: { prompt_tokens: number; completion_tokens: number } };
}

async function runWorkersAi(model: string): Promise<WorkersAiResult> {
  const res = await fetch(`${server.url}/client/v4/accounts/acc-1/ai/run/${model}`, {
    method: 'POST',
    headers: { authorization: 'Bearer cf-secret-token-123456', 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
  });
  return (await res.json()) as WorkersAiResult;
}

class VideoServiceError extends Error {}

async function generateVideo(): Promise<{ name: string; path: string }> {
  const res = await fetch(`${server.url}/videos`, { method: 'POST' });
  if (!res.ok) throw new VideoServiceError(`video service answered ${res.status}`);
  return (await res.json()) as { name: string; path: string };
}

describe('track()', () => {
  it('a Cloudflare Workers AI call over REST: usage from the result, priced from the catalogue', async () => {
    const model = '@cf/meta/llama-3.1-8b-instruct';
    const out = await t.instrumentation.track(
      {
        provider: 'cloudflare',
        model,
        serverAddress: '127.0.0.1',
        serverPort: server.port,
        extract: (r: WorkersAiResult) => ({
          usage: {
            input_tokens: r.result.usage.prompt_tokens,
            output_tokens: r.result.usage.completion_tokens,
          },
        }),
      },
      () => runWorkersAi(model),
    );
    expect(out.result.response).toBe('Hello from Workers AI');
    const span = onlySpan(t);
    expect(span.name).toBe(`chat ${model}`);
    const {
      'costlens.cost.usd': cost,
      'gen_ai.usage.cost': interopCost,
      'costlens.cost.breakdown': _b,
      ...rest
    } = span.attributes;
    expect(interopCost).toBe(cost);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'cloudflare',
      'gen_ai.request.model': model,
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'costlens.pricing.source': expect.stringMatching(/^\d{4}\./),
    });
    // Workers AI list price for this model: $0.282 / 1M input, $0.827 / 1M output (rounded in
    // Cloudflare's table; the catalogue keeps the neuron-derived figures).
    expect(Number(cost)).toBeGreaterThan(0.00044);
    expect(Number(cost)).toBeLessThan(0.00045);
    expect(JSON.stringify(span.attributes)).not.toContain('cf-secret-token');
  });

  it('a video generator retried three times: one span, retry count 2, billed seconds from the request', async () => {
    videoFailures = 2;
    const out = await t.instrumentation.track(
      {
        provider: 'gcp.vertex_ai',
        model: 'veo-3.1-generate-001',
        callType: 'video',
        usage: { video_seconds: 8, video_resolution: '1080p', video_audio: true },
        retry: { attempts: 3, delayMs: (n) => n },
        extract: (r) => ({ responseId: r.name, outputPath: r.path }),
      },
      () => generateVideo(),
    );
    expect(out.name).toBe('operations/vid-1');
    const span = onlySpan(t);
    expect(span.name).toBe('video_generation veo-3.1-generate-001');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'video_generation',
      'costlens.retry.count': 2,
      'costlens.video.seconds': 8,
      'costlens.video.resolution': '1080p',
      'costlens.video.audio': true,
      'costlens.output.path': '/out/vid-1.mp4',
      'gen_ai.response.id': 'operations/vid-1',
      'costlens.cost.usd': 3.2,
    });
  });

  it('gives up after the last attempt: the caller gets the error itself, the span is ERROR, cost 0', async () => {
    videoFailures = 5;
    const err = await t.instrumentation
      .track(
        {
          provider: 'gcp.vertex_ai',
          model: 'veo-3.1-generate-001',
          callType: 'video',
          retry: { attempts: 3 },
        },
        () => generateVideo(),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VideoServiceError);
    const span = onlySpan(t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'video service answered 503',
    });
    expect(span.attributes).toMatchObject({
      'error.type': 'VideoServiceError',
      'costlens.retry.count': 2,
      'costlens.cost.usd': 0,
    });
    videoFailures = 0;
  });

  it('retryOn decides which errors are worth another attempt', async () => {
    let calls = 0;
    await expect(
      t.instrumentation.track(
        { provider: 'openai', model: 'gpt-4o', retry: { attempts: 5, retryOn: () => false } },
        () => {
          calls++;
          throw new TypeError('bad request');
        },
      ),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
    expect(onlySpan(t).attributes).not.toHaveProperty('costlens.retry.count');
  });

  it('callers that retry themselves report attempts and usage as they go', async () => {
    await t.instrumentation.track(
      { provider: 'openai', model: 'gpt-4o-mini', stream: true },
      async (call) => {
        call.attempt();
        call.firstChunk();
        call.report({ usage: { input_tokens: 10 } });
        call.report({ usage: { output_tokens: 5 }, responseModel: 'gpt-4o-mini-2024-07-18' });
      },
    );
    expect(onlySpan(t).attributes).toMatchObject({
      'costlens.retry.count': 1,
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.request.stream': true,
    });
    expect(onlySpan(t).attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
  });

  it('a throwing extract is logged, not thrown: the call still returns', async () => {
    const out = await t.instrumentation.track(
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        extract: () => {
          throw new Error('bug in my extractor');
        },
      },
      () => 42,
    );
    expect(out).toBe(42);
    expect(t.spans()).toHaveLength(1);
  });

  it('refuses meta it cannot use, with the fix in the message', async () => {
    const track = t.instrumentation.track.bind(t.instrumentation);
    await expect(track({ provider: 'openai' } as never, () => 1)).rejects.toThrow(
      'track(meta, fn): meta.model must be a non-empty string',
    );
    await expect(
      track({ provider: 'openai', model: 'x', retry: { attempts: 0 } }, () => 1),
    ).rejects.toThrow(/attempts is 0/);
    await expect(track({ provider: 'openai', model: 'x' }, 'nope' as never)).rejects.toThrow(
      'track(meta, fn): fn must be the function that makes the call',
    );
    expect(t.spans()).toHaveLength(0);
  });
});
