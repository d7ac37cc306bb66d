// costlens demo traffic: an app that keeps calling OpenAI, Anthropic and Gemini through
// their own SDKs and the Vercel AI SDK, for several projects and users, with streams,
// embeddings, images at several sizes, videos with and without audio (Sora and Veo jobs
// polled to their end), retries and failures, so every dashboard panel has something to show. The calls go to a stand-in provider server
// (fake-server.mjs); nothing here mentions OpenTelemetry, the one import does the rest:
//
//   node --import @costlens/instrumentation/register examples/traffic/app.mjs
//
// TRAFFIC_CALLS_PER_SECOND  calls started per second (default 2)
// TRAFFIC_DURATION_SECONDS  stop after this long (default: run until stopped)
// FAKE_PROVIDERS_URL        the fake server (http://fake-providers:8080 in docker compose);
//                           unset: one is started in this process on loopback
// TRAFFIC_STOP_ON_STDIN_END 1: stop when stdin ends (`costlens demo` closes it to stop the
//                           app, and it ends by itself if the demo dies): no new calls, the
//                           ones in flight finish, the one import sends their spans
import Anthropic from '@anthropic-ai/sdk';
import { withAttributes } from '@costlens/instrumentation';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { startTrafficFakes } from './fake-server.mjs';

const env = process.env;

function positive(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name} must be a number above 0, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const rate = positive('TRAFFIC_CALLS_PER_SECOND', 2);
const duration = positive('TRAFFIC_DURATION_SECONDS', Number.POSITIVE_INFINITY);
const local = env.FAKE_PROVIDERS_URL ? undefined : await startTrafficFakes();
const base = (env.FAKE_PROVIDERS_URL ?? local.url).replace(/\/$/, '');

// The fake server takes any key; the SDKs only need one to be set.
const openai = new OpenAI({ apiKey: 'fake-key', baseURL: `${base}/openai/v1` });
const anthropic = new Anthropic({ apiKey: 'fake-key', baseURL: `${base}/anthropic` });
const gemini = new GoogleGenAI({ apiKey: 'fake-key', httpOptions: { baseUrl: `${base}/google` } });
// Veo runs on Vertex AI, which signs in with Google; the fake server takes any token.
const vertex = new GoogleGenAI({
  vertexai: true,
  project: 'demo',
  location: 'us-central1',
  googleAuthOptions: {
    authClient: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer fake' }) },
  },
  httpOptions: { baseUrl: `${base}/google` },
});

// The Vercel AI SDK is a dev dependency of the instrumentation: without it its calls are left out.
const aiSdk = await Promise.all([import('ai'), import('@ai-sdk/openai')]).then(
  ([ai, { createOpenAI }]) => ({
    ...ai,
    openai: createOpenAI({ apiKey: 'fake-key', baseURL: `${base}/openai/v1` }),
  }),
  () => {
    console.error(
      'demo traffic: the Vercel AI SDK (ai, @ai-sdk/openai) is not installed; its calls are left out',
    );
    return undefined;
  },
);

const ask = (content) => [{ role: 'user', content }];
// A failure asked of the fake server, not retried by the SDK: the call fails once, as recorded.
const failWith = (status) => ({ headers: { 'x-fake-status': String(status) }, maxRetries: 0 });

/** A Veo job on Vertex AI, polled until done: billed for its seconds at its resolution and audio. */
async function veo(config) {
  let operation = await vertex.models.generateVideos({
    model: 'veo-3.1-generate-001',
    source: { prompt: 'A drone shot over a beach' },
    config,
  });
  for (let polls = 0; polls < 20 && !operation.done; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    operation = await vertex.operations.getVideosOperation({ operation });
  }
}

/** Each kind of call the app makes; a name ending in "Fails" asks the fake server to fail it. */
const CALLS = {
  openaiChat: () =>
    openai.chat.completions.create({ model: 'gpt-4o-mini', messages: ask('Where is my order?') }),
  openaiChatStream: async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: ask('Send the tracking number.'),
      stream: true,
    });
    for await (const _ of stream);
  },
  openaiChatCached: () =>
    openai.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: ask('Summarise the paper.'),
    }),
  // The first attempt gets a 429 and the SDK retries it: one call, one retry.
  openaiChatRetried: () =>
    openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: ask('Cancel my order.') },
      { headers: { 'x-fake-fail-first': '1' } },
    ),
  // A model the catalogue does not know: counted as unpriced, never as $0.
  openaiChatUnpriced: () =>
    openai.chat.completions.create({ model: 'acme-support-llm', messages: ask('Hello') }),
  openaiEmbeddings: () =>
    openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['red running shoes', 'trail shoes for winter'],
    }),
  openaiImage: () =>
    openai.images.generate({
      model: 'gpt-image-1',
      prompt: 'A lighthouse at dusk',
      size: '1024x1024',
      quality: 'low',
    }),
  openaiImageWide: () =>
    openai.images.generate({
      model: 'gpt-image-1',
      prompt: 'A banner of mountains',
      size: '1536x1024',
      quality: 'medium',
    }),
  // A video is a job: billed for its seconds once a poll sees it completed.
  openaiVideo: async () => {
    let video = await openai.videos.create({
      model: 'sora-2',
      prompt: 'Waves',
      seconds: '4',
      size: '1280x720',
    });
    for (let polls = 0; polls < 20 && !['completed', 'failed'].includes(video.status); polls++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      video = await openai.videos.retrieve(video.id);
    }
  },
  veoVideo: () => veo({ durationSeconds: 8, resolution: '1080p', generateAudio: true }),
  veoVideoSilent: () => veo({ durationSeconds: 4, resolution: '720p', generateAudio: false }),
  anthropicMessage: () =>
    anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      messages: ask('What is the refund policy?'),
    }),
  anthropicCacheRead: () =>
    anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 800,
      messages: ask('Compare the two reports.'),
    }),
  geminiGenerate: () =>
    gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Why is the sky blue?' }),
  geminiStream: async () => {
    const stream = await gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'How did prices move?',
    });
    for await (const _ of stream);
  },
  geminiImage: () =>
    gemini.models.generateContent({ model: 'gemini-2.5-flash-image', contents: 'A red shoe' }),
  aiSdkText: () =>
    aiSdk.generateText({ model: aiSdk.openai.chat('gpt-4.1-nano'), prompt: 'Tag this ticket.' }),
  aiSdkStream: async () => {
    const result = aiSdk.streamText({
      model: aiSdk.openai.chat('gpt-4o-mini'),
      prompt: 'Draft a reply.',
    });
    for await (const _ of result.textStream);
  },
  openaiChatFails: () =>
    openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: ask('A very long question') },
      failWith(400),
    ),
  anthropicMessageFails: () =>
    anthropic.messages.create(
      { model: 'claude-sonnet-4-6', max_tokens: 800, messages: ask('Compare again.') },
      failWith(529),
    ),
  geminiGenerateFails: () =>
    gemini.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Again?',
      config: { httpOptions: { headers: { 'x-fake-status': '429' } } },
    }),
};

/** How often each call is made (relative weight), and for which project and user. */
const SCENARIOS = [
  [6, 'support-bot', 'alice', 'openaiChat'],
  [4, 'support-bot', 'bob', 'openaiChatStream'],
  [1, 'support-bot', 'alice', 'openaiChatRetried'],
  [0.3, 'support-bot', 'bob', 'openaiChatUnpriced'],
  [0.8, 'support-bot', 'alice', 'openaiChatFails'],
  [4, 'support-bot', 'alice', 'anthropicMessage'],
  [3, 'support-bot', 'bob', 'geminiStream'],
  [3, 'research', 'carol', 'openaiChatCached'],
  [2, 'research', 'carol', 'anthropicCacheRead'],
  [0.6, 'research', 'carol', 'anthropicMessageFails'],
  [3, 'research', 'frank', 'geminiGenerate'],
  [2, 'research', 'grace', 'aiSdkText'],
  [1, 'support-bot', 'bob', 'aiSdkStream'],
  [0.5, 'research', 'frank', 'geminiGenerateFails'],
  [4, 'search', 'erin', 'openaiEmbeddings'],
  [1, 'marketing', 'dave', 'openaiImage'],
  [0.5, 'marketing', 'dave', 'openaiImageWide'],
  [1, 'marketing', 'dave', 'geminiImage'],
  [0.1, 'marketing', 'dave', 'openaiVideo'],
  [0.1, 'marketing', 'dave', 'veoVideo'],
  [0.1, 'marketing', 'dave', 'veoVideoSilent'],
].filter(([, , , what]) => aiSdk || !what.startsWith('aiSdk'));

const totalWeight = SCENARIOS.reduce((sum, [weight]) => sum + weight, 0);

let started = 0;

function pickScenario() {
  // The first round makes every kind of call once, so even a short run shows them all.
  if (started < SCENARIOS.length) return SCENARIOS[started++];
  let r = Math.random() * totalWeight;
  for (const scenario of SCENARIOS) {
    r -= scenario[0];
    if (r < 0) return scenario;
  }
  return SCENARIOS[0];
}

const counts = { calls: 0, failedOnPurpose: 0, unexpected: 0 };

async function run([, project, user, what]) {
  const fails = what.endsWith('Fails');
  counts.calls++;
  try {
    await withAttributes({ project, user }, CALLS[what]);
    if (fails) {
      counts.unexpected++;
      console.error(`${what}: succeeded, but the fake server was asked to fail it`);
    }
  } catch (err) {
    if (fails) counts.failedOnPurpose++;
    else {
      counts.unexpected++;
      console.error(`${what}: ${err.message}`);
    }
  }
}

const report = () =>
  console.log(
    `demo traffic: ${counts.calls} calls, ${counts.failedOnPurpose} failed on purpose, ${counts.unexpected} unexpected errors`,
  );

console.log(
  `demo traffic: ${rate} calls/s to ${base}${Number.isFinite(duration) ? ` for ${duration} s` : ''}`,
);
const every = setInterval(report, 30_000);
const end = Date.now() + duration * 1000;
// Asked to stop (stdin ended): the wait for the next call ends at once, and no call starts.
let stopped = false;
let wake = () => {};
const stopOnStdinEnd = env.TRAFFIC_STOP_ON_STDIN_END === '1';
if (stopOnStdinEnd) {
  process.stdin.on('end', () => {
    stopped = true;
    wake();
  });
  process.stdin.resume();
}
const inFlight = new Set();
for (let next = Date.now(); next < end && !stopped; next += 1000 / rate) {
  // Calls start on the clock, not one after another, so a slow answer does not slow the rate.
  await new Promise((resolve) => {
    wake = resolve;
    setTimeout(resolve, Math.max(0, next - Date.now()));
  });
  if (stopped) break;
  const p = run(pickScenario()).finally(() => inFlight.delete(p));
  inFlight.add(p);
}
// stdin, no longer listened to, must not keep the process alive.
if (stopOnStdinEnd) process.stdin.destroy();
await Promise.all(inFlight);
clearInterval(every);
report();
await local?.close();
// The one import sends the last spans as the process ends.
process.exitCode = counts.unexpected > 0 ? 1 : 0;
