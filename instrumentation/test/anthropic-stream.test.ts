import type Anthropic from '@anthropic-ai/sdk';
import * as anthropicModule from '@anthropic-ai/sdk';
import { Stream } from '@anthropic-ai/sdk/streaming';
import { pusdToUsd } from '@costlens/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  anthropicTestbed,
  checkedReset,
  errorBody,
  type FakeAnthropic,
  SONNET_46,
  split,
  streamEvents,
  USER,
} from './fake-anthropic.js';
import { onlySpan, type Telemetry, useTestbed, waitForSpans } from './harness.js';

// Streamed messages through the real @anthropic-ai/sdk: `stream: true` and the
// messages.stream() helper, broken off, dropped and failing streams.

let server: FakeAnthropic;
let t: Telemetry;
let client: Anthropic;

useTestbed(
  anthropicTestbed,
  (bed) => {
    ({ server, t, client } = bed);
  },
  checkedReset,
);

const at = () => ({ 'server.address': '127.0.0.1', 'server.port': server.port });

describe('streaming', () => {
  const STREAM_ATTRS = () => ({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'anthropic',
    'gen_ai.request.model': 'claude-sonnet-4-6',
    'gen_ai.request.stream': true,
    ...at(),
    'gen_ai.response.model': 'claude-sonnet-4-6',
    'gen_ai.response.id': 'msg_01StreamedAbCdEfGhIjKlMn',
  });

  it("stream: true gives the SDK's Stream; input and cache from message_start, output from message_delta", async () => {
    server.reply({
      events: streamEvents({
        chunks: ['Hel', 'lo', '!'],
        startUsage: {
          input_tokens: 10,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 2000,
          output_tokens: 1,
        },
        deltaUsage: { output_tokens: 42 },
      }),
      gapMs: 2,
    });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: USER,
      stream: true,
    });
    expect(stream).toBeInstanceOf(Stream);
    expect(typeof stream.tee).toBe('function');
    let text = '';
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        text += event.delta.text;
      }
    }
    expect(text).toBe('Hello!');
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const { cost, ttft, rest } = split(span);
    expect(rest).toEqual({
      ...STREAM_ATTRS(),
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 2010,
      'gen_ai.usage.output_tokens': 42,
      'gen_ai.usage.cache_read.input_tokens': 2000,
    });
    expect(ttft).toBeGreaterThan(0);
    expect(ttft).toBeLessThan((span.duration[0] * 1e9 + span.duration[1]) / 1e9);
    const p = SONNET_46;
    expect(cost).toBe(pusdToUsd(10 * p.input + 2000 * p.cacheRead + 42 * p.output));
  });

  it('messages.stream() with finalMessage(): one span, with the final usage', async () => {
    server.reply({
      events: streamEvents({ deltaUsage: { output_tokens: 15 } }),
    });
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: USER,
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(final.usage.output_tokens).toBe(15);
    const [span] = await waitForSpans(t, 1);
    expect(t.spans()).toHaveLength(1);
    const { ttft, rest } = split(span!);
    expect(rest).toEqual({
      ...STREAM_ATTRS(),
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 25,
      'gen_ai.usage.output_tokens': 15,
    });
    expect(ttft).toEqual(expect.any(Number));
  });

  it('records the streamed text as the completion when content capture is on', async () => {
    t.instrumentation.setConfig({ captureMessageContent: true });
    try {
      server.reply({ events: streamEvents({ chunks: ['Bon', 'jour'] }) });
      const text = await client.messages
        .stream({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: USER })
        .finalText();
      expect(text).toBe('Bonjour');
      const [span] = await waitForSpans(t, 1);
      expect(span!.attributes['costlens.completion']).toBe('Bonjour');
      expect(JSON.parse(String(span!.attributes['costlens.prompt']))).toEqual(USER);
    } finally {
      t.instrumentation.setConfig({});
    }
  });

  it('an early break ends the span once, with the usage reported so far', async () => {
    server.reply({
      events: streamEvents({ chunks: ['a', 'b', 'c', 'd', 'e', 'f'] }),
      gapMs: 20,
    });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: USER,
      stream: true,
    });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && ++deltas === 2) break;
    }
    const spans = await waitForSpans(t, 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.spans()).toHaveLength(1);
    const span = spans[0]!;
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const { ttft, rest } = split(span);
    // No message_delta arrived: input is known, output is not (the start's 1 is a placeholder).
    expect(rest).toEqual({
      ...STREAM_ATTRS(),
      'gen_ai.usage.input_tokens': 25,
    });
    expect(ttft).toEqual(expect.any(Number));
  });

  it('a connection dropped mid-stream ends the span with ERROR and the usage so far', async () => {
    // Spaced out, so the headers and the first events reach the client before the drop.
    server.reply({ events: streamEvents(), failAfter: 3, gapMs: 5 });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: USER,
      stream: true,
    });
    let caught: unknown;
    try {
      for await (const _ of stream) {
        // read until it fails
      }
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    const [span] = await waitForSpans(t, 1);
    expect(t.spans()).toHaveLength(1);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    const { cost, rest } = split(span!);
    expect(rest).toEqual({
      ...STREAM_ATTRS(),
      'gen_ai.usage.input_tokens': 25,
      'error.type': (caught as Error).constructor.name,
    });
    expect(cost).toBe(pusdToUsd(25 * SONNET_46.input));
  });

  it("an error event in the stream fails the span with the SDK's error class", async () => {
    const events = streamEvents();
    server.reply({
      events: [
        events[0]!,
        { event: 'error', data: errorBody('overloaded_error', 'Overloaded') },
        ...events.slice(1),
      ],
    });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: USER,
      stream: true,
    });
    const caught = await (async () => {
      try {
        for await (const _ of stream) {
          // read until it fails
        }
      } catch (err) {
        return err;
      }
    })();
    expect(caught).toBeInstanceOf(anthropicModule.APIError);
    const [span] = await waitForSpans(t, 1);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe((caught as Error).constructor.name);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(25);
  });
});
