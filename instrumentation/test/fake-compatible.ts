import { type FakeServer, type Handler, sendJson, sendSse, startServer } from './harness.js';

/**
 * A local server that answers as the providers serving OpenAI's Chat Completions
 * API do, under whatever path prefix each uses (`/openai/v1`, `/api/v1`,
 * `/inference/v1`, ...), and `routedFetch`, which sends what an openai client
 * addresses to a provider's real host to this server instead. The client keeps
 * its real `baseURL`, so the instrumentation sees the URL an app would give.
 */

/** OpenRouter's `usage` as its usage accounting reports it: the cost is in credits (USD). */
export const OPENROUTER_USAGE = {
  prompt_tokens: 1000,
  completion_tokens: 100,
  total_tokens: 1100,
  cost: 0.000219,
  is_byok: false,
  prompt_tokens_details: { cached_tokens: 200, audio_tokens: 0 },
  cost_details: { upstream_inference_cost: null },
  completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0 },
};

/** The usage most of these providers report: OpenAI's shape. */
export const USAGE = {
  prompt_tokens: 1000,
  completion_tokens: 100,
  total_tokens: 1100,
  prompt_tokens_details: { cached_tokens: 200 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

const completion = (model: string, usage: object) => ({
  id: 'gen-1733-compat',
  object: 'chat.completion',
  created: 1733000000,
  model,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello!', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
});

const chunks = (model: string, usage: object) => {
  const base = { id: 'gen-1733-stream', object: 'chat.completion.chunk', created: 1733000000 };
  return [
    { ...base, model, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] },
    { ...base, model, choices: [{ index: 0, delta: { content: 'lo!' }, finish_reason: 'stop' }] },
    { ...base, model, choices: [], usage },
  ];
};

export interface FakeCompatible extends FakeServer {
  /** The usage the next answers carry (default `USAGE`). */
  usage: object;
}

/** Answers `POST <any prefix>/chat/completions`, JSON or SSE, echoing the model asked for. */
export async function startFakeCompatible(): Promise<FakeCompatible> {
  let fake: FakeCompatible | undefined;
  const handler: Handler = async (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      sendJson(res, 404, { error: { message: `no route for ${req.method} ${path}` } });
      return;
    }
    const body = req.json() as { model: string; stream?: boolean };
    const usage = fake?.usage ?? USAGE;
    if (body.stream) {
      const data = chunks(body.model, usage);
      await sendSse(
        res,
        data.map((d) => ({ data: d })),
        { done: true, gapMs: 1 },
      );
      return;
    }
    sendJson(res, 200, completion(body.model, usage));
  };
  fake = Object.assign(await startServer(handler), { usage: USAGE as object });
  return fake;
}

/**
 * A `fetch` for the openai SDK that sends every request to `server`, path and
 * query kept: the SDK addresses `https://openrouter.ai/api/v1/chat/completions`,
 * the bytes go to `http://127.0.0.1:<port>/api/v1/chat/completions`.
 */
export function routedFetch(server: FakeServer): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return fetch(`${server.url}${url.pathname}${url.search}`, init);
  };
}
