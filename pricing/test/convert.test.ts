import { describe, expect, it } from 'vitest';
import { convertGenaiPrices } from '../src/build/genai-prices.js';
import { convertLitellm } from '../src/build/litellm.js';
import { SourceFormatError } from '../src/build/providers.js';

// Entries copied from the source files in pricing/sources/ (cost fields only).
const LITELLM = {
  sample_spec: {
    litellm_provider: 'one of https://docs.litellm.ai/docs/providers',
    input_cost_per_token: 0,
  },
  'gemini/gemini-2.5-pro': {
    cache_read_input_token_cost: 1.25e-7,
    cache_read_input_token_cost_above_200k_tokens: 2.5e-7,
    input_cost_per_token: 1.25e-6,
    input_cost_per_token_above_200k_tokens: 2.5e-6,
    input_cost_per_token_priority: 1.25e-6,
    litellm_provider: 'gemini',
    mode: 'chat',
    output_cost_per_token: 1e-5,
    output_cost_per_token_above_200k_tokens: 1.5e-5,
  },
  'claude-sonnet-4-5': {
    cache_creation_input_token_cost: 3.75e-6,
    cache_creation_input_token_cost_above_1hr: 6e-6,
    cache_creation_input_token_cost_above_1hr_above_200k_tokens: 1.2e-5,
    cache_read_input_token_cost: 3e-7,
    input_cost_per_token: 3e-6,
    input_cost_per_token_above_200k_tokens: 6e-6,
    output_cost_per_token_above_200k_tokens: 2.25e-5,
    cache_creation_input_token_cost_above_200k_tokens: 7.5e-6,
    cache_read_input_token_cost_above_200k_tokens: 6e-7,
    litellm_provider: 'anthropic',
    mode: 'chat',
    output_cost_per_token: 1.5e-5,
  },
  'high/1024-x-1536/gpt-image-1': {
    input_cost_per_image: 0.25,
    input_cost_per_pixel: 1.58945719e-7,
    litellm_provider: 'openai',
    mode: 'image_generation',
    output_cost_per_pixel: 0,
  },
  'hd/1024-x-1024/dall-e-3': {
    input_cost_per_pixel: 7.629e-8,
    litellm_provider: 'openai',
    mode: 'image_generation',
    output_cost_per_pixel: 0,
  },
  'gemini/veo-3.1-lite-generate-preview': {
    litellm_provider: 'gemini',
    mode: 'video_generation',
    output_cost_per_second: 0.05,
    output_cost_per_second_1080p: 0.08,
  },
  'text-embedding-3-small': {
    input_cost_per_token: 2e-8,
    input_cost_per_token_batches: 1e-8,
    litellm_provider: 'openai',
    mode: 'embedding',
    output_cost_per_token: 0,
  },
  'cloudflare/@cf/meta/llama-3.2-3b-instruct': {
    input_cost_per_token: 5.09e-8,
    litellm_provider: 'cloudflare',
    mode: 'chat',
    output_cost_per_token: 3.35e-7,
  },
};

describe('convertLitellm', () => {
  const { models, skipped } = convertLitellm(LITELLM);
  const find = (provider: string, id: string) =>
    models.find((m) => m.provider === provider && m.id === id);

  it('turns per-token prices into per-1M prices and above-Nk fields into tiers', () => {
    expect(find('gcp.gemini', 'gemini-2.5-pro')).toEqual({
      provider: 'gcp.gemini',
      id: 'gemini-2.5-pro',
      mode: 'chat',
      prices: [
        {
          prices: {
            input: 1.25,
            output: 10,
            cache_read: 0.125,
            tiers: [{ above: 200_000, input: 2.5, output: 15, cache_read: 0.25 }],
          },
        },
      ],
      source: 'litellm',
      source_key: 'gemini/gemini-2.5-pro',
    });
    expect(find('anthropic', 'claude-sonnet-4-5')?.prices[0]?.prices).toEqual({
      input: 3,
      output: 15,
      cache_read: 0.3,
      cache_write: 3.75,
      cache_write_1h: 6,
      tiers: [
        {
          above: 200_000,
          input: 6,
          output: 22.5,
          cache_read: 0.6,
          cache_write: 7.5,
          cache_write_1h: 12,
        },
      ],
    });
  });

  it('reads quality and size from image keys, and per-pixel prices as per-image ones', () => {
    expect(find('openai', 'gpt-image-1')).toMatchObject({
      mode: 'image',
      prices: [{ prices: { images: [{ quality: 'high', size: '1024x1536', usd: 0.25 }] } }],
    });
    expect(find('openai', 'dall-e-3')?.prices[0]?.prices.images).toEqual([
      { quality: 'hd', size: '1024x1024', usd: 0.08 },
    ]);
  });

  it('reads per-second video prices, with 720p beside 1080p', () => {
    expect(find('gcp.gemini', 'veo-3.1-lite-generate-preview')?.prices[0]?.prices).toEqual({
      video: [
        { resolution: '720p', usd_per_second: 0.05 },
        { resolution: '1080p', usd_per_second: 0.08 },
      ],
    });
  });

  it('reads a per-second price as video only for a video model', () => {
    // Bedrock's commitment entries price provisioned throughput per second, and a
    // speech model audio per second: neither is a second of generated video.
    const perSecond = { input_cost_per_second: 0.011, output_cost_per_second: 0.011 };
    const { models, skipped } = convertLitellm({
      'bedrock/*/1-month-commitment/cohere.command-text-v14': {
        ...perSecond,
        litellm_provider: 'bedrock',
        mode: 'chat',
      },
      'gpt-4o-mini-tts': { ...perSecond, litellm_provider: 'openai', mode: 'audio_speech' },
      'veo-x': {
        output_cost_per_second: 0.5,
        litellm_provider: 'vertex_ai',
        mode: 'video_generation',
      },
    });
    expect(models.map((m) => m.id)).toEqual(['veo-x']);
    expect(skipped.map((s) => s.key)).toEqual([
      'bedrock/*/1-month-commitment/cohere.command-text-v14',
      'gpt-4o-mini-tts',
    ]);
  });

  it('keeps embeddings and Cloudflare ids, and skips the file-describing keys', () => {
    expect(find('openai', 'text-embedding-3-small')).toMatchObject({
      mode: 'embedding',
      prices: [{ prices: { input: 0.02, output: 0 } }],
    });
    expect(find('cloudflare', '@cf/meta/llama-3.2-3b-instruct')?.prices[0]?.prices).toEqual({
      input: 0.0509,
      output: 0.335,
    });
    expect(skipped).toContainEqual({
      key: 'sample_spec',
      reason: 'describes the file, not a model',
    });
  });

  it('says what is wrong with a file of the wrong shape', () => {
    expect(() => convertLitellm([1, 2])).toThrow(
      new SourceFormatError(
        'LiteLLM price file: expected a JSON object of model entries, got an array',
      ),
    );
    expect(() => convertLitellm({ x: 5 })).toThrow(
      'LiteLLM price file: entry "x" is not an object',
    );
  });
});

describe('convertGenaiPrices', () => {
  const data = [
    {
      id: 'openai',
      models: [
        {
          id: 'o3',
          match: { or: [{ equals: 'o3' }, { starts_with: 'o3-2025' }, { contains: 'o3-' }] },
          prices: [
            { prices: { input_mtok: 10, cache_read_mtok: 0.5, output_mtok: 40 } },
            {
              constraint: { start_date: '2025-06-10' },
              prices: { input_mtok: 2, cache_read_mtok: 0.5, output_mtok: 8 },
            },
          ],
        },
      ],
    },
    {
      id: 'deepseek',
      models: [
        {
          id: 'deepseek-chat',
          match: { equals: 'deepseek-chat' },
          prices: [
            { prices: { input_mtok: 0.135, cache_read_mtok: 0.035, output_mtok: 0.55 } },
            {
              constraint: { start_time: '00:30:00Z', end_time: '16:30:00Z' },
              prices: { input_mtok: 0.27, cache_read_mtok: 0.07, output_mtok: 1.1 },
            },
          ],
        },
      ],
    },
    {
      id: 'google',
      models: [
        {
          id: 'gemini-2.5-pro',
          match: { starts_with: 'gemini-2.5-pro' },
          prices: {
            input_mtok: { base: 1.25, tiers: [{ start: 200000, price: 2.5 }] },
            cache_read_mtok: { base: 0.125, tiers: [{ start: 200000, price: 0.25 }] },
            output_mtok: { base: 10, tiers: [{ start: 200000, price: 15 }] },
          },
        },
        { id: 'web-only', match: { equals: 'web-only' }, prices: { web_searches_kcount: 10 } },
      ],
    },
  ];
  const { models, skipped } = convertGenaiPrices(data);

  it('keeps dated prices, daily windows, tiers, and only explicit names as aliases', () => {
    expect(models).toEqual([
      {
        provider: 'openai',
        id: 'o3',
        aliases: ['o3-2025'],
        mode: 'chat',
        prices: [
          { prices: { input: 10, output: 40, cache_read: 0.5 } },
          { from: '2025-06-10', prices: { input: 2, output: 8, cache_read: 0.5 } },
        ],
        source: 'genai-prices',
        source_key: 'openai/o3',
      },
      {
        provider: 'deepseek',
        id: 'deepseek-chat',
        mode: 'chat',
        prices: [
          { prices: { input: 0.135, output: 0.55, cache_read: 0.035 } },
          {
            daily: { start: '00:30', end: '16:30' },
            prices: { input: 0.27, output: 1.1, cache_read: 0.07 },
          },
        ],
        source: 'genai-prices',
        source_key: 'deepseek/deepseek-chat',
      },
      {
        provider: 'gcp.gemini',
        id: 'gemini-2.5-pro',
        mode: 'chat',
        prices: [
          {
            prices: {
              input: 1.25,
              output: 10,
              cache_read: 0.125,
              tiers: [{ above: 200000, input: 2.5, output: 15, cache_read: 0.25 }],
            },
          },
        ],
        source: 'genai-prices',
        source_key: 'google/gemini-2.5-pro',
      },
    ]);
    expect(skipped).toEqual([
      { key: 'google/web-only', reason: 'no price costlens models (per token)' },
    ]);
  });

  it('says what is wrong with a file of the wrong shape', () => {
    expect(() => convertGenaiPrices({})).toThrow(
      'genai-prices data: expected a JSON list of providers, got object',
    );
    expect(() => convertGenaiPrices([{ id: 'x' }])).toThrow(
      'genai-prices data: provider #0 (x) has no "models" list',
    );
  });
});
