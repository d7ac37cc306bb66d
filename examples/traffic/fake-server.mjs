// The demo's stand-in provider server: examples/all-providers/fake-providers.mjs (OpenAI
// chat and its stream, Anthropic messages, Gemini generateContent, Workers AI) plus what
// the demo traffic needs so every dashboard panel has data: OpenAI chat with cached input,
// embeddings, images and videos (jobs that end at the second poll), Anthropic with cache reads, Gemini streams and images, and
// failures on request. Token counts vary a little from call to call, as real ones do.
//
//   node examples/traffic/fake-server.mjs    # FAKE_PROVIDERS_HOST (127.0.0.1), FAKE_PROVIDERS_PORT (8080;
//                                            # 0: any free port, said in the "listening on" line)
//
// A client asks for a failure with a request header, so one server serves both:
//   x-fake-status: 400 | 429 | 500 | 529   every attempt fails with that status
//   x-fake-fail-first: 1                   the first attempt gets 429 (the SDK retries it)
import { pathToFileURL } from 'node:url';
import { startFakeProviders } from '../all-providers/fake-providers.mjs';

/** A whole number in [low, high]. */
const between = (low, high) => low + Math.floor(Math.random() * (high - low + 1));

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Each provider's error body, as its SDK parses it into an error with a type. */
function sendError(res, path, status) {
  const headers = status === 429 ? { 'retry-after-ms': '20' } : {};
  if (path.startsWith('/anthropic/')) {
    const type =
      { 400: 'invalid_request_error', 429: 'rate_limit_error', 529: 'overloaded_error' }[status] ??
      'api_error';
    return sendJson(
      res,
      status,
      { type: 'error', error: { type, message: `fake ${type}` } },
      headers,
    );
  }
  if (path.startsWith('/google/')) {
    const state =
      { 400: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 503: 'UNAVAILABLE' }[status] ??
      'INTERNAL';
    return sendJson(res, status, {
      error: { code: status, message: `fake ${state}`, status: state },
    });
  }
  const [type, code] =
    status === 400
      ? ['invalid_request_error', 'context_length_exceeded']
      : status === 429
        ? ['rate_limit_exceeded', 'rate_limit_exceeded']
        : ['server_error', null];
  const message =
    status === 400
      ? "This model's maximum context length is 128000 tokens (fake)."
      : `fake ${type}`;
  return sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function openaiChat(model) {
  const prompt = between(1500, 4000);
  const cached = Math.floor(prompt * 0.6);
  const completion = between(80, 400);
  return {
    id: 'chatcmpl-traffic',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Here is the summary.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
  };
}

function openaiEmbeddings(body) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const vector = [0.0023, -0.0093, 0.0158];
  const tokens = inputs.length * between(6, 40);
  return {
    object: 'list',
    data: inputs.map((_, index) => ({
      object: 'embedding',
      index,
      // The SDK asks for base64 unless told otherwise, and decodes it into floats.
      embedding:
        body.encoding_format === 'float'
          ? vector
          : Buffer.from(new Float32Array(vector).buffer).toString('base64'),
    })),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function openaiImages(body) {
  const n = body.n ?? 1;
  const text = between(20, 80);
  return {
    created: Math.floor(Date.now() / 1000),
    data: Array.from({ length: n }, () => ({ b64_json: 'iVBORw0KGgo=' })),
    background: 'opaque',
    output_format: 'png',
    quality: body.quality ?? 'medium',
    size: body.size ?? '1024x1024',
    usage: {
      input_tokens: text,
      input_tokens_details: { text_tokens: text, image_tokens: 0 },
      output_tokens: 1056 * n,
      total_tokens: text + 1056 * n,
    },
  };
}

/** A field of a multipart/form-data body (the SDK uploads video requests as forms). */
const formField = (text, name) => new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)`).exec(text)?.[1];

/** Sora jobs as the API runs them: queued when asked for, in progress at the first poll, then done. */
const videoJobs = new Map();

function openaiVideo(text) {
  const video = {
    id: `video_${Date.now().toString(36)}_${videoJobs.size}`,
    object: 'video',
    model: formField(text, 'model') ?? 'sora-2',
    status: 'queued',
    progress: 0,
    created_at: Math.floor(Date.now() / 1000),
    size: formField(text, 'size') ?? '720x1280',
    seconds: formField(text, 'seconds') ?? '4',
    quality: 'standard',
  };
  // Jobs the app never polls again are not kept for ever.
  if (videoJobs.size >= 1000) videoJobs.delete(videoJobs.keys().next().value);
  videoJobs.set(video.id, { video, polls: 0 });
  return video;
}

function openaiVideoPoll(id) {
  const job = videoJobs.get(id);
  if (job === undefined) return undefined;
  if (job.polls++ === 0) return { ...job.video, status: 'in_progress', progress: 50 };
  videoJobs.delete(id);
  return {
    ...job.video,
    status: 'completed',
    progress: 100,
    completed_at: Math.floor(Date.now() / 1000),
    error: null,
  };
}

/** Veo jobs on Vertex AI: an operation when asked for, not done at the first poll, then done. */
const veoJobs = new Map();

function veoSubmit(path, model) {
  const name = `${path.slice('/google/v1beta1/'.length).split('/models/')[0]}/models/${model}/operations/${Date.now().toString(36)}${veoJobs.size}`;
  if (veoJobs.size >= 1000) veoJobs.delete(veoJobs.keys().next().value);
  veoJobs.set(name, 0);
  return { name };
}

function veoPoll(name) {
  const polls = veoJobs.get(name);
  if (polls === undefined) return undefined;
  if (polls === 0) return veoJobs.set(name, 1) && { name };
  veoJobs.delete(name);
  return {
    name,
    done: true,
    response: {
      '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse',
      raiMediaFilteredCount: 0,
      videos: [{ gcsUri: 'gs://demo-bucket/veo/sample_0.mp4', mimeType: 'video/mp4' }],
    },
  };
}

function anthropicCached(body) {
  const fresh = between(200, 900);
  const output = between(150, 600);
  return {
    id: 'msg_traffic',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: 'The report says revenue grew.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: fresh,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 6000,
      output_tokens: output,
      service_tier: 'standard',
    },
  };
}

function geminiChunks(model) {
  const base = { modelVersion: model, responseId: 'traffic-stream' };
  const words = ['Prices ', 'fell ', 'this ', 'week.'];
  const prompt = between(300, 1200);
  const output = between(60, 240);
  return words.map((text, i) => ({
    candidates: [
      {
        content: { parts: [{ text }], role: 'model' },
        index: 0,
        ...(i === words.length - 1 ? { finishReason: 'STOP' } : {}),
      },
    ],
    usageMetadata:
      i === words.length - 1
        ? {
            promptTokenCount: prompt,
            candidatesTokenCount: output,
            totalTokenCount: prompt + output,
          }
        : { promptTokenCount: prompt, totalTokenCount: prompt },
    ...base,
  }));
}

/** A Gemini image model's answer: a text part and one picture (base64 inline data). */
const geminiImage = (model) => ({
  candidates: [
    {
      content: {
        parts: [
          { text: 'Here is your picture.' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
        role: 'model',
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: {
    promptTokenCount: 12,
    candidatesTokenCount: 1296,
    totalTokenCount: 1308,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12 }],
    candidatesTokensDetails: [
      { modality: 'IMAGE', tokenCount: 1290 },
      { modality: 'TEXT', tokenCount: 6 },
    ],
  },
  modelVersion: model,
  responseId: 'traffic-image',
});

/** Streams `events` as server-sent events, a few milliseconds apart (a time to first chunk). */
async function sendSse(res, events) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events) {
    res.write(`data: ${JSON.stringify(event)}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, between(5, 30)));
  }
  res.end();
}

const GEMINI = /^\/google\/v1\w*\/models\/([^:]+):(\w+)$/;
const VERTEX =
  /^\/google\/v1\w*\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^:]+):(\w+)$/;

/** How the traffic's routes answer this request, or undefined to leave it to fake-providers.mjs. */
function pick(req, path, body, text) {
  if (path === '/healthz') return (res) => sendJson(res, 200, { status: 'ok' });
  const status = Number(req.headers['x-fake-status']);
  if (status >= 400) return (res) => sendError(res, path, status);
  if (req.headers['x-fake-fail-first'] && req.headers['x-stainless-retry-count'] === '0')
    return (res) => sendError(res, path, 429);
  if (path === '/openai/v1/chat/completions' && !body.stream && body.model !== 'gpt-4o-mini')
    return (res) => sendJson(res, 200, openaiChat(body.model));
  if (path === '/openai/v1/embeddings') return (res) => sendJson(res, 200, openaiEmbeddings(body));
  if (path === '/openai/v1/images/generations')
    return (res) => sendJson(res, 200, openaiImages(body));
  if (path === '/openai/v1/videos') return (res) => sendJson(res, 200, openaiVideo(text));
  const poll = /^\/openai\/v1\/videos\/([^/]+)$/.exec(path);
  if (poll && req.method === 'GET') {
    const video = openaiVideoPoll(poll[1]);
    return (res) => (video ? sendJson(res, 200, video) : sendError(res, path, 404));
  }
  if (path === '/anthropic/v1/messages' && body.model !== 'claude-haiku-4-5')
    return (res) => sendJson(res, 200, anthropicCached(body));
  const [, vertexModel, vertexMethod] = VERTEX.exec(path) ?? [];
  if (vertexMethod === 'predictLongRunning')
    return (res) => sendJson(res, 200, veoSubmit(path, vertexModel));
  if (vertexMethod === 'fetchPredictOperation') {
    const operation = veoPoll(body.operationName);
    return (res) => (operation ? sendJson(res, 200, operation) : sendError(res, path, 404));
  }
  const [, model, method] = GEMINI.exec(path) ?? [];
  if (method === 'streamGenerateContent') return (res) => sendSse(res, geminiChunks(model));
  if (method === 'generateContent' && model.includes('image'))
    return (res) => sendJson(res, 200, geminiImage(model));
  return undefined;
}

/** fake-providers.mjs's `more`: true when the traffic's routes answered. */
export async function trafficRoutes(req, res, path, body, text) {
  const answer = pick(req, path, body, text);
  if (answer === undefined) return false;
  await answer(res);
  return true;
}

/** The server with the traffic's routes; options as startFakeProviders takes them. */
export function startTrafficFakes({ host, port } = {}) {
  return startFakeProviders({ host, port, more: trafficRoutes });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const host = process.env.FAKE_PROVIDERS_HOST ?? '127.0.0.1';
  const port = Number(process.env.FAKE_PROVIDERS_PORT ?? 8080);
  const server = await startTrafficFakes({ host, port });
  console.log(`fake providers listening on ${server.url}`);
  // Stopped with SIGTERM: nothing to flush, end at once.
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
  // Started by `costlens demo`: its end (or its death) closes our stdin, and we end with it.
  if (process.env.FAKE_PROVIDERS_STOP_ON_STDIN_END === '1') {
    process.stdin.on('end', () => process.exit(0)).resume();
  }
}
