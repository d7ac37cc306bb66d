import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/catalogue.js';
import { usdToPusd } from '../src/money.js';
import { applyOverrides, parseOverrides } from '../src/overrides.js';
import type { CostBreakdown, PriceRequest } from '../src/types.js';
import { fromAnthropicUsage, fromOpenAIUsage } from '../src/usage.js';

// Real bills, worked out by hand from the providers' published prices, checked
// against the committed catalogue. Amounts in USD here; the catalogue answers in
// whole pico-dollars, so each is compared exactly.
const catalogue = loadCatalogue();
const zero: CostBreakdown = {
  input: 0,
  output: 0,
  cache_read: 0,
  cache_write: 0,
  reasoning: 0,
  media: 0,
};

const BILLS: [string, PriceRequest, number, Partial<CostBreakdown>][] = [
  [
    'Gemini 3 Pro Image, one 2K image (1,120 tokens at $120/1M)',
    {
      provider: 'gcp.gemini',
      model: 'gemini-3-pro-image-preview',
      images: 1,
      image_resolution: '2K',
    },
    0.1344,
    { media: 0.1344 },
  ],
  [
    'Gemini 3 Pro Image, one 4K image (2,000 tokens at $120/1M)',
    {
      provider: 'gcp.gemini',
      model: 'gemini-3-pro-image-preview',
      images: 1,
      image_resolution: '4K',
    },
    0.24,
    { media: 0.24 },
  ],
  [
    'Gemini 3 Pro Image on Vertex AI, two 4K images plus the prompt',
    {
      provider: 'gcp.vertex_ai',
      model: 'gemini-3-pro-image-preview',
      input_tokens: 1000,
      images: 2,
      image_resolution: '4k',
    },
    0.482,
    { input: 0.002, media: 0.48 },
  ],
  [
    'Veo 3.1, 8 s of 1080p with audio ($0.40/s)',
    {
      provider: 'gcp.gemini',
      model: 'veo-3.1-generate-preview',
      video_seconds: 8,
      video_resolution: '1080p',
      video_audio: true,
    },
    3.2,
    { media: 3.2 },
  ],
  [
    'Veo 3.1, 8 s of 1080p without audio ($0.20/s)',
    {
      provider: 'gcp.vertex_ai',
      model: 'veo-3.1-generate-001',
      video_seconds: 8,
      video_resolution: '1080p',
      video_audio: false,
    },
    1.6,
    { media: 1.6 },
  ],
  [
    'Veo 3.1, 8 s of 4K with audio ($0.60/s)',
    {
      provider: 'gcp.gemini',
      model: 'veo-3.1-generate-preview',
      video_seconds: 8,
      video_resolution: '4k',
      video_audio: true,
    },
    4.8,
    { media: 4.8 },
  ],
  [
    'Veo 3.1, 8 s of 4K without audio ($0.40/s)',
    {
      provider: 'gcp.gemini',
      model: 'veo-3.1-generate-preview',
      video_seconds: 8,
      video_resolution: '4k',
      video_audio: false,
    },
    3.2,
    { media: 3.2 },
  ],
  [
    'Sora 2 Pro, 10 s at 1792x1024 ($0.50/s)',
    { provider: 'openai', model: 'sora-2-pro', video_seconds: 10, video_size: '1792x1024' },
    5,
    { media: 5 },
  ],
  [
    'Claude Sonnet 4.5 with cache reads, 5-minute and 1-hour cache writes',
    // 1,000 fresh + 20,000 read + 5,000 5m writes + 10,000 1h writes; 500 out.
    {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      input_tokens: 36_000,
      cache_read_tokens: 20_000,
      cache_write_tokens: 5_000,
      cache_write_1h_tokens: 10_000,
      output_tokens: 500,
    },
    0.09525,
    { input: 0.003, cache_read: 0.006, cache_write: 0.07875, output: 0.0075 },
  ],
  [
    'Gemini 2.5 Pro below 200k input tokens',
    {
      provider: 'gcp.gemini',
      model: 'gemini-2.5-pro',
      input_tokens: 100_000,
      output_tokens: 1_000,
    },
    0.135,
    { input: 0.125, output: 0.01 },
  ],
  [
    'Gemini 2.5 Pro above 200k input tokens: the whole request at the long-context tier',
    {
      provider: 'gcp.gemini',
      model: 'gemini-2.5-pro',
      input_tokens: 250_000,
      output_tokens: 1_000,
    },
    0.64,
    { input: 0.625, output: 0.015 },
  ],
  [
    'Gemini 2.5 Pro: cached tokens count toward the 200k threshold',
    {
      provider: 'gcp.gemini',
      model: 'gemini-2.5-pro',
      input_tokens: 210_000,
      cache_read_tokens: 150_000,
      output_tokens: 0,
    },
    0.1875,
    { input: 0.15, cache_read: 0.0375 },
  ],
  [
    'gpt-image-1, high quality 1024x1536',
    {
      provider: 'openai',
      model: 'gpt-image-1',
      images: 1,
      image_size: '1024x1536',
      image_quality: 'high',
    },
    0.25,
    { media: 0.25 },
  ],
  [
    'gpt-image-1, three low quality 1024x1024 images',
    {
      provider: 'openai',
      model: 'gpt-image-1',
      images: 3,
      image_size: '1024x1024',
      image_quality: 'low',
    },
    0.033,
    { media: 0.033 },
  ],
  [
    'DALL-E 3, one HD 1024x1024 image (LiteLLM per-pixel price, recovered)',
    {
      provider: 'openai',
      model: 'dall-e-3',
      images: 1,
      image_size: '1024x1024',
      image_quality: 'hd',
    },
    0.08,
    { media: 0.08 },
  ],
  [
    'gpt-4o with 8,000 of 10,000 prompt tokens cached',
    {
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      input_tokens: 10_000,
      cache_read_tokens: 8_000,
      output_tokens: 500,
    },
    0.02,
    { input: 0.005, cache_read: 0.01, output: 0.005 },
  ],
  [
    'o3 with reasoning tokens billed at the output price',
    {
      provider: 'openai',
      model: 'o3',
      input_tokens: 1_000,
      output_tokens: 3_000,
      reasoning_tokens: 2_500,
      at: '2026-01-01',
    },
    0.026,
    { input: 0.002, output: 0.004, reasoning: 0.02 },
  ],
  [
    'an embedding: text-embedding-3-small, 1M tokens',
    { provider: 'openai', model: 'text-embedding-3-small', input_tokens: 1_000_000 },
    0.02,
    { input: 0.02 },
  ],
  [
    'Cloudflare Workers AI: llama-3.1-8b-instruct (25,608 + 75,147 neurons per 1M at $0.011/1k)',
    {
      provider: 'cloudflare',
      model: '@cf/meta/llama-3.1-8b-instruct',
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
    },
    1.108305,
    { input: 0.281688, output: 0.826617 },
  ],
];

describe('real bills', () => {
  it.each(BILLS)('%s', (_name, request, total, parts) => {
    const r = catalogue.price(request);
    if (r.unpriced) throw new Error(r.reason);
    expect(r.cost_pusd).toBe(usdToPusd(total));
    const usd = { ...zero, ...parts };
    expect(r.breakdown_pusd).toEqual({
      input: usdToPusd(usd.input),
      output: usdToPusd(usd.output),
      cache_read: usdToPusd(usd.cache_read),
      cache_write: usdToPusd(usd.cache_write),
      reasoning: usdToPusd(usd.reasoning),
      media: usdToPusd(usd.media),
    });
    expect(r.source).toBe(catalogue.version);
  });

  it('an Anthropic usage payload goes through its convention once: cache tokens are not billed twice', () => {
    const usage = fromAnthropicUsage({
      input_tokens: 1_000,
      cache_read_input_tokens: 20_000,
      cache_creation_input_tokens: 15_000,
      cache_creation: { ephemeral_5m_input_tokens: 5_000, ephemeral_1h_input_tokens: 10_000 },
      output_tokens: 500,
    });
    const r = catalogue.price({ provider: 'anthropic', model: 'claude-sonnet-4-5', ...usage });
    expect(r.cost_pusd).toBe(usdToPusd(0.09525));
  });

  it('an OpenAI usage payload with cached tokens', () => {
    const usage = fromOpenAIUsage({
      prompt_tokens: 10_000,
      completion_tokens: 500,
      prompt_tokens_details: { cached_tokens: 8_000 },
    });
    expect(catalogue.price({ provider: 'openai', model: 'gpt-4o', ...usage }).cost_pusd).toBe(
      usdToPusd(0.02),
    );
  });

  it('prices a call at the price in force when it was made', () => {
    // OpenAI cut o3 from $10/$40 to $2/$8 per 1M on 2025-06-10.
    const call = {
      provider: 'openai',
      model: 'o3',
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
    };
    expect(catalogue.price({ ...call, at: '2025-06-09T23:59:59Z' }).cost_pusd).toBe(usdToPusd(50));
    expect(catalogue.price({ ...call, at: '2025-06-10T00:00:00Z' }).cost_pusd).toBe(usdToPusd(10));
  });

  it('prices by the time of day where the provider does (DeepSeek off-peak)', () => {
    const call = { provider: 'deepseek', model: 'deepseek-chat', input_tokens: 1_000_000 };
    expect(catalogue.price({ ...call, at: '2026-03-02T10:00:00Z' }).cost_pusd).toBe(
      usdToPusd(0.27),
    );
    expect(catalogue.price({ ...call, at: '2026-03-02T20:00:00Z' }).cost_pusd).toBe(
      usdToPusd(0.135),
    );
  });

  it('a price override with a discount', () => {
    const mine = applyOverrides(
      catalogue,
      parseOverrides('discounts:\n  - provider: anthropic\n    multiplier: 0.8\n'),
    );
    // 100k in at $3 + 100k out at $15 = $1.80, 20% off.
    const r = mine.price({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      input_tokens: 100_000,
      output_tokens: 100_000,
    });
    expect(r).toMatchObject({ unpriced: false, cost_pusd: usdToPusd(1.44), source: 'override' });
  });

  it('an unknown model is unpriced with the reason, never 0', () => {
    const r = catalogue.price({ provider: 'openai', model: 'gpt-99-turbo', input_tokens: 100 });
    expect(r).toEqual({
      unpriced: true,
      cost_pusd: null,
      breakdown_pusd: null,
      source: catalogue.version,
      model: null,
      reason: `unknown model "gpt-99-turbo" for provider openai in catalogue ${catalogue.version} (tried gpt-99-turbo); add it with a price override file`,
    });
  });

  it('a media call the model has no price for is unpriced with what is known', () => {
    const size = catalogue.price({
      provider: 'openai',
      model: 'gpt-image-1',
      images: 1,
      image_size: '512x512',
      image_quality: 'high',
    });
    expect(size.unpriced).toBe(true);
    expect(size.reason).toMatch(
      /^openai gpt-image-1: no per-image price for size 512x512, quality high \(known: size 1024x1024, quality low; size 1024x1536, quality low; /,
    );
    const fast = catalogue.price({
      provider: 'gcp.gemini',
      model: 'veo-3.1-fast-generate-preview',
      video_seconds: 8,
      video_audio: false,
    });
    expect(fast.unpriced).toBe(true);
  });

  it('a price the overlay took out as wrong is unpriced with the reason', () => {
    const r = catalogue.price({
      provider: 'cloudflare',
      model: '@cf/meta/llama-2-7b-chat-fp16',
      input_tokens: 1000,
    });
    expect(r.unpriced).toBe(true);
    expect(r.reason).toMatch(
      /^cloudflare @cf\/meta\/llama-2-7b-chat-fp16 has no price: LiteLLM carries a stale \$1\.923 per 1M tokens/,
    );
  });

  it('a model on a local Ollama is unpriced, with what to do, not $0', () => {
    const r = catalogue.price({ provider: 'ollama', model: 'llama3', input_tokens: 1000 });
    expect(r.unpriced).toBe(true);
    expect(r.cost_pusd).toBeNull();
    expect(r.reason).toMatch(/^ollama llama3 has no price: Ollama serves models on your own/);
  });

  it('never prices one model as another by substring', () => {
    const mini = catalogue.price({
      provider: 'openai',
      model: 'gpt-4o-mini',
      input_tokens: 1_000_000,
    });
    const full = catalogue.price({ provider: 'openai', model: 'gpt-4o', input_tokens: 1_000_000 });
    expect(mini.model?.id).toBe('gpt-4o-mini');
    expect(mini.cost_pusd).not.toBe(full.cost_pusd);
    expect(catalogue.price({ provider: 'openai', model: 'gpt-4o-mini-super' }).unpriced).toBe(true);
  });

  it('matches prefixes, regions, snapshots and case explicitly', () => {
    const cases: [string | undefined, string, string][] = [
      ['gcp.gemini', 'models/gemini-2.5-pro', 'gemini-2.5-pro'],
      ['gcp.gemini', 'GEMINI-2.5-PRO', 'gemini-2.5-pro'],
      ['gcp.vertex_ai', 'gemini-2.5-pro', 'gemini-2.5-pro'],
      ['gcp.vertex_ai', 'publishers/google/models/gemini-2.5-flash', 'gemini-2.5-flash'],
      ['gcp.vertex_ai', 'claude-sonnet-4-5@20250929', 'claude-sonnet-4-5@20250929'],
      [
        'aws.bedrock',
        'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
        'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      ],
      [
        'aws.bedrock',
        'ca.anthropic.claude-3-5-sonnet-20241022-v2:0',
        'anthropic.claude-3-5-sonnet-20241022-v2:0',
      ],
      ['cloudflare', '@CF/meta/llama-3.1-8b-instruct', '@cf/meta/llama-3.1-8b-instruct'],
      ['anthropic', 'claude-3-5-haiku-latest', 'claude-3-5-haiku-latest'],
      [undefined, 'gpt-4o', 'gpt-4o'],
    ];
    for (const [provider, model, id] of cases) {
      expect(catalogue.find(model, provider)?.entry.id, `${provider} ${model}`).toBe(id);
    }
  });
});
