import { describe, expect, it } from 'vitest';
import {
  accumulateConverseEvent,
  bedrockAttempts,
  bedrockCallKind,
  bedrockHeaderUsage,
  bedrockModelName,
  bedrockOperation,
  conversePrompt,
  converseStreamOutcome,
  converseUsage,
  extractConverse,
  invocationMetricsUsage,
  newConverseStreamState,
} from '../src/providers/bedrock-extract.js';
import {
  accumulateInvokeChunk,
  extractInvokeBody,
  invokeChunkJson,
  invokePrompt,
  invokeStreamOutcome,
  newInvokeStreamState,
} from '../src/providers/bedrock-invoke-extract.js';

// The pure readers of Bedrock's payloads, on payloads shaped as the Bedrock
// API reference and the model parameter pages show them.

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('what a command is', () => {
  it('names the operation from the class, or from the schema a bundler left', () => {
    class ConverseStreamCommand {}
    expect(bedrockOperation(new ConverseStreamCommand())).toBe('ConverseStream');
    const renamed = { schema: [9, 'com.amazonaws.bedrockruntime', 'InvokeModel', 0, [], []] };
    expect(bedrockOperation(renamed)).toBe('InvokeModel');
    class CountTokensCommand {}
    expect(bedrockOperation(new CountTokensCommand())).toBeUndefined();
    expect(bedrockOperation(undefined)).toBeUndefined();
  });

  it('takes the model id out of foundation-model and inference-profile ARNs, keeps other ids', () => {
    expect(
      bedrockModelName(
        'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      ),
    ).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(
      bedrockModelName(
        'arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6',
      ),
    ).toBe('eu.anthropic.claude-sonnet-4-6');
    expect(
      bedrockModelName(
        'arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/meta.llama3-8b-instruct-v1:0',
      ),
    ).toBe('meta.llama3-8b-instruct-v1:0');
    // An application inference profile names no model: kept as written.
    const app = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    expect(bedrockModelName(app)).toBe(app);
    expect(bedrockModelName('global.anthropic.claude-opus-4-7')).toBe(
      'global.anthropic.claude-opus-4-7',
    );
    expect(bedrockModelName('')).toBeUndefined();
  });

  it('InvokeModel of an embedding model is an embeddings call; the rest is chat', () => {
    expect(bedrockCallKind('InvokeModel', 'amazon.titan-embed-text-v2:0')).toEqual({
      operation: 'embeddings',
      callType: 'embedding',
    });
    expect(bedrockCallKind('InvokeModel', 'cohere.embed-english-v3')).toEqual({
      operation: 'embeddings',
      callType: 'embedding',
    });
    expect(bedrockCallKind('Converse', 'amazon.nova-pro-v1:0')).toEqual({
      operation: 'chat',
      callType: 'text',
    });
  });

  it("reads the SDK's attempt count from outputs and errors", () => {
    expect(
      bedrockAttempts({ $metadata: { httpStatusCode: 200, attempts: 3, totalRetryDelay: 120 } }),
    ).toBe(3);
    expect(bedrockAttempts(Object.assign(new Error('x'), { $metadata: { attempts: 2 } }))).toBe(2);
    expect(bedrockAttempts({})).toBe(1);
  });
});

describe('Converse', () => {
  it('adds cache reads and writes back into input and splits writes by lifetime', () => {
    expect(
      converseUsage({
        inputTokens: 4,
        outputTokens: 7,
        totalTokens: 1506,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 1495,
      }),
    ).toEqual({ input_tokens: 1499, output_tokens: 7, cache_write_tokens: 1495 });
    expect(
      converseUsage({
        inputTokens: 10,
        outputTokens: 5,
        totalTokens: 3015,
        cacheReadInputTokens: 1000,
        cacheWriteInputTokens: 2000,
        cacheDetails: [
          { ttl: '1h', inputTokens: 1500 },
          { ttl: '5m', inputTokens: 500 },
        ],
      }),
    ).toEqual({
      input_tokens: 3010,
      output_tokens: 5,
      cache_read_tokens: 1000,
      cache_write_tokens: 500,
      cache_write_1h_tokens: 1500,
    });
    expect(converseUsage(undefined)).toBeUndefined();
  });

  it('reads an answer: stop reason, usage, text; tool use kept as blocks', () => {
    expect(
      extractConverse({
        output: { message: { role: 'assistant', content: [{ text: 'Hel' }, { text: 'lo' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 12, outputTokens: 6, totalTokens: 18 },
        metrics: { latencyMs: 300 },
      }),
    ).toEqual({
      finishReasons: ['end_turn'],
      usage: { input_tokens: 12, output_tokens: 6 },
      completion: 'Hello',
    });
    const toolUse = {
      toolUse: { toolUseId: 'tooluse_1', name: 'weather', input: { city: 'Paris' } },
    };
    expect(
      extractConverse({ output: { message: { content: [toolUse] } }, stopReason: 'tool_use' })
        .completion,
    ).toEqual([toolUse]);
  });

  it('the prompt puts the system blocks first', () => {
    expect(
      conversePrompt({
        modelId: 'amazon.nova-lite-v1:0',
        system: [{ text: 'Be brief.' }],
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      }),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ text: 'Hi' }] },
    ]);
  });

  it('a stream: text up to the limit, the stop reason, the metadata usage', () => {
    const state = newConverseStreamState(4);
    for (const event of [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hel' } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'lo!' } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'max_tokens' } },
      {
        metadata: {
          usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11 },
          metrics: { latencyMs: 90 },
        },
      },
    ]) {
      accumulateConverseEvent(state, event);
    }
    expect(converseStreamOutcome(state)).toEqual({
      finishReasons: ['max_tokens'],
      usage: { input_tokens: 9, output_tokens: 2 },
      completion: 'Hell',
    });
  });
});

describe('counts outside the body', () => {
  it("InvokeModel's headers, any case", () => {
    expect(
      bedrockHeaderUsage({
        'X-Amzn-Bedrock-Input-Token-Count': '20',
        'x-amzn-bedrock-output-token-count': '7',
        'x-amzn-bedrock-cache-read-input-token-count': '100',
        'x-amzn-bedrock-invocation-latency': '350',
      }),
    ).toEqual({ input_tokens: 120, output_tokens: 7, cache_read_tokens: 100 });
    expect(bedrockHeaderUsage({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it("a stream's invocation metrics", () => {
    expect(
      invocationMetricsUsage({
        inputTokenCount: 15,
        outputTokenCount: 40,
        invocationLatency: 900,
        firstByteLatency: 210,
        cacheReadInputTokenCount: 5,
        cacheWriteInputTokenCount: 0,
      }),
    ).toEqual({ input_tokens: 20, output_tokens: 40, cache_read_tokens: 5 });
    expect(invocationMetricsUsage({ invocationLatency: 900 })).toBeUndefined();
  });
});

describe('InvokeModel bodies', () => {
  it('Anthropic: usage as the Anthropic SDK reads it, without its own model name', () => {
    const out = extractInvokeBody(
      bytes({
        id: 'msg_bdrk_01',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-haiku-20241022',
        content: [{ type: 'text', text: 'Hi' }],
        stop_reason: 'end_turn',
        usage: {
          input_tokens: 5,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 0,
          output_tokens: 3,
        },
      }),
    );
    expect(out).toEqual({
      responseId: 'msg_bdrk_01',
      finishReasons: ['end_turn'],
      completion: 'Hi',
      usage: { input_tokens: 105, output_tokens: 3, cache_read_tokens: 100 },
    });
  });

  it("Nova, Llama, Mistral's two formats, Titan embeddings, and a body that is not JSON", () => {
    expect(
      extractInvokeBody(
        bytes({
          output: { message: { content: [{ text: 'Hi' }], role: 'assistant' } },
          stopReason: 'end_turn',
          usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5, cacheWriteInputTokenCount: 50 },
        }),
      ),
    ).toEqual({
      finishReasons: ['end_turn'],
      completion: 'Hi',
      usage: { input_tokens: 53, output_tokens: 2, cache_write_tokens: 50 },
    });
    expect(
      extractInvokeBody(
        '{"generation":"Hi","prompt_token_count":8,"generation_token_count":2,"stop_reason":"length"}',
      ),
    ).toEqual({
      finishReasons: ['length'],
      completion: 'Hi',
      usage: { input_tokens: 8, output_tokens: 2 },
    });
    expect(
      extractInvokeBody(bytes({ outputs: [{ text: 'Salut', stop_reason: 'length' }] })),
    ).toEqual({
      responseId: undefined,
      finishReasons: ['length'],
      completion: 'Salut',
      usage: undefined,
    });
    expect(
      extractInvokeBody(
        bytes({
          id: 'cmpl-1',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'Hey' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
        }),
      ),
    ).toEqual({
      responseId: 'cmpl-1',
      finishReasons: ['stop'],
      completion: 'Hey',
      usage: { input_tokens: 9, output_tokens: 1 },
    });
    expect(extractInvokeBody(bytes({ embedding: [0.1, 0.2], inputTextTokenCount: 4 }))).toEqual({
      usage: { input_tokens: 4 },
    });
    expect(extractInvokeBody(new Uint8Array([0xff, 0x00]))).toEqual({});
  });

  it('the prompt of each request format', () => {
    expect(invokePrompt(JSON.stringify({ prompt: 'Hi', max_gen_len: 9 }))).toBe('Hi');
    expect(invokePrompt(bytes({ inputText: 'Embed me' }))).toBe('Embed me');
    expect(
      invokePrompt(bytes({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] })),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
  });
});

describe('InvokeModelWithResponseStream chunks', () => {
  const run = (chunks: unknown[], limit = 100) => {
    const state = newInvokeStreamState(limit);
    for (const c of chunks) {
      const json = invokeChunkJson({ chunk: { bytes: bytes(c) } });
      if (json) accumulateInvokeChunk(state, json);
    }
    return invokeStreamOutcome(state);
  };
  const metrics = (input: number, output: number) => ({
    'amazon-bedrock-invocationMetrics': {
      inputTokenCount: input,
      outputTokenCount: output,
      invocationLatency: 1,
      firstByteLatency: 1,
    },
  });

  it('Anthropic events: the counts of its own events, not the metrics', () => {
    expect(
      run([
        {
          type: 'message_start',
          message: {
            id: 'msg_bdrk_9',
            usage: { input_tokens: 4, cache_read_input_tokens: 60, output_tokens: 1 },
          },
        },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Yo' } },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
        { type: 'message_stop', ...metrics(4, 7) },
      ]),
    ).toEqual({
      responseId: 'msg_bdrk_9',
      finishReasons: ['end_turn'],
      usage: { input_tokens: 64, output_tokens: 7, cache_read_tokens: 60 },
      completion: 'Yo',
    });
  });

  it('Llama before its last chunk: the prompt count of the first and the growing generation count', () => {
    expect(
      run([
        { generation: 'a', prompt_token_count: 12, generation_token_count: 1, stop_reason: null },
        { generation: 'b', prompt_token_count: null, generation_token_count: 2, stop_reason: null },
      ]),
    ).toEqual({
      finishReasons: undefined,
      usage: { input_tokens: 12, output_tokens: 2 },
      completion: 'ab',
      responseId: undefined,
    });
  });

  it('Mistral: the invocation metrics are the only counts; Nova: its metadata usage', () => {
    expect(
      run([
        { outputs: [{ text: 'x', stop_reason: null }] },
        { outputs: [{ text: 'y', stop_reason: 'stop' }], ...metrics(6, 2) },
      ]),
    ).toEqual({
      responseId: undefined,
      finishReasons: ['stop'],
      usage: { input_tokens: 6, output_tokens: 2 },
      completion: 'xy',
    });
    expect(
      run(
        [
          { contentBlockDelta: { delta: { text: 'z' }, contentBlockIndex: 0 } },
          { messageStop: { stopReason: 'end_turn' } },
          {
            metadata: { usage: { inputTokens: 30, outputTokens: 1, cacheReadInputTokenCount: 0 } },
            ...metrics(30, 1),
          },
        ],
        0,
      ),
    ).toEqual({
      responseId: undefined,
      finishReasons: ['end_turn'],
      usage: { input_tokens: 30, output_tokens: 1 },
      completion: undefined,
    });
  });
});
