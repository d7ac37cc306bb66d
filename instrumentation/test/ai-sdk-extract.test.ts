import * as openaiPkg from '@ai-sdk/openai';
import { describe, expect, it } from 'vitest';
import { Patcher } from '../src/patcher.js';
import { patchAiSdkProvider } from '../src/providers/ai-sdk.js';
import {
  accumulatePart,
  generateOutcome,
  imageOutcome,
  languageUsage,
  newStreamState,
  streamOutcome,
} from '../src/providers/ai-sdk-extract.js';
import { aiSdkTarget } from '../src/providers/ai-sdk-names.js';

// The pure readers of the AI SDK's model results, on the shapes the provider
// packages return (copied from their results in the tests over HTTP).

describe('aiSdkTarget: who serves a model, in the conventions names', () => {
  it.each([
    ['openai.responses', 'gpt-5', 'openai', 'gpt-5', 'chat'],
    ['openai.chat', 'gpt-4o-mini', 'openai', 'gpt-4o-mini', 'chat'],
    [
      'openai.completion',
      'gpt-3.5-turbo-instruct',
      'openai',
      'gpt-3.5-turbo-instruct',
      'text_completion',
    ],
    ['azure.chat', 'my-deployment', 'azure.ai.openai', 'my-deployment', 'chat'],
    ['anthropic.messages', 'claude-sonnet-4-6', 'anthropic', 'claude-sonnet-4-6', 'chat'],
    [
      'google.generative-ai',
      'gemini-2.5-flash',
      'gcp.gemini',
      'gemini-2.5-flash',
      'generate_content',
    ],
    ['google.vertex.chat', 'gemini-2.5-pro', 'gcp.vertex_ai', 'gemini-2.5-pro', 'generate_content'],
    [
      'vertex.anthropic.messages',
      'claude-sonnet-4-6@20250929',
      'gcp.vertex_ai',
      'claude-sonnet-4-6@20250929',
      'chat',
    ],
    [
      'amazon-bedrock',
      'us.anthropic.claude-sonnet-4-6-v1:0',
      'aws.bedrock',
      'us.anthropic.claude-sonnet-4-6-v1:0',
      'chat',
    ],
    [
      'bedrock.anthropic.messages',
      'anthropic.claude-sonnet-4-6-v1:0',
      'aws.bedrock',
      'anthropic.claude-sonnet-4-6-v1:0',
      'chat',
    ],
    ['xai.chat', 'grok-4', 'x_ai', 'grok-4', 'chat'],
    ['mistral.chat', 'mistral-large-latest', 'mistral_ai', 'mistral-large-latest', 'chat'],
    ['groq.chat', 'llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile', 'chat'],
    // The gateway names the serving provider in the model id.
    ['gateway', 'openai/gpt-5', 'openai', 'gpt-5', 'chat'],
    ['gateway', 'anthropic/claude-sonnet-4.6', 'anthropic', 'claude-sonnet-4.6', 'chat'],
    ['gateway', 'google/gemini-2.5-flash', 'gcp.gemini', 'gemini-2.5-flash', 'generate_content'],
    ['gateway', 'vertex/gemini-2.5-pro', 'gcp.vertex_ai', 'gemini-2.5-pro', 'generate_content'],
    ['gateway', 'xai/grok-4', 'x_ai', 'grok-4', 'chat'],
    ['gateway', 'bedrock/amazon.nova-pro-v1:0', 'aws.bedrock', 'amazon.nova-pro-v1:0', 'chat'],
    ['gateway', 'auto', 'gateway', 'auto', 'chat'],
  ])('%s %s -> %s %s (%s)', (providerString, modelId, provider, model, languageOperation) => {
    expect(aiSdkTarget(providerString, modelId)).toEqual({ provider, model, languageOperation });
  });

  it('a model that says nothing of its provider is recorded as unknown, not guessed', () => {
    expect(aiSdkTarget(undefined, 'x')).toEqual({
      provider: 'unknown',
      model: 'x',
      languageOperation: 'chat',
    });
  });
});

describe('languageUsage', () => {
  it('v3/v4: totals, cache reads and writes, reasoning; zero counts left out', () => {
    expect(
      languageUsage({
        inputTokens: { total: 1000, noCache: 800, cacheRead: 200, cacheWrite: 0 },
        outputTokens: { total: 100, text: 100, reasoning: 0 },
        raw: { prompt_tokens: 1000 },
      }),
    ).toEqual({ input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200 });
  });

  it("Anthropic's raw usage splits the cache writes into 5-minute and 1-hour ones", () => {
    const usage = languageUsage({
      inputTokens: { total: 8100, noCache: 100, cacheRead: 5000, cacheWrite: 3000 },
      outputTokens: { total: 200, text: 150, reasoning: 50 },
      raw: {
        input_tokens: 100,
        cache_read_input_tokens: 5000,
        cache_creation_input_tokens: 3000,
        cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
        output_tokens: 200,
      },
    });
    expect(usage).toEqual({
      input_tokens: 8100,
      output_tokens: 200,
      cache_read_tokens: 5000,
      cache_write_tokens: 2000,
      cache_write_1h_tokens: 1000,
      reasoning_tokens: 50,
    });
  });

  it('v2 (AI SDK 5): flat numbers', () => {
    expect(
      languageUsage({
        inputTokens: 1000,
        outputTokens: 100,
        totalTokens: 1100,
        reasoningTokens: 40,
        cachedInputTokens: 200,
      }),
    ).toEqual({
      input_tokens: 1000,
      output_tokens: 100,
      cache_read_tokens: 200,
      reasoning_tokens: 40,
    });
  });

  it('a null usage (the provider reported none) is no usage, not zeros', () => {
    expect(
      languageUsage({
        inputTokens: {
          total: undefined,
          noCache: undefined,
          cacheRead: undefined,
          cacheWrite: undefined,
        },
        outputTokens: { total: undefined, text: undefined, reasoning: undefined },
      }),
    ).toEqual({});
    expect(languageUsage(undefined)).toEqual({});
  });
});

describe('results and stream parts', () => {
  it('generateOutcome reads the response and the provider finish reason; text only when asked', () => {
    const result = {
      content: [
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', toolName: 'x' },
      ],
      finishReason: { unified: 'stop', raw: 'end_turn' },
      usage: { inputTokens: { total: 12 }, outputTokens: { total: 6 } },
      response: { id: 'msg_1', modelId: 'claude-sonnet-4-6' },
    };
    expect(generateOutcome(result, false)).toEqual({
      usage: { input_tokens: 12, output_tokens: 6 },
      responseModel: 'claude-sonnet-4-6',
      responseId: 'msg_1',
      finishReasons: ['end_turn'],
    });
    expect(generateOutcome(result, true).completion).toBe('Hello');
  });

  it('a stream: response metadata, the finish part, an error part, text capped', () => {
    const state = newStreamState(4);
    for (const part of [
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', id: 'chatcmpl-1', modelId: 'gpt-4o-mini-2024-07-18' },
      { type: 'text-delta', id: '0', delta: 'Hel' },
      { type: 'text-delta', id: '0', delta: 'lo!' },
      { type: 'error', error: new Error('overloaded') },
      {
        type: 'finish',
        finishReason: { unified: 'error', raw: undefined },
        usage: { inputTokens: { total: 10 }, outputTokens: { total: 2 } },
      },
    ]) {
      accumulatePart(state, part);
    }
    expect(streamOutcome(state)).toEqual({
      responseModel: 'gpt-4o-mini-2024-07-18',
      responseId: 'chatcmpl-1',
      usage: { input_tokens: 10, output_tokens: 2 },
      finishReasons: ['error'],
      completion: 'Hell',
    });
    expect((state.error as Error).message).toBe('overloaded');
  });

  it("an image result: images counted, OpenAI's size and quality, its output tokens kept apart from input", () => {
    expect(
      imageOutcome(
        {
          images: ['iVBORw0KGgo='],
          usage: { inputTokens: 50, outputTokens: 6240, totalTokens: 6290 },
          response: { modelId: 'gpt-image-1' },
          providerMetadata: { openai: { images: [{ size: '1024x1536', quality: 'high' }] } },
        },
        'openai',
      ),
    ).toEqual({
      responseModel: 'gpt-image-1',
      usage: {
        images: 1,
        input_tokens: 50,
        output_image_tokens: 6240,
        image_size: '1024x1536',
        image_quality: 'high',
      },
    });
  });
});

describe('finding the model classes of a provider package', () => {
  const proto = (o: object) => Object.getPrototypeOf(o) as Record<string, unknown>;

  it('a package that exports only its factory is probed through it; restore puts the methods back', () => {
    const chat = proto(openaiPkg.createOpenAI({ apiKey: 'sk-x' }).chat('gpt-4o-mini'));
    const embedding = proto(openaiPkg.createOpenAI({ apiKey: 'sk-x' }).embedding('e'));
    const before = [chat.doGenerate, chat.doStream, embedding.doEmbed];
    const patcher = new Patcher();
    patchAiSdkProvider(
      { createOpenAI: openaiPkg.createOpenAI },
      { patcher, tracker: () => undefined },
    );
    expect(chat.doGenerate).not.toBe(before[0]);
    expect(chat.doStream).not.toBe(before[1]);
    expect(embedding.doEmbed).not.toBe(before[2]);
    patcher.restore();
    expect([chat.doGenerate, chat.doStream, embedding.doEmbed]).toEqual(before);
  });

  it('models of a specification it does not know are left alone', () => {
    class FutureModel {
      readonly specificationVersion = 'v9';
      readonly provider = 'future.chat';
      async doGenerate() {
        return {};
      }
    }
    const original = FutureModel.prototype.doGenerate;
    const patcher = new Patcher();
    patchAiSdkProvider(
      { future: { languageModel: () => new FutureModel() } },
      { patcher, tracker: () => undefined },
    );
    expect(FutureModel.prototype.doGenerate).toBe(original);
  });
});
