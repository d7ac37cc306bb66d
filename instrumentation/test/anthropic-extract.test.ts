import { describe, expect, it } from 'vitest';
import {
  accumulateAnthropicEvent,
  anthropicRequestFacts,
  anthropicStreamOutcome,
  anthropicUsage,
  extractAnthropicMessage,
  newAnthropicStreamState,
} from '../src/providers/anthropic-extract.js';

// Payloads in the shapes of Anthropic's Messages API reference and streaming guide.

const MESSAGE = {
  id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'text', text: 'Hi! My name is Claude.', citations: null },
    { type: 'text', text: ' How can I help?' },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 2095,
    cache_creation_input_tokens: 2051,
    cache_read_input_tokens: 1000,
    cache_creation: { ephemeral_5m_input_tokens: 51, ephemeral_1h_input_tokens: 2000 },
    output_tokens: 503,
    server_tool_use: null,
    service_tier: 'standard',
  },
};

const TOOL_USE_MESSAGE = {
  id: 'msg_01Aq9w938a90dw8q',
  type: 'message',
  role: 'assistant',
  model: 'claude-opus-4-1-20250805',
  content: [
    {
      type: 'tool_use',
      id: 'toolu_01A09q90qw90lq917835lq9',
      name: 'get_weather',
      input: { location: 'San Francisco, CA', unit: 'celsius' },
    },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 384, output_tokens: 69 },
};

/** A streamed Message with prompt caching, as the events arrive (pings included). */
const EVENTS = [
  {
    type: 'message_start',
    message: {
      id: 'msg_01PPTB1VfAYm5zB6hT3hLW8y',
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-7',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 5,
        cache_creation_input_tokens: 42203,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 42203 },
        output_tokens: 1,
        service_tier: 'standard',
      },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'I see "test"' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' — hello.' } },
  { type: 'content_block_stop', index: 0 },
  {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: {
      input_tokens: 5,
      cache_creation_input_tokens: 42203,
      cache_read_input_tokens: 0,
      output_tokens: 21,
    },
  },
  { type: 'message_stop' },
];

describe('anthropicRequestFacts', () => {
  it('reads model and stream, and puts the system prompt first', () => {
    const messages = [{ role: 'user', content: 'Hello, Claude' }];
    expect(
      anthropicRequestFacts({
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages,
        stream: true,
      }),
    ).toEqual({
      model: 'claude-sonnet-4-5',
      stream: true,
      prompt: [
        {
          role: 'system',
          content: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        },
        ...messages,
      ],
    });
  });

  it('copes with no params at all', () => {
    expect(anthropicRequestFacts(undefined)).toEqual({
      model: undefined,
      stream: false,
      prompt: [],
    });
  });
});

describe('extractAnthropicMessage', () => {
  it('a Message with prompt caching: input counts every cached token, writes split by TTL', () => {
    expect(extractAnthropicMessage(MESSAGE)).toEqual({
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      finishReasons: ['end_turn'],
      completion: 'Hi! My name is Claude. How can I help?',
      usage: {
        input_tokens: 2095 + 1000 + 51 + 2000,
        output_tokens: 503,
        cache_read_tokens: 1000,
        cache_write_tokens: 51,
        cache_write_1h_tokens: 2000,
      },
    });
  });

  it('a tool call: the completion is the content blocks, the finish reason tool_use', () => {
    expect(extractAnthropicMessage(TOOL_USE_MESSAGE)).toEqual({
      responseModel: 'claude-opus-4-1-20250805',
      responseId: 'msg_01Aq9w938a90dw8q',
      finishReasons: ['tool_use'],
      completion: TOOL_USE_MESSAGE.content,
      usage: { input_tokens: 384, output_tokens: 69 },
    });
  });

  it('thinking tokens reported apart become reasoning tokens (still counted in output)', () => {
    const out = extractAnthropicMessage({
      ...TOOL_USE_MESSAGE,
      usage: {
        input_tokens: 50,
        output_tokens: 400,
        output_tokens_details: { thinking_tokens: 320 },
      },
    });
    expect(out.usage).toEqual({ input_tokens: 50, output_tokens: 400, reasoning_tokens: 320 });
  });

  it('cache writes without the TTL split count as 5-minute writes', () => {
    expect(
      anthropicUsage({
        input_tokens: 10,
        cache_creation_input_tokens: 300,
        cache_read_input_tokens: 0,
        output_tokens: 7,
      }),
    ).toEqual({ input_tokens: 310, output_tokens: 7, cache_write_tokens: 300 });
  });

  it('anything but a Message says nothing', () => {
    expect(extractAnthropicMessage(null)).toEqual({});
    expect(extractAnthropicMessage('oops')).toEqual({});
    expect(extractAnthropicMessage({ type: 'message' })).toEqual({
      responseModel: undefined,
      responseId: undefined,
      finishReasons: undefined,
      completion: undefined,
    });
  });
});

describe('accumulateAnthropicEvent', () => {
  it('a whole stream: input and cache from message_start, output and stop from message_delta', () => {
    const state = newAnthropicStreamState();
    const changed = EVENTS.map((e) => accumulateAnthropicEvent(state, e));
    expect(changed).toEqual([true, false, false, false, false, false, true, false]);
    expect(anthropicStreamOutcome(state)).toEqual({
      responseModel: 'claude-opus-4-7',
      responseId: 'msg_01PPTB1VfAYm5zB6hT3hLW8y',
      finishReasons: ['end_turn'],
      completion: undefined,
      usage: {
        input_tokens: 5 + 42203,
        output_tokens: 21,
        cache_write_1h_tokens: 42203,
      },
    });
  });

  it("message_start's output_tokens is a placeholder: no output count until message_delta", () => {
    const state = newAnthropicStreamState();
    accumulateAnthropicEvent(state, EVENTS[0]);
    expect(anthropicStreamOutcome(state).usage).toEqual({
      input_tokens: 42208,
      cache_write_1h_tokens: 42203,
    });
  });

  it('a message_delta with only output_tokens (the older shape) keeps the input of message_start', () => {
    const state = newAnthropicStreamState();
    accumulateAnthropicEvent(state, {
      type: 'message_start',
      message: { ...EVENTS[0]!.message, usage: { input_tokens: 25, output_tokens: 1 } },
    });
    accumulateAnthropicEvent(state, {
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { output_tokens: 15 },
    });
    expect(anthropicStreamOutcome(state)).toMatchObject({
      finishReasons: ['max_tokens'],
      usage: { input_tokens: 25, output_tokens: 15 },
    });
  });

  it('null counts in message_delta leave the earlier ones as they were', () => {
    const state = newAnthropicStreamState();
    accumulateAnthropicEvent(state, EVENTS[0]);
    accumulateAnthropicEvent(state, {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: null,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        output_tokens: 9,
        server_tool_use: null,
      },
    });
    expect(anthropicStreamOutcome(state).usage).toEqual({
      input_tokens: 42208,
      output_tokens: 9,
      cache_write_1h_tokens: 42203,
    });
  });

  it('keeps the streamed text only when asked to (content capture)', () => {
    const state = newAnthropicStreamState(1000);
    const changed = EVENTS.map((e) => accumulateAnthropicEvent(state, e));
    expect(changed).toEqual([true, false, false, true, true, false, true, false]);
    expect(anthropicStreamOutcome(state).completion).toBe('I see "test" — hello.');
  });

  it('keeps no more text than the limit it is given', () => {
    const state = newAnthropicStreamState(10);
    for (const e of EVENTS) accumulateAnthropicEvent(state, e);
    expect(state.text).toBe('I see "tes');
    expect(anthropicStreamOutcome(state).completion).toBe('I see "tes');
  });

  it('ignores what is not an event, and tool input deltas', () => {
    const state = newAnthropicStreamState(1000);
    expect(accumulateAnthropicEvent(state, null)).toBe(false);
    expect(accumulateAnthropicEvent(state, 'data')).toBe(false);
    expect(
      accumulateAnthropicEvent(state, {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' },
      }),
    ).toBe(false);
    expect(anthropicStreamOutcome(state)).toEqual({
      responseModel: undefined,
      responseId: undefined,
      finishReasons: undefined,
      completion: undefined,
    });
  });
});
