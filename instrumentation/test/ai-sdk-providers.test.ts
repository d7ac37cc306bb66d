import { createGateway } from '@ai-sdk/gateway';
import { pusdToUsd, usdToPusd } from '@costlens/pricing';
import { generateImage, generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCall } from './ai-sdk-expect.js';
import { type AiSdkBed, aiSdkTestbed, split, startFakeGateway } from './fake-ai-sdk.js';
import { message, SONNET_46, streamEvents } from './fake-anthropic.js';
import { GEMINI_TEXT } from './fake-google.js';
import { type FakeServer, onlySpan, useTestbed, waitForSpans } from './harness.js';

// The AI SDK 7 through @ai-sdk/anthropic, @ai-sdk/google and the AI Gateway's
// `provider/model` strings: each provider's cache, reasoning and usage
// conventions as the AI SDK reports them, priced at that provider's prices.

let bed: AiSdkBed;
useTestbed(aiSdkTestbed, (b) => {
  bed = b;
});

/** Claude Sonnet 4.6 through Anthropic's API at this local port. */
const anthropic = (port: number) => ({ provider: 'anthropic', model: 'claude-sonnet-4-6', port });

describe('@ai-sdk/anthropic', () => {
  it('generateText: cache reads, 5-minute and 1-hour cache writes and thinking tokens, each at its price', async () => {
    bed.an.reply({
      json: message({
        usage: {
          input_tokens: 100,
          cache_read_input_tokens: 5000,
          cache_creation_input_tokens: 3000,
          cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
          output_tokens: 200,
          output_tokens_details: { thinking_tokens: 50 },
          service_tier: 'standard',
        },
      }),
    });
    const r = await generateText({ model: bed.anthropic('claude-sonnet-4-6'), prompt: 'Hi' });
    expect(r.text).toBe('Hello!');
    const span = onlySpan(bed.t);
    expect(span.name).toBe('chat claude-sonnet-4-6');
    expectCall(span, {
      ...anthropic(bed.an.port),
      attributes: {
        'gen_ai.response.model': 'claude-sonnet-4-6',
        'gen_ai.response.id': 'msg_01XFDUDYJgAACzvnptvVoYEL',
        'gen_ai.response.finish_reasons': ['end_turn'],
        // The AI SDK adds Anthropic's cache tokens back into the input, as the conventions count it.
        'gen_ai.usage.input_tokens': 8100,
        'gen_ai.usage.output_tokens': 200,
        'gen_ai.usage.cache_read.input_tokens': 5000,
        'gen_ai.usage.cache_creation.input_tokens': 3000,
        'costlens.usage.cache_write_1h.input_tokens': 1000,
        'gen_ai.usage.reasoning.output_tokens': 50,
      },
      cost: pusdToUsd(
        100 * SONNET_46.input +
          5000 * SONNET_46.cacheRead +
          2000 * SONNET_46.write5m +
          1000 * SONNET_46.write1h +
          200 * SONNET_46.output,
      ),
    });
  });

  it('streamText: usage from message_start and message_delta', async () => {
    bed.an.reply({
      events: streamEvents({
        chunks: ['Hel', 'lo'],
        startUsage: { input_tokens: 25, cache_read_input_tokens: 100, output_tokens: 1 },
        deltaUsage: { output_tokens: 15 },
      }),
      gapMs: 2,
    });
    const s = streamText({ model: bed.anthropic('claude-sonnet-4-6'), prompt: 'Hi' });
    expect(await s.text).toBe('Hello');
    const [span] = await waitForSpans(bed.t, 1);
    const ttft = expectCall(span!, {
      ...anthropic(bed.an.port),
      stream: true,
      attributes: {
        'gen_ai.response.model': 'claude-sonnet-4-6',
        'gen_ai.response.id': 'msg_01StreamedAbCdEfGhIjKlMn',
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 125,
        'gen_ai.usage.output_tokens': 15,
        'gen_ai.usage.cache_read.input_tokens': 100,
      },
      cost: pusdToUsd(25 * SONNET_46.input + 100 * SONNET_46.cacheRead + 15 * SONNET_46.output),
    });
    expect(ttft).toBeGreaterThan(0);
  });
});

describe('@ai-sdk/google (Gemini API)', () => {
  it('generateText: cached and thinking tokens, gcp.gemini prices, the same cost as through @google/genai', async () => {
    const r = await generateText({
      model: bed.google('gemini-2.5-flash'),
      prompt: 'Why is the sky blue?',
    });
    expect(r.text).toBe(GEMINI_TEXT.candidates[0]!.content.parts[0]!.text);
    const span = onlySpan(bed.t);
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expectCall(span, {
      provider: 'gcp.gemini',
      model: 'gemini-2.5-flash',
      port: bed.gg.port,
      operation: 'generate_content',
      attributes: {
        'gen_ai.response.id': GEMINI_TEXT.responseId,
        'gen_ai.response.finish_reasons': ['STOP'],
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 350,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.reasoning.output_tokens': 200,
      },
      // gemini-2.5-flash: $0.30 / 1M input, $0.03 / 1M cached, $2.50 / 1M output (thinking included)
      cost: expect.closeTo(0.000965, 12),
    });
  });

  it('streamText: usage from the last chunk', async () => {
    const s = streamText({ model: bed.google('gemini-2.5-flash'), prompt: 'Why is the sky blue?' });
    expect(await s.text).toBe('The sky is blue.');
    const [span] = await waitForSpans(bed.t, 1);
    const { rest, cost } = split(span!);
    expect(rest).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 143,
      'gen_ai.usage.reasoning.output_tokens': 23,
    });
    expect(cost).toBe(pusdToUsd(8 * 300_000 + 143 * 2_500_000));
  });
});

describe('@ai-sdk/google images', () => {
  it("generateImage with a Gemini image model: one call (not its inner language call), the image at its resolution's price", async () => {
    const r = await generateImage({
      model: bed.google.image('gemini-3-pro-image-preview'),
      prompt: 'A lighthouse at dusk',
      aspectRatio: '16:9',
      providerOptions: { google: { imageConfig: { imageSize: '2K' } } },
    });
    expect(r.images).toHaveLength(1);
    expect(bed.gg.requests.at(-1)!.path).toMatch(/gemini-3-pro-image-preview:generateContent$/);
    const span = onlySpan(bed.t);
    expect(span.name).toBe('image_generation gemini-3-pro-image-preview');
    expectCall(span, {
      provider: 'gcp.gemini',
      model: 'gemini-3-pro-image-preview',
      port: bed.gg.port,
      operation: 'image_generation',
      callType: 'image',
      attributes: {
        'gen_ai.response.model': 'gemini-3-pro-image-preview',
        'gen_ai.usage.input_tokens': 12,
        // 20 text tokens and 180 thinking tokens; the image's own tokens are the image's price.
        'gen_ai.usage.output_tokens': 200,
        'gen_ai.usage.reasoning.output_tokens': 180,
        'costlens.image.count': 1,
        'costlens.image.resolution': '2K',
        'costlens.aspect_ratio': '16:9',
      },
      // As through @google/genai: the 2K image at $0.134, 12 input tokens at $2/M, 200 output at $12/M.
      cost: pusdToUsd(usdToPusd(0.1344) + 12 * 2_000_000 + 200 * 12_000_000),
    });
  });
});

describe('the AI Gateway: `provider/model` strings', () => {
  let gateway: FakeServer;
  const globals = globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown };
  beforeAll(async () => {
    gateway = await startFakeGateway();
    // What `ai` resolves a string model with: set here to a gateway at the local server.
    globals.AI_SDK_DEFAULT_PROVIDER = createGateway({ apiKey: 'vck_test', baseURL: gateway.url });
  });
  afterAll(async () => {
    delete globals.AI_SDK_DEFAULT_PROVIDER;
    await gateway.close();
  });

  const usage = {
    'gen_ai.response.finish_reasons': ['end_turn'],
    'gen_ai.usage.input_tokens': 1500,
    'gen_ai.usage.output_tokens': 80,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.usage.cache_creation.input_tokens': 200,
  };
  const sonnetCost = pusdToUsd(
    300 * SONNET_46.input +
      1000 * SONNET_46.cacheRead +
      200 * SONNET_46.write5m +
      80 * SONNET_46.output,
  );

  it('generateText with "anthropic/claude-sonnet-4-6": the serving provider and its prices', async () => {
    const r = await generateText({ model: 'anthropic/claude-sonnet-4-6', prompt: 'Hi' });
    expect(r.text).toBe('Hi there');
    const span = onlySpan(bed.t);
    expect(span.name).toBe('chat claude-sonnet-4-6');
    expectCall(span, { ...anthropic(gateway.port), attributes: usage, cost: sonnetCost });
    expect(gateway.requests[0]!.headers['ai-language-model-id']).toBe(
      'anthropic/claude-sonnet-4-6',
    );
  });

  it('streamText with a gateway model', async () => {
    const s = streamText({ model: 'anthropic/claude-sonnet-4-6', prompt: 'Hi' });
    expect(await s.text).toBe('Hi there');
    const [span] = await waitForSpans(bed.t, 1);
    expectCall(span!, {
      ...anthropic(gateway.port),
      stream: true,
      attributes: {
        ...usage,
        'gen_ai.response.model': 'claude-sonnet-4-6',
        'gen_ai.response.id': 'gen_01',
      },
      cost: sonnetCost,
    });
  });
});
