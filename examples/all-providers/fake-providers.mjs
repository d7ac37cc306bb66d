// A stand-in for the providers' APIs, so the example runs without keys or network:
// one local HTTP server that answers as OpenAI (/openai/v1/chat/completions, JSON and
// SSE), Anthropic (/anthropic/v1/messages), the Gemini API
// (/google/{version}/models/{model}:generateContent) and Cloudflare Workers AI
// (/cloudflare/client/v4/accounts/{id}/ai/run/{model}) do, with fixed token counts.
import { createServer } from 'node:http';

const openaiUsage = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 };

function openaiChat(body) {
  return {
    id: 'chatcmpl-example',
    object: 'chat.completion',
    created: 1764000000,
    model: body.model === 'gpt-4o-mini' ? 'gpt-4o-mini-2024-07-18' : body.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Your order ships today.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: openaiUsage,
  };
}

function openaiChunks(includeUsage) {
  const base = {
    id: 'chatcmpl-example-stream',
    object: 'chat.completion.chunk',
    created: 1764000000,
    model: 'gpt-4o-mini-2024-07-18',
  };
  const usage = includeUsage ? { usage: null } : {};
  const delta = (d, finish = null) => ({
    ...base,
    choices: [{ index: 0, delta: d, finish_reason: finish }],
    ...usage,
  });
  return [
    delta({ role: 'assistant', content: '' }),
    delta({ content: 'Tracking ' }),
    delta({ content: 'number sent.' }),
    delta({}, 'stop'),
    ...(includeUsage ? [{ ...base, choices: [], usage: openaiUsage }] : []),
  ];
}

const anthropicMessage = (body) => ({
  id: 'msg_example',
  type: 'message',
  role: 'assistant',
  model: body.model,
  content: [{ type: 'text', text: 'A refund takes 5 to 7 days.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 1000,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 200,
    service_tier: 'standard',
  },
});

const geminiAnswer = (model) => ({
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'Rayleigh scattering.' }] },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 200, totalTokenCount: 1200 },
  modelVersion: model,
  responseId: 'example-response',
});

const workersAiAnswer = {
  result: {
    response: 'Bonjour !',
    usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
  },
  success: true,
  errors: [],
  messages: [],
};

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function answer(req, res, more) {
  let text = '';
  for await (const chunk of req) text += chunk;
  // A multipart upload (OpenAI's videos) is left as text for `more`.
  const json = String(req.headers['content-type'] ?? '').includes('json');
  const body = text && json ? JSON.parse(text) : {};
  const path = (req.url ?? '').split('?')[0];
  if (more && (await more(req, res, path, body, text))) return;
  if (path === '/openai/v1/chat/completions') {
    if (!body.stream) return sendJson(res, 200, openaiChat(body));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of openaiChunks(body.stream_options?.include_usage === true)) {
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    return res.end('data: [DONE]\n\n');
  }
  if (path === '/anthropic/v1/messages') return sendJson(res, 200, anthropicMessage(body));
  const gemini = /^\/google\/v1\w*\/models\/([^:]+):generateContent$/.exec(path);
  if (gemini) return sendJson(res, 200, geminiAnswer(gemini[1]));
  if (/^\/cloudflare\/client\/v4\/accounts\/[^/]+\/ai\/run\//.test(path)) {
    return sendJson(res, 200, workersAiAnswer);
  }
  sendJson(res, 404, { error: { message: `the fake providers do not serve ${path}` } });
}

/**
 * Starts the server (by default on a free loopback port); `close()` stops it.
 * `more(req, res, path, body, text)` is asked first and returns true when it answered:
 * examples/traffic adds embeddings, images, streams and failures that way.
 */
export async function startFakeProviders({ host = '127.0.0.1', port = 0, more } = {}) {
  const server = createServer((req, res) => {
    answer(req, res, more).catch((err) => sendJson(res, 500, { error: { message: String(err) } }));
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    openai: `${url}/openai/v1`,
    anthropic: `${url}/anthropic`,
    google: `${url}/google`,
    cloudflare: `${url}/cloudflare/client/v4`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
