import type { ServerResponse } from 'node:http';
import { pusdToUsd } from '@costlens/pricing';
import OpenAI, * as openaiModule from 'openai';
import {
  type FakeServer,
  type Handler,
  sendJson,
  sendSse,
  setupTelemetry,
  startServer,
  type Telemetry,
} from './harness.js';

/**
 * A local server that answers as OpenAI's API does (JSON bodies, SSE streams,
 * error bodies), for the real `openai` SDK to talk to. Payload shapes follow
 * the API reference; `script` overrides the answer to the next requests.
 */
export interface FakeOpenAI extends FakeServer {
  baseURL: string;
  /** Answers the next request with `handler` instead of the default. */
  script(...handlers: Handler[]): void;
  /** How the next Sora jobs end, and after how many polls still "in_progress". */
  videos: { outcome: 'completed' | 'failed'; pendingPolls: number };
}

export const CHAT_COMPLETION = {
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion',
  created: 1741569952,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Hello! How can I help?',
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 1000,
    completion_tokens: 100,
    total_tokens: 1100,
    prompt_tokens_details: { cached_tokens: 200, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_06737a9306',
};

export function chatChunks(includeUsage: boolean): unknown[] {
  const base = {
    id: 'chatcmpl-stream-1',
    object: 'chat.completion.chunk',
    created: 1741569952,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_06737a9306',
  };
  const usage = includeUsage ? { usage: null } : {};
  return [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      ...usage,
    },
    { ...base, choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }], ...usage },
    { ...base, choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: null }], ...usage },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], ...usage },
    ...(includeUsage
      ? [
          {
            ...base,
            choices: [],
            usage: {
              prompt_tokens: 1000,
              completion_tokens: 100,
              total_tokens: 1100,
              prompt_tokens_details: { cached_tokens: 200, audio_tokens: 0 },
              completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
            },
          },
        ]
      : []),
  ];
}

export const RESPONSE = {
  id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
  object: 'response',
  created_at: 1741476542,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'o4-mini-2025-04-16',
  output: [
    {
      type: 'message',
      id: 'msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'In a peaceful grove...', annotations: [] }],
    },
  ],
  usage: {
    input_tokens: 2000,
    input_tokens_details: { cached_tokens: 1000 },
    output_tokens: 500,
    output_tokens_details: { reasoning_tokens: 300 },
    total_tokens: 2500,
  },
};

export function responseEvents(): unknown[] {
  const inProgress = { ...RESPONSE, status: 'in_progress', output: [], usage: null };
  return [
    { type: 'response.created', sequence_number: 0, response: inProgress },
    { type: 'response.in_progress', sequence_number: 1, response: inProgress },
    {
      type: 'response.output_text.delta',
      sequence_number: 2,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta: 'In a peaceful grove...',
    },
    { type: 'response.completed', sequence_number: 3, response: RESPONSE },
  ];
}

export const EMBEDDING = {
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, 0.015797347] }],
  model: 'text-embedding-3-small',
  usage: { prompt_tokens: 8, total_tokens: 8 },
};

export const IMAGES = {
  created: 1713833628,
  data: [{ b64_json: 'iVBORw0KGgo=' }],
  background: 'opaque',
  output_format: 'png',
  quality: 'high',
  size: '1024x1536',
  usage: {
    input_tokens: 50,
    input_tokens_details: { text_tokens: 50, image_tokens: 0 },
    output_tokens: 6240,
    total_tokens: 6290,
  },
};

export const VIDEO = {
  id: 'video_123',
  object: 'video',
  model: 'sora-2',
  status: 'queued',
  progress: 0,
  created_at: 1712697600,
  size: '1280x720',
  seconds: '8',
  quality: 'standard',
};

export const sendError = (res: ServerResponse, status: number, type: string, message: string) =>
  sendJson(res, status, { error: { message, type, param: null, code: null } });

const defaultHandler: Handler = async (req, res) => {
  const path = (req.url ?? '').split('?')[0];
  const json = String(req.headers['content-type']).startsWith('application/json');
  const body = req.body && json ? (req.json() as Record<string, unknown>) : {};
  if (path === '/v1/chat/completions') {
    if (body.stream) {
      const opts = body.stream_options as { include_usage?: boolean } | undefined;
      await sendSse(
        res,
        chatChunks(opts?.include_usage === true).map((data) => ({ data })),
        { done: true, gapMs: 2 },
      );
      return;
    }
    sendJson(res, 200, {
      ...CHAT_COMPLETION,
      model: body.model === 'gpt-4o-mini' ? CHAT_COMPLETION.model : body.model,
    });
    return;
  }
  if (path === '/v1/responses') {
    if (body.stream) {
      await sendSse(
        res,
        responseEvents().map((data) => ({ event: (data as { type: string }).type, data })),
        { gapMs: 2 },
      );
      return;
    }
    sendJson(res, 200, RESPONSE);
    return;
  }
  if (path === '/v1/embeddings') {
    // The SDK asks for base64 unless told otherwise, and decodes it into floats.
    if (body.encoding_format === 'float') return sendJson(res, 200, EMBEDDING);
    return sendJson(res, 200, {
      ...EMBEDDING,
      data: EMBEDDING.data.map((d) => ({
        ...d,
        embedding: Buffer.from(new Float32Array(d.embedding).buffer).toString('base64'),
      })),
    });
  }
  if (path === '/v1/images/generations' || path === '/v1/images/edits')
    return sendJson(res, 200, IMAGES);
  if (path === '/v1/videos') return sendJson(res, 200, VIDEO);
  sendError(res, 404, 'invalid_request_error', `Unknown path ${path}`);
};

export const VIDEO_FAILURE = {
  code: 'moderation_blocked',
  message: 'Your request was blocked by our moderation system.',
};

/**
 * Sora jobs as the API runs them: `POST /v1/videos` (multipart) queues a job
 * with its own id, `GET /v1/videos/{id}` answers "in_progress" for
 * `pendingPolls` polls, then "completed" or "failed" with the error.
 */
function videoJobs(settings: FakeOpenAI['videos']): Handler {
  const jobs = new Map<string, { video: typeof VIDEO; polls: number; outcome: string }>();
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'POST' && path === '/v1/videos') {
      const form = await new Response(req.body, {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      const field = (name: string, fallback: string) => String(form.get(name) ?? fallback);
      const video = {
        ...VIDEO,
        id: `video_${jobs.size + 1}_${Date.now().toString(36)}`,
        model: field('model', 'sora-2'),
        seconds: field('seconds', '4'),
        size: field('size', '720x1280'),
      };
      jobs.set(video.id, { video, polls: 0, outcome: settings.outcome });
      return sendJson(res, 200, video);
    }
    const job = jobs.get(/^\/v1\/videos\/([^/]+)$/.exec(path)?.[1] ?? '');
    if (req.method !== 'GET' || !job) return defaultHandler(req, res);
    if (job.polls++ < settings.pendingPolls) {
      return sendJson(res, 200, { ...job.video, status: 'in_progress', progress: 40 });
    }
    const done = { ...job.video, progress: 100, completed_at: 1712697800 };
    if (job.outcome === 'failed') {
      return sendJson(res, 200, { ...done, status: 'failed', error: VIDEO_FAILURE });
    }
    return sendJson(res, 200, { ...done, status: 'completed', error: null });
  };
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: Handler[] = [];
  const videos: FakeOpenAI['videos'] = { outcome: 'completed', pendingPolls: 0 };
  const answer = videoJobs(videos);
  const server = await startServer((req, res) => (queue.shift() ?? answer)(req, res));
  return Object.assign(server, {
    baseURL: `${server.url}/v1`,
    script: (...handlers: Handler[]) => {
      queue.push(...handlers);
    },
    videos,
  });
}

export { defaultHandler as openaiDefaultHandler };

export const API_KEY = 'sk-test-0123456789abcdefghij';

// gpt-4o-mini at OpenAI's list prices, in pUSD a token: $0.15 / 1M input (150,000),
// $0.075 / 1M cached input (75,000), $0.60 / 1M output (600,000); in USD as the span says it.
export const GPT_4O_MINI_COST = pusdToUsd(800 * 150_000 + 200 * 75_000 + 100 * 600_000);

export const costOf = (attrs: Record<string, unknown>) => Number(attrs['costlens.cost.usd']);

/** The fake server, telemetry with the openai module patched, and a real client of it. */
export async function openaiTestbed(): Promise<{
  server: FakeOpenAI;
  t: Telemetry;
  client: OpenAI;
}> {
  const server = await startFakeOpenAI();
  const t = setupTelemetry({}, { openai: openaiModule });
  const client = new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL, maxRetries: 2 });
  return { server, t, client };
}
