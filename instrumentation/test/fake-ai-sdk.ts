import * as bedrockPkg from '@ai-sdk/amazon-bedrock';
import * as anthropicPkg from '@ai-sdk/anthropic';
import * as gatewayPkg from '@ai-sdk/gateway';
import * as googlePkg from '@ai-sdk/google';
import * as openaiPkg from '@ai-sdk/openai';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as openai6Pkg from 'ai6-openai';
import type { CostlensInstrumentationConfig } from '../src/types.js';
import { type FakeAnthropic, startFakeAnthropic } from './fake-anthropic.js';
import { type FakeGoogle, startFakeGoogle } from './fake-google.js';
import { API_KEY, CHAT_COMPLETION, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import {
  type FakeServer,
  sendJson,
  sendSse,
  setupTelemetry,
  startServer,
  type Telemetry,
} from './harness.js';

/**
 * The Vercel AI SDK's real provider packages (`@ai-sdk/openai` 4 for `ai` 7,
 * `@ai-sdk/openai` 3 for `ai` 6, `@ai-sdk/anthropic`, `@ai-sdk/google`) pointed
 * at the local servers that speak each provider's wire format, and telemetry
 * with those packages patched as the one import patches them.
 */
export interface AiSdkBed {
  t: Telemetry;
  /** The OpenAI server; `server` for useTestbed. */
  server: FakeServer;
  oa: FakeOpenAI;
  an: FakeAnthropic;
  gg: FakeGoogle;
  openai: ReturnType<typeof openaiPkg.createOpenAI>;
  openai6: ReturnType<typeof openai6Pkg.createOpenAI>;
  anthropic: ReturnType<typeof anthropicPkg.createAnthropic>;
  google: ReturnType<typeof googlePkg.createGoogleGenerativeAI>;
}

export const GOOGLE_KEY = 'AIzaSyTest0123456789abcdefghijklmnop';

export async function aiSdkTestbed(config: CostlensInstrumentationConfig = {}): Promise<AiSdkBed> {
  const [oa, an, gg] = await Promise.all([
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeGoogle(),
  ]);
  const t = setupTelemetry(config, {
    aiSdk: [openaiPkg, openai6Pkg, anthropicPkg, googlePkg, gatewayPkg, bedrockPkg],
  });
  const closeAll = async () => {
    await Promise.all([oa.close(), an.close(), gg.close()]);
  };
  return {
    t,
    server: { ...oa, close: closeAll },
    oa,
    an,
    gg,
    openai: openaiPkg.createOpenAI({ apiKey: API_KEY, baseURL: oa.baseURL }),
    openai6: openai6Pkg.createOpenAI({ apiKey: API_KEY, baseURL: oa.baseURL }),
    anthropic: anthropicPkg.createAnthropic({
      apiKey: 'sk-ant-api03-test-0123456789abcdefghijklmnop',
      baseURL: `${an.url}/v1`,
    }),
    google: googlePkg.createGoogleGenerativeAI({ apiKey: GOOGLE_KEY, baseURL: `${gg.url}/v1beta` }),
  };
}

/** The span's attributes without the cost ones, and those apart (asserted on their own). */
export function split(span: ReadableSpan) {
  const {
    'costlens.cost.usd': cost,
    'gen_ai.usage.cost': interop,
    'costlens.cost.breakdown': breakdown,
    'costlens.pricing.source': source,
    'gen_ai.response.time_to_first_chunk': ttft,
    ...rest
  } = span.attributes;
  return { rest, cost, interop, breakdown, source, ttft };
}

/** A chat completion that asks for one call of the `weather` tool. */
export const TOOL_CALL_COMPLETION = {
  id: 'chatcmpl-tool-1',
  object: 'chat.completion',
  created: 1741569952,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_weather_1',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: {
    prompt_tokens: 300,
    completion_tokens: 20,
    total_tokens: 320,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
};

/** The answer after the tool's result: its own usage, part of the prompt cached. */
export const AFTER_TOOL_COMPLETION = {
  id: 'chatcmpl-tool-2',
  object: 'chat.completion',
  created: 1741569953,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'It is 18°C in Paris.' },
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 360,
    completion_tokens: 12,
    total_tokens: 372,
    prompt_tokens_details: { cached_tokens: 256 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
};

export const answer =
  (body: unknown, status = 200): Parameters<FakeOpenAI['script']>[0] =>
  (_req, res) =>
    sendJson(res, status, body);

/** A streamed chat completion of `pieces`, its usage chunk last, `gapMs` between events. */
export function chatStream(
  pieces: string[],
  opts: { gapMs?: number; failAfter?: number } = {},
): Parameters<FakeOpenAI['script']>[0] {
  const base = {
    id: 'chatcmpl-stream-ai',
    object: 'chat.completion.chunk',
    created: 1741569952,
    model: 'gpt-4o-mini-2024-07-18',
  };
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
    ...pieces.map((content) => ({ ...base, choices: [{ index: 0, delta: { content } }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: CHAT_COMPLETION.usage },
  ];
  return (_req, res) =>
    sendSse(
      res,
      events.map((data) => ({ data })),
      { done: true, gapMs: opts.gapMs ?? 2, failAfter: opts.failAfter },
    );
}

/**
 * The AI Gateway's wire format: POST {baseURL}/language-model with the model id
 * in `ai-language-model-id`; the answer is the model call's result as JSON (or
 * its stream parts as server-sent events), with the serving provider's usage.
 */
export async function startFakeGateway(): Promise<FakeServer> {
  return startServer((req, res) => {
    if (!req.url?.endsWith('/language-model')) {
      return sendJson(res, 404, { error: { message: `no route ${req.url}`, type: 'not_found' } });
    }
    const usage = {
      inputTokens: { total: 1500, noCache: 300, cacheRead: 1000, cacheWrite: 200 },
      outputTokens: { total: 80, text: 80, reasoning: 0 },
    };
    const finishReason = { unified: 'stop', raw: 'end_turn' };
    if (req.headers['ai-language-model-streaming'] === 'true') {
      return sendSse(res, [
        { data: { type: 'stream-start', warnings: [] } },
        { data: { type: 'response-metadata', id: 'gen_01', modelId: 'claude-sonnet-4-6' } },
        { data: { type: 'text-start', id: '0' } },
        { data: { type: 'text-delta', id: '0', delta: 'Hi there' } },
        { data: { type: 'text-end', id: '0' } },
        { data: { type: 'finish', finishReason, usage } },
      ]);
    }
    return sendJson(res, 200, {
      content: [{ type: 'text', text: 'Hi there' }],
      finishReason,
      usage,
      warnings: [],
    });
  });
}
