import { describe, expect, it } from 'vitest';
import {
  fromAnthropicUsage,
  fromGeminiUsage,
  fromOpenAIUsage,
  inputIncludesCache,
  isUnbilledFailure,
} from '../src/usage.js';

// Usage objects as the providers' APIs return them.
describe('provider usage -> OpenTelemetry convention', () => {
  it('Anthropic: input excludes cache tokens, so they are added back once', () => {
    const usage = {
      input_tokens: 21,
      cache_creation_input_tokens: 188086,
      cache_read_input_tokens: 12000,
      cache_creation: { ephemeral_5m_input_tokens: 88086, ephemeral_1h_input_tokens: 100000 },
      output_tokens: 393,
      service_tier: 'standard',
    };
    expect(fromAnthropicUsage(usage)).toEqual({
      input_tokens: 21 + 188086 + 12000,
      output_tokens: 393,
      cache_read_tokens: 12000,
      cache_write_tokens: 88086,
      cache_write_1h_tokens: 100000,
    });
  });

  it('Anthropic without the 5m/1h split: every write is a 5-minute write', () => {
    expect(
      fromAnthropicUsage({
        input_tokens: 10,
        cache_creation_input_tokens: 500,
        cache_read_input_tokens: 0,
        output_tokens: 5,
      }),
    ).toEqual({ input_tokens: 510, output_tokens: 5, cache_write_tokens: 500 });
  });

  it('OpenAI chat completions: prompt tokens include cached ones', () => {
    const usage = {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 128,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    expect(fromOpenAIUsage(usage)).toEqual({
      input_tokens: 2006,
      output_tokens: 300,
      cache_read_tokens: 1920,
      reasoning_tokens: 128,
    });
  });

  it('DeepSeek: cache hits reported beside the details, prompt tokens including them', () => {
    const usage = {
      prompt_tokens: 1200,
      completion_tokens: 80,
      total_tokens: 1280,
      prompt_cache_hit_tokens: 1024,
      prompt_cache_miss_tokens: 176,
      completion_tokens_details: { reasoning_tokens: 40 },
    };
    expect(fromOpenAIUsage(usage)).toEqual({
      input_tokens: 1200,
      output_tokens: 80,
      cache_read_tokens: 1024,
      reasoning_tokens: 40,
    });
    expect(inputIncludesCache('deepseek')).toBe(true);
  });

  it('OpenAI Responses API and embeddings', () => {
    expect(
      fromOpenAIUsage({
        input_tokens: 328,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 52,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 380,
      }),
    ).toEqual({ input_tokens: 328, output_tokens: 52 });
    expect(fromOpenAIUsage({ prompt_tokens: 8, total_tokens: 8 })).toEqual({ input_tokens: 8 });
  });

  it('Gemini: thoughts are output, image tokens are apart, cached content is part of the prompt', () => {
    const usageMetadata = {
      promptTokenCount: 4120,
      cachedContentTokenCount: 4000,
      candidatesTokenCount: 1150,
      thoughtsTokenCount: 210,
      totalTokenCount: 5480,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4120 }],
      candidatesTokensDetails: [
        { modality: 'TEXT', tokenCount: 30 },
        { modality: 'IMAGE', tokenCount: 1120 },
      ],
    };
    expect(fromGeminiUsage(usageMetadata)).toEqual({
      input_tokens: 4120,
      output_tokens: 30 + 210,
      cache_read_tokens: 4000,
      reasoning_tokens: 210,
      output_image_tokens: 1120,
    });
  });

  it('ignores what is missing or not a count', () => {
    expect(fromOpenAIUsage(undefined)).toEqual({});
    expect(fromGeminiUsage({ promptTokenCount: -1 })).toEqual({});
  });
});

describe('rules every part of costlens follows', () => {
  it('a failed call that reported no count above zero is not billed; one that used tokens is', () => {
    expect(isUnbilledFailure(true, {})).toBe(true);
    expect(isUnbilledFailure(true, { input_tokens: 0, output_tokens: 0 })).toBe(true);
    expect(isUnbilledFailure(true, { input_tokens: 12 })).toBe(false);
    expect(isUnbilledFailure(true, { images: 1 })).toBe(false);
    expect(isUnbilledFailure(true, { video_seconds: 0.5 })).toBe(false);
    expect(isUnbilledFailure(false, {})).toBe(false);
  });

  it('only Anthropic (direct, Bedrock, Vertex) reports input without its cache tokens', () => {
    expect(inputIncludesCache('anthropic')).toBe(false);
    expect(inputIncludesCache('aws.bedrock.anthropic')).toBe(false);
    expect(inputIncludesCache('Anthropic')).toBe(false);
    expect(inputIncludesCache('openai')).toBe(true);
    expect(inputIncludesCache('gcp.gemini')).toBe(true);
  });
});
