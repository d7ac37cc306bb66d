import Anthropic from '@anthropic-ai/sdk';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import {
  type FakeServer,
  sendJson,
  sendSse,
  setupTelemetry,
  startServer,
  type Telemetry,
} from './harness.js';

/**
 * A local server that speaks Anthropic's Messages API wire format: each POST
 * /v1/messages takes the next scripted reply (a Message as JSON, an error with
 * its status and headers, or a stream of server-sent events).
 */

export type Reply =
  | { json: unknown; status?: number; headers?: Record<string, string> }
  | { events: { event: string; data: unknown }[]; gapMs?: number; failAfter?: number };

export interface FakeAnthropic extends FakeServer {
  /** Queues replies for the next requests, in order. */
  reply(...replies: Reply[]): void;
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const queue: Reply[] = [];
  const server = await startServer(async (req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      sendJson(res, 404, errorBody('not_found_error', `no route ${req.method} ${req.url}`));
      return;
    }
    const next = queue.shift();
    if (!next) {
      sendJson(res, 500, errorBody('api_error', 'the test queued no reply for this request'));
      return;
    }
    if ('json' in next) {
      sendJson(res, next.status ?? 200, next.json, { 'request-id': 'req_test_1', ...next.headers });
      return;
    }
    await sendSse(res, next.events, { gapMs: next.gapMs, failAfter: next.failAfter });
  });
  return Object.assign(server, { reply: (...r: Reply[]) => void queue.push(...r) });
}

/** Anthropic's error body: `{ type: 'error', error: { type, message } }`. */
export function errorBody(type: string, message: string) {
  return { type: 'error', error: { type, message }, request_id: 'req_test_err' };
}

export interface MessageSpec {
  model?: string;
  id?: string;
  text?: string;
  stop_reason?: string;
  usage?: Record<string, unknown>;
}

/** A Message as the API returns it (shape of the Messages API reference). */
export function message(spec: MessageSpec = {}) {
  return {
    id: spec.id ?? 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: spec.model ?? 'claude-sonnet-4-6',
    content: [{ type: 'text', text: spec.text ?? 'Hello!' }],
    stop_reason: spec.stop_reason ?? 'end_turn',
    stop_sequence: null,
    usage: spec.usage ?? {
      input_tokens: 12,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: 6,
      service_tier: 'standard',
    },
  };
}

export interface StreamSpec {
  model?: string;
  id?: string;
  /** Text deltas, one event each. */
  chunks?: string[];
  stop_reason?: string;
  /** `message_start`'s usage (its output_tokens is the API's placeholder, 1). */
  startUsage?: Record<string, unknown>;
  /** `message_delta`'s usage: cumulative counts. */
  deltaUsage?: Record<string, unknown>;
}

/** The events of a streamed Message, in the order the API sends them, pings included. */
export function streamEvents(spec: StreamSpec = {}): { event: string; data: unknown }[] {
  const chunks = spec.chunks ?? ['Hello', '!'];
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: spec.id ?? 'msg_01StreamedAbCdEfGhIjKlMn',
          type: 'message',
          role: 'assistant',
          content: [],
          model: spec.model ?? 'claude-sonnet-4-6',
          stop_reason: null,
          stop_sequence: null,
          usage: spec.startUsage ?? { input_tokens: 25, output_tokens: 1 },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    { event: 'ping', data: { type: 'ping' } },
    ...chunks.map((text) => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: spec.stop_reason ?? 'end_turn', stop_sequence: null },
        usage: spec.deltaUsage ?? { output_tokens: 15 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

export const ANTHROPIC_KEY = 'sk-ant-api03-test-0123456789abcdefghijklmnop';

export const USER = [{ role: 'user' as const, content: 'Hi' }];

/**
 * claude-sonnet-4-6 at Anthropic's public prices (USD per 1M tokens): input 3,
 * output 15, cache read 0.30, 5-minute cache write 3.75, 1-hour cache write 6;
 * here in pUSD a token ($1 per 1M is 1,000,000 pUSD a token).
 * (Sonnet 4.5 costs the same, but the SDK warns on every call that it is deprecated.)
 */
export const SONNET_46 = {
  input: 3_000_000,
  output: 15_000_000,
  cacheRead: 300_000,
  write5m: 3_750_000,
  write1h: 6_000_000,
};

/** The span's attributes without the ones a test checks apart (cost, timing). */
export function split(span: ReadableSpan) {
  const {
    'costlens.cost.usd': cost,
    'gen_ai.usage.cost': interopCost,
    'costlens.cost.breakdown': breakdown,
    'costlens.pricing.source': source,
    'gen_ai.response.time_to_first_chunk': ttft,
    ...rest
  } = span.attributes;
  // The cost is written twice (costlens's name and gen_ai.usage.cost), always alike.
  if (interopCost !== cost) throw new Error(`gen_ai.usage.cost ${interopCost} is not ${cost}`);
  return { cost, breakdown, source, ttft, rest };
}

/** The fake server, telemetry with the SDK patched, and a real client of it. */
export async function anthropicTestbed(): Promise<{
  server: FakeAnthropic;
  t: Telemetry;
  client: Anthropic;
}> {
  const server = await startFakeAnthropic();
  const t = setupTelemetry({}, { anthropic: await import('@anthropic-ai/sdk') });
  const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: server.url, maxRetries: 2 });
  return { server, t, client };
}

/** After each test: whatever it did, the key never reached a span (attributes, status, events). */
export function checkedReset(bed: { t: Telemetry }): void {
  const { t } = bed;
  for (const span of t.spans()) {
    const recorded = JSON.stringify([span.attributes, span.status, span.events]);
    expect(recorded).not.toContain(ANTHROPIC_KEY);
    expect(recorded).not.toContain(ANTHROPIC_KEY.slice(8));
  }
  t.reset();
}
