import {
  OPERATION_DURATION_BUCKETS,
  pusdToUsd,
  TOKEN_USAGE_BUCKETS,
  usdToPusd,
} from '@costlens/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import type OpenAI from 'openai';
import * as openaiModule from 'openai';
import * as openai6Module from 'openai6';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  costOf,
  type FakeOpenAI,
  GPT_4O_MINI_COST,
  openaiTestbed,
  VIDEO_FAILURE,
} from './fake-openai.js';
import { onlySpan, type Telemetry, useTestbed, waitForSpans } from './harness.js';

// The other OpenAI APIs (Responses, embeddings, images, videos), the metrics, the
// disabled state and openai 6, through the real SDK.

let server: FakeOpenAI;
let t: Telemetry;
let client: OpenAI;

useTestbed(openaiTestbed, (bed) => {
  ({ server, t, client } = bed);
});

describe('responses, embeddings, images, videos', () => {
  it('the Responses API: usage with cached and reasoning tokens', async () => {
    const r = await client.responses.create({ model: 'o4-mini', input: 'Tell me a story' });
    expect(r.id).toMatch(/^resp_/);
    expect(onlySpan(t).attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'o4-mini',
      'gen_ai.response.model': 'o4-mini-2025-04-16',
      'gen_ai.response.finish_reasons': ['completed'],
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.reasoning.output_tokens': 300,
    });
  });

  it('the Responses API streaming: usage from response.completed', async () => {
    const stream = await client.responses.create({ model: 'o4-mini', input: 'Hi', stream: true });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_text.delta',
      'response.completed',
    ]);
    const a = onlySpan(t).attributes;
    expect(a).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
      'gen_ai.response.finish_reasons': ['completed'],
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.output_tokens': 500,
    });
    expect(a['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });

  it('embeddings', async () => {
    const out = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(out.data[0]!.embedding).toHaveLength(3);
    const a = onlySpan(t).attributes;
    expect(onlySpan(t).name).toBe('embeddings text-embedding-3-small');
    expect(a).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': 8,
    });
    // $0.02 per 1M tokens: 20,000 pUSD a token
    expect(costOf(a)).toBe(pusdToUsd(8 * 20_000));
  });

  it('gpt-image-1, high quality 1024x1536: per-image price plus the text prompt, image tokens not billed twice', async () => {
    await client.images.generate({
      model: 'gpt-image-1',
      prompt: 'a cat',
      quality: 'high',
      size: '1024x1536',
    });
    const a = onlySpan(t).attributes;
    expect(a).toMatchObject({
      'gen_ai.operation.name': 'image_generation',
      'costlens.image.count': 1,
      'costlens.image.size': '1024x1536',
      'costlens.image.quality': 'high',
      'gen_ai.usage.input_tokens': 50,
    });
    expect(a['gen_ai.usage.output_tokens']).toBeUndefined();
    // $0.25 per high 1024x1536 image, $5 / 1M text input tokens (5,000,000 pUSD a token)
    expect(costOf(a)).toBe(pusdToUsd(usdToPusd(0.25) + 50 * 5_000_000));
  });
});

describe('Sora video jobs, recorded when a poll of the app sees them end', () => {
  const submit = () =>
    client.videos.create({ model: 'sora-2', prompt: 'a wave', seconds: '8', size: '1280x720' });
  const pollUntilDone = async (id: string) => {
    let video = await client.videos.retrieve(id);
    for (let i = 0; i < 10 && (video.status === 'queued' || video.status === 'in_progress'); i++) {
      video = await client.videos.retrieve(id);
    }
    return video;
  };

  afterEach(() => {
    server.videos.pendingPolls = 0;
    server.videos.outcome = 'completed';
  });

  it('completed: one record, billed for its 8 s at 720p ($0.80)', async () => {
    server.videos.pendingPolls = 2;
    const job = await submit();
    expect(job.status).toBe('queued');
    expect(t.spans()).toHaveLength(0);
    const video = await pollUntilDone(job.id);
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
    expect(video.status).toBe('completed');
    const span = onlySpan(t);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'video_generation',
      'gen_ai.response.id': job.id,
      'costlens.video.seconds': 8,
      'costlens.video.resolution': '720p',
      'costlens.video.state': 'succeeded',
    });
    expect(costOf(span.attributes)).toBeCloseTo(0.8, 12); // $0.10 per second at 720p
    expect(span.attributes['gen_ai.usage.cost']).toBe(costOf(span.attributes));
  });

  it('failed after submission: one record, ERROR, $0, with the error', async () => {
    server.videos.outcome = 'failed';
    const video = await pollUntilDone((await submit()).id);
    expect(video.error).toEqual(VIDEO_FAILURE);
    const span = onlySpan(t);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: `${VIDEO_FAILURE.code}: ${VIDEO_FAILURE.message}`,
    });
    expect(span.attributes).toMatchObject({
      'error.type': 'VideoJobError',
      'costlens.video.state': 'failed',
      'costlens.video.seconds': 0,
      'costlens.cost.usd': 0,
    });
  });
});

describe('a Sora job the app never polls', () => {
  beforeAll(() => t.instrumentation.setConfig({ videoWaitMs: 100 }));
  afterAll(() => t.instrumentation.setConfig({}));

  it('is recorded as submitted, unpriced; a later poll adds the billed end, linked', async () => {
    const job = await client.videos.create({ model: 'sora-2', prompt: 'a wave', seconds: '4' });
    const [submitted] = await waitForSpans(t, 1);
    expect(submitted!.attributes).toMatchObject({
      'gen_ai.response.id': job.id,
      'costlens.video.state': 'submitted',
      'costlens.video.requested_seconds': 4,
      'costlens.cost.unpriced': true,
    });
    expect(submitted!.attributes['costlens.cost.usd']).toBeUndefined();
    await client.videos.retrieve(job.id);
    const spans = await waitForSpans(t, 2);
    expect(spans[1]!.links[0]!.context.spanId).toBe(submitted!.spanContext().spanId);
    expect(spans[1]!.attributes).toMatchObject({
      'costlens.video.state': 'succeeded',
      'costlens.video.seconds': 4,
    });
    expect(costOf(spans[1]!.attributes)).toBeCloseTo(0.4, 12);
  });
});

describe('metrics', () => {
  it("token usage and duration histograms with the conventions' attributes, a cost counter", async () => {
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const all = (await t.metrics()).flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics));
    const byName = (n: string) => all.filter((m) => m.descriptor.name === n).at(-1)!;
    const tokens = byName('gen_ai.client.token.usage');
    const types = tokens.dataPoints.map((p) => p.attributes['gen_ai.token.type']).sort();
    expect(types).toContain('input');
    expect(types).toContain('output');
    // Metrics are cumulative over the file: the data point of this test's model.
    const input = tokens.dataPoints.find(
      (p) =>
        p.attributes['gen_ai.token.type'] === 'input' &&
        p.attributes['gen_ai.request.model'] === 'gpt-4o-mini',
    )!;
    expect(input.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
    });
    // The histograms carry the conventions' attributes; the call type is on our counters only.
    expect(input.attributes).not.toHaveProperty('costlens.call_type');
    expect(
      byName('gen_ai.client.operation.duration').dataPoints.every(
        (p) => !('costlens.call_type' in p.attributes),
      ),
    ).toBe(true);
    // The conventions' buckets, as pricing keeps them for the collector too.
    const boundaries = (p: DataPoint<unknown>) =>
      (p.value as { buckets: { boundaries: number[] } }).buckets.boundaries;
    expect(boundaries(input)).toEqual(TOKEN_USAGE_BUCKETS);
    const duration = byName('gen_ai.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    expect(boundaries(duration.dataPoints[0]!)).toEqual(OPERATION_DURATION_BUCKETS);
    const cost = byName('costlens.client.cost');
    expect(cost.dataPoints.reduce((s, p) => s + Number(p.value), 0)).toBeGreaterThan(0);
    // Metrics are cumulative over the file: every series of a chat call has it.
    const counted = [...cost.dataPoints, ...byName('costlens.client.calls').dataPoints];
    const chats = counted.filter((p) => p.attributes['gen_ai.operation.name'] === 'chat');
    expect(chats.length).toBeGreaterThan(0);
    for (const p of chats) expect(p.attributes['costlens.call_type']).toBe('text');
  });
});

describe('disabled, and openai 6', () => {
  it('a disabled instrumentation is a no-op', async () => {
    t.instrumentation.disable();
    try {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [],
        stream: true,
      });
      for await (const _ of stream);
      expect(t.spans()).toHaveLength(0);
      expect(JSON.parse(server.requests.at(-1)!.body).stream_options).toBeUndefined();
    } finally {
      t.instrumentation.enable();
      t.instrumentation.instrumentModules({ openai: openaiModule });
    }
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    expect(t.spans()).toHaveLength(1);
  });

  it('patches openai 6 the same way', async () => {
    t.instrumentation.instrumentModules({ openai: openai6Module });
    const Client6 = openai6Module.OpenAI;
    const old = new Client6({ apiKey: API_KEY, baseURL: server.baseURL });
    await old.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const stream = await old.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    for await (const _ of stream);
    const spans = await waitForSpans(t, 2);
    expect(spans.map((s) => s.attributes['gen_ai.usage.input_tokens'])).toEqual([1000, 1000]);
    expect(spans.map((s) => costOf(s.attributes))).toEqual([GPT_4O_MINI_COST, GPT_4O_MINI_COST]);
  });
});
