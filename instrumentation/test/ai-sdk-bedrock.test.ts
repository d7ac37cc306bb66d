import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { pusdToUsd } from '@costlens/pricing';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCall } from './ai-sdk-expect.js';
import { type AiSdkBed, aiSdkTestbed, split } from './fake-ai-sdk.js';
import { converseAnswer, converseStreamFrames } from './fake-bedrock.js';
import {
  type FakeServer,
  onlySpan,
  sendJson,
  startServer,
  useTestbed,
  waitForSpans,
} from './harness.js';

// @ai-sdk/amazon-bedrock speaks Bedrock's Converse API itself (over fetch, signed
// with SigV4, not through @aws-sdk/client-bedrock-runtime): its calls are
// recorded as aws.bedrock and priced at Bedrock's prices, once.

let bed: AiSdkBed;
useTestbed(aiSdkTestbed, (b) => {
  bed = b;
});

/** Converse over HTTP/1.1 (what fetch speaks): the JSON answer or the event stream. */
let server: FakeServer;
beforeAll(async () => {
  server = await startServer(async (req, res) => {
    if (req.url?.endsWith('/converse-stream')) {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      const frames = converseStreamFrames({
        chunks: ['Hel', 'lo'],
        usage: { inputTokens: 25, outputTokens: 9, totalTokens: 34 },
      });
      for (const frame of frames) res.write(frame);
      res.end();
      return;
    }
    sendJson(
      res,
      200,
      converseAnswer({
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 620, cacheReadInputTokens: 500 },
      }),
    );
  });
});
afterAll(() => server.close());

const bedrock = () =>
  createAmazonBedrock({
    region: 'us-west-2',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    baseURL: server.url,
  });

/** amazon.nova-pro-v1:0 at Bedrock's prices, pUSD a token. */
const NOVA_PRO = { input: 800_000, output: 3_200_000, cacheRead: 200_000 };

describe('@ai-sdk/amazon-bedrock', () => {
  it('generateText: one aws.bedrock chat span, cache reads added into the input, Bedrock prices', async () => {
    const r = await generateText({ model: bedrock()('amazon.nova-pro-v1:0'), prompt: 'Hi' });
    expect(r.text).toBe('Hello!');
    const span = onlySpan(bed.t);
    expect(span.name).toBe('chat amazon.nova-pro-v1:0');
    expectCall(span, {
      provider: 'aws.bedrock',
      model: 'amazon.nova-pro-v1:0',
      port: server.port,
      attributes: {
        'gen_ai.response.model': 'amazon.nova-pro-v1:0',
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 600,
        'gen_ai.usage.output_tokens': 20,
        'gen_ai.usage.cache_read.input_tokens': 500,
      },
      cost: pusdToUsd(100 * NOVA_PRO.input + 500 * NOVA_PRO.cacheRead + 20 * NOVA_PRO.output),
    });
    // Signed as AWS wants it, by the AI SDK itself.
    expect(String(server.requests[0]!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('streamText over ConverseStream: usage from the metadata event', async () => {
    const s = streamText({ model: bedrock()('amazon.nova-pro-v1:0'), prompt: 'Hi' });
    expect(await s.text).toBe('Hello');
    const [span] = await waitForSpans(bed.t, 1);
    const { rest, cost } = split(span!);
    expect(rest).toMatchObject({
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 25,
      'gen_ai.usage.output_tokens': 9,
    });
    expect(cost).toBe(pusdToUsd(25 * NOVA_PRO.input + 9 * NOVA_PRO.output));
  });

  it('the metrics: tokens, calls and cost under the provider and model of each call', async () => {
    const all = (await bed.t.metrics()).flatMap((rm) => rm.scopeMetrics.flatMap((m) => m.metrics));
    // The latest collection of each metric (cumulative over the file).
    const byName = (n: string) => all.filter((m) => m.descriptor.name === n).at(-1)!;
    const calls = byName('costlens.client.calls').dataPoints;
    for (const p of calls) {
      expect(p.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'aws.bedrock',
        'gen_ai.request.model': 'amazon.nova-pro-v1:0',
      });
    }
    expect(calls.reduce((n, p) => n + Number(p.value), 0)).toBe(2);
    const input = byName('gen_ai.client.token.usage').dataPoints.filter(
      (p) => p.attributes['gen_ai.token.type'] === 'input',
    );
    expect(input.reduce((n, p) => n + (p.value as { sum: number }).sum, 0)).toBe(600 + 25);
    const cost = byName('costlens.client.cost').dataPoints;
    expect(cost.reduce((sum, p) => sum + Number(p.value), 0)).toBeCloseTo(
      pusdToUsd(
        100 * NOVA_PRO.input +
          500 * NOVA_PRO.cacheRead +
          20 * NOVA_PRO.output +
          25 * NOVA_PRO.input +
          9 * NOVA_PRO.output,
      ),
      12,
    );
  });
});
