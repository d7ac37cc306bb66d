import { InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { pusdToUsd } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { expectOnlySpan, perM, useBedrock } from './bedrock-testbed.js';
import { onlySpan } from './harness.js';

// InvokeModel through the real client: each model family's own JSON body, the
// token counts Bedrock puts in headers, and the prices of each family.

const bed = useBedrock();

/** Bedrock's token count headers, as InvokeModel answers carry them for every family. */
const countHeaders = (input: number, output: number) => ({
  'x-amzn-bedrock-input-token-count': String(input),
  'x-amzn-bedrock-output-token-count': String(output),
  'x-amzn-bedrock-invocation-latency': '412',
});

const invoke = (modelId: string, body: unknown) =>
  bed.client.send(
    new InvokeModelCommand({
      modelId,
      body: JSON.stringify(body),
      contentType: 'application/json',
    }),
  );

describe('InvokeModel, one model family at a time', () => {
  it("Anthropic's Messages body: cache reads and writes, the msg_bdrk id, priced at the global profile", async () => {
    bed.server.reply({
      json: {
        id: 'msg_bdrk_01Xq8nJ3kVb2sPz7LmT4wR9c',
        type: 'message',
        role: 'assistant',
        // Anthropic's own name for the model, not the Bedrock id that is billed.
        model: 'claude-haiku-4-5-20251001',
        content: [{ type: 'text', text: 'Hello!' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: 20,
          cache_creation_input_tokens: 300,
          cache_read_input_tokens: 4000,
          cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 0 },
          output_tokens: 80,
        },
      },
      headers: countHeaders(20, 80),
    });
    const model = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';
    const out = await invoke(model, {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(JSON.parse(out.body.transformToString()).id).toBe('msg_bdrk_01Xq8nJ3kVb2sPz7LmT4wR9c');
    expect(bed.server.calls()).toEqual([{ modelId: model, action: 'invoke' }]);
    // global.anthropic.claude-haiku-4-5: input 1, output 5, cache read 0.1, cache write 1.25 ($/1M).
    const cost = 20 * perM(1) + 80 * perM(5) + 4000 * perM(0.1) + 300 * perM(1.25);
    expectOnlySpan(
      bed,
      model,
      {},
      {
        'gen_ai.response.id': 'msg_bdrk_01Xq8nJ3kVb2sPz7LmT4wR9c',
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 4320,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.usage.cache_read.input_tokens': 4000,
        'gen_ai.usage.cache_creation.input_tokens': 300,
      },
      pusdToUsd(cost),
    );
  });

  it('Amazon Nova: usage with the cache read count, priced at Nova Pro', async () => {
    bed.server.reply({
      json: {
        output: { message: { role: 'assistant', content: [{ text: 'Hello!' }] } },
        stopReason: 'end_turn',
        usage: {
          inputTokens: 150,
          outputTokens: 60,
          totalTokens: 2210,
          cacheReadInputTokenCount: 2000,
          cacheWriteInputTokenCount: 0,
        },
      },
      headers: countHeaders(150, 60),
    });
    await invoke('amazon.nova-pro-v1:0', {
      schemaVersion: 'messages-v1',
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 300 },
    });
    expectOnlySpan(
      bed,
      'amazon.nova-pro-v1:0',
      {},
      {
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 2150,
        'gen_ai.usage.output_tokens': 60,
        'gen_ai.usage.cache_read.input_tokens': 2000,
      },
      pusdToUsd(150 * perM(0.8) + 60 * perM(3.2) + 2000 * perM(0.2)),
    );
  });

  it("Meta Llama: prompt_token_count and generation_token_count, priced at the US profile's rate", async () => {
    bed.server.reply({
      json: {
        generation: 'Hello! How can I help?',
        prompt_token_count: 31,
        generation_token_count: 9,
        stop_reason: 'stop',
      },
      headers: countHeaders(31, 9),
    });
    const model = 'us.meta.llama3-2-90b-instruct-v1:0';
    await invoke(model, { prompt: '<|begin_of_text|>Hi', max_gen_len: 128 });
    expectOnlySpan(
      bed,
      model,
      {},
      {
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 31,
        'gen_ai.usage.output_tokens': 9,
      },
      // us.meta.llama3-2-90b-instruct: $2 in and out; in-region it is $0.72.
      pusdToUsd(40 * perM(2)),
    );
  });

  it("Mistral's text completion carries no usage in its body: the counts come from Bedrock's headers", async () => {
    bed.server.reply({
      json: { outputs: [{ text: ' Bonjour !', stop_reason: 'stop' }] },
      headers: countHeaders(14, 5),
    });
    await invoke('mistral.mistral-7b-instruct-v0:2', {
      prompt: '<s>[INST] Hi [/INST]',
      max_tokens: 64,
    });
    expectOnlySpan(
      bed,
      'mistral.mistral-7b-instruct-v0:2',
      {},
      {
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 14,
        'gen_ai.usage.output_tokens': 5,
      },
      pusdToUsd(14 * perM(0.15) + 5 * perM(0.2)),
    );
  });

  it("Mistral Large's chat format (choices), counts from the headers too", async () => {
    bed.server.reply({
      json: {
        id: 'cmpl-5f3d9a2c1b7e4e0f8a6d',
        object: 'chat.completion',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Hi!' }, stop_reason: 'stop' },
        ],
      },
      headers: countHeaders(18, 3),
    });
    await invoke('mistral.mistral-large-2407-v1:0', {
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 64,
    });
    expectOnlySpan(
      bed,
      'mistral.mistral-large-2407-v1:0',
      {},
      {
        'gen_ai.response.id': 'cmpl-5f3d9a2c1b7e4e0f8a6d',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 18,
        'gen_ai.usage.output_tokens': 3,
      },
      pusdToUsd(18 * perM(3) + 3 * perM(9)),
    );
  });

  it('Titan embeddings: an embeddings call with its input token count', async () => {
    bed.server.reply({
      json: { embedding: [0.0123, -0.0456, 0.0789], inputTextTokenCount: 7 },
      headers: { 'x-amzn-bedrock-input-token-count': '7' },
    });
    await invoke('amazon.titan-embed-text-v2:0', { inputText: 'Hello world' });
    expect(onlySpan(bed.t).name).toBe('embeddings amazon.titan-embed-text-v2:0');
    const embeddings = { operation: 'embeddings', callType: 'embedding' };
    expectOnlySpan(
      bed,
      'amazon.titan-embed-text-v2:0',
      embeddings,
      {
        'gen_ai.usage.input_tokens': 7,
      },
      pusdToUsd(7 * perM(0.02)),
    );
  });

  it('a body nobody reports usage for (no counts, no headers) is unpriced, never $0', async () => {
    bed.server.reply({ json: { outputs: [{ text: 'Hi', stop_reason: 'stop' }] } });
    await invoke('mistral.mistral-7b-instruct-v0:2', { prompt: 'Hi' });
    expectOnlySpan(
      bed,
      'mistral.mistral-7b-instruct-v0:2',
      {},
      {
        'gen_ai.response.finish_reasons': ['stop'],
        'costlens.cost.unpriced': true,
        'costlens.cost.unpriced_reason': 'the response reported no usage',
      },
      undefined,
    );
  });

  it('captures the prompt of a messages body and the completion when content capture is on', async () => {
    bed.t.instrumentation.setConfig({ captureMessageContent: true });
    try {
      bed.server.reply({
        json: {
          generation: 'Bonjour',
          prompt_token_count: 3,
          generation_token_count: 2,
          stop_reason: 'stop',
        },
      });
      await invoke('meta.llama3-1-8b-instruct-v1:0', { prompt: 'Say hello in French' });
      const a = onlySpan(bed.t).attributes;
      expect(a['costlens.prompt']).toBe('Say hello in French');
      expect(a['costlens.completion']).toBe('Bonjour');
    } finally {
      bed.t.instrumentation.setConfig({});
    }
  });
});
