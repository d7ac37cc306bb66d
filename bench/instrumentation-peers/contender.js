// One contender of bench/instrumentation.bench.js, alone in its process so that no
// other instrumentation's patches are in place: the openai 6 SDK (or openai 7, or the
// Vercel AI SDK over its OpenAI provider) over an in-process fake `fetch` (no socket,
// no parsing of the request), bare or under one instrumentation. Prints one JSON
// object: the per-round microseconds per call and what was checked about the spans. Wall time is what a caller waits; main-thread
// CPU time is the same work less what other processes on the machine took from it.
// Run by the bench: node bench/instrumentation-peers/contender.js <name> '{"iterations":...}'
// With `"driven": true` it times no round by itself: once warm it says `ready`, then
// times one round for each mode named on its standard input, until `end`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { getHeapSpaceStatistics } from 'node:v8';

const require = createRequire(import.meta.url);
// `<name>` runs on openai 6 (the peers' latest: both patch openai < 7 only);
// `<name>@7` on openai 7, the version the instrumentation workspace resolves;
// `ai-sdk` and `costlens-ai-sdk` on `ai` 7's generateText / streamText with
// `@ai-sdk/openai`'s chat model, as the instrumentation workspace resolves them.
const NAMES = [
  'none',
  'costlens',
  'costlens-sdk',
  'official',
  'traceloop',
  'none@7',
  'costlens@7',
  'ai-sdk',
  'costlens-ai-sdk',
];
const contender = process.argv[2];
if (!NAMES.includes(contender)) {
  throw new TypeError(`contender "${contender}" is unknown: use one of ${NAMES.join(', ')}`);
}
const aiSdk = contender.endsWith('ai-sdk');
// `costlens-sdk`: costlens with its histograms recorded through the SDK's
// instruments, as in an app whose metric reader has no costlens producer.
const sdkInstruments = contender === 'costlens-sdk';
const [name, major = aiSdk ? '7' : '6'] = aiSdk
  ? [contender === 'ai-sdk' ? 'none' : 'costlens']
  : sdkInstruments
    ? ['costlens']
    : contender.split('@');
const workspaceRequire = createRequire(
  new URL('../../instrumentation/package.json', import.meta.url),
);
const requireOpenAI = major === '7' ? workspaceRequire : require;
const {
  iterations = 1000,
  rounds = 15,
  warmup = 3000,
  modes = ['nonStreaming', 'streaming'],
  driven = false,
} = JSON.parse(process.argv[3] ?? '{}');

// The same answers for every contender: a chat completion, and a stream of 5 chunks
// then the usage chunk the request asks for.
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_764_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello, world!', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 24,
    completion_tokens: 4,
    total_tokens: 28,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
  system_fingerprint: 'fp_bench',
});
const chunk = (delta, finish = null) => ({
  id: 'chatcmpl-bench',
  object: 'chat.completion.chunk',
  created: 1_764_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});
const encoder = new TextEncoder();
const SSE = [
  chunk({ role: 'assistant', content: 'Hello' }),
  chunk({ content: ',' }),
  chunk({ content: ' world' }),
  chunk({ content: '!' }),
  chunk({}, 'stop'),
  {
    ...chunk({}),
    choices: [],
    usage: { prompt_tokens: 24, completion_tokens: 4, total_tokens: 28 },
  },
]
  .map((c) => `data: ${JSON.stringify(c)}\n\n`)
  .concat('data: [DONE]\n\n')
  .map((s) => encoder.encode(s));

const jsonFetch = async () =>
  new Response(COMPLETION, {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req_bench' },
  });
// One event per read, as a network would deliver them.
const sseFetch = async () => {
  let i = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (i < SSE.length) controller.enqueue(SSE[i++]);
      else controller.close();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' },
  });
};

// Telemetry, the same for every instrumented contender: AsyncLocalStorage context,
// a tracer provider whose SimpleSpanProcessor hands each span to an exporter that
// counts it (and keeps it while a call is
// checked), and a meter provider with a reader that never
// exports during the run. No logger provider: the official instrumentation's log
// events go to the no-op logger.
const telemetry = { exported: 0, kept: undefined };
let tracer;
if (name !== 'none') {
  const { context, trace } = require('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const { SimpleSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace');
  const {
    AggregationTemporality,
    InMemoryMetricExporter,
    MeterProvider,
    PeriodicExportingMetricReader,
  } = require('@opentelemetry/sdk-metrics');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = {
    export(spans, done) {
      telemetry.exported += spans.length;
      telemetry.kept?.push(...spans);
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  // Under the AI SDK, costlens's own span processor beside the exporter's, as its
  // docs ask of an app with its own tracer provider (it nests costlens's spans
  // under @ai-sdk/otel's when those are made: here they are not).
  const instrumentation = name === 'costlens' ? await costlensInstrumentation() : undefined;
  const tracerProvider = new TracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor({ exporter }),
      ...(aiSdk ? [instrumentation.spanProcessor()] : []),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  tracer = tracerProvider.getTracer('bench');
  // costlens's metric producer on the reader, as its docs ask of an app with its
  // own meter provider (and as its register entry point does).
  const metricProducers =
    name === 'costlens' && !sdkInstruments ? [instrumentation.metricProducer()] : [];
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
        metricProducers,
      }),
    ],
  });
  // Content capture off everywhere (the default of costlens and the official one;
  // OpenLLMetry records prompts and completions unless told not to).
  const peer =
    name === 'costlens'
      ? instrumentation
      : name === 'official'
        ? new (require('@opentelemetry/instrumentation-openai').OpenAIInstrumentation)()
        : new (require('@traceloop/instrumentation-openai').OpenAIInstrumentation)({
            traceContent: false,
          });
  registerInstrumentations({ instrumentations: [peer], tracerProvider, meterProvider });
  // The module hooks patch openai as it is required below; costlens is also handed
  // the module, as an app whose loader bypasses the hooks would (a no-op when hooked).
  // The AI SDK's provider package is handed over as an ESM app hands it (its tests too).
  if (name === 'costlens') {
    instrumentation.instrumentModules(
      aiSdk ? { aiSdk: [workspaceRequire('@ai-sdk/openai')] } : { openai: requireOpenAI('openai') },
    );
  }
}

async function costlensInstrumentation() {
  const { CostlensInstrumentation } = await import('@costlens/instrumentation');
  return new CostlensInstrumentation();
}

const messages = () => [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello to the world.' },
];

/** The two calls over the openai SDK, and the versions they ran on. */
function openaiCalls() {
  const { OpenAI } = requireOpenAI('openai');
  const openaiVersion = versionOf(requireOpenAI, 'openai');
  if (!openaiVersion.startsWith(`${major}.`)) {
    throw new Error(`${contender} resolved openai ${openaiVersion}, not openai ${major}`);
  }
  const options = { apiKey: 'sk-bench', baseURL: 'https://api.openai.com/v1', maxRetries: 0 };
  const jsonClient = new OpenAI({ ...options, fetch: jsonFetch });
  const sseClient = new OpenAI({ ...options, fetch: sseFetch });

  async function nonStreaming() {
    const r = await jsonClient.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: messages(),
      max_tokens: 50,
    });
    if (r.choices[0].message.content !== 'Hello, world!') throw new Error('wrong completion');
  }

  async function streaming() {
    const stream = await sseClient.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: messages(),
      max_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    });
    let n = 0;
    for await (const _ of stream) n++;
    if (n !== 6) throw new Error(`read ${n} chunks, expected 6`);
  }
  return { versions: { openai: openaiVersion }, calls: { nonStreaming, streaming } };
}

/** The same two calls through the AI SDK's generateText / streamText and its OpenAI chat model. */
function aiSdkCalls() {
  const { generateText, streamText } = workspaceRequire('ai');
  const { createOpenAI } = workspaceRequire('@ai-sdk/openai');
  const versions = {
    ai: versionOf(workspaceRequire, 'ai'),
    aiSdkOpenai: versionOf(workspaceRequire, '@ai-sdk/openai'),
  };
  if (!versions.ai.startsWith('7.'))
    throw new Error(`${contender} resolved ai ${versions.ai}, not 7`);
  const options = { apiKey: 'sk-bench', baseURL: 'https://api.openai.com/v1' };
  const jsonModel = createOpenAI({ ...options, fetch: jsonFetch }).chat('gpt-4o-mini');
  const sseModel = createOpenAI({ ...options, fetch: sseFetch }).chat('gpt-4o-mini');
  const request = {
    instructions: 'You are terse.',
    prompt: 'Say hello to the world.',
    maxOutputTokens: 50,
    maxRetries: 0,
  };

  async function nonStreaming() {
    const r = await generateText({ model: jsonModel, ...request });
    if (r.text !== 'Hello, world!') throw new Error(`wrong completion: ${r.text}`);
  }

  async function streaming() {
    const r = streamText({
      model: sseModel,
      ...request,
      onError: ({ error }) => {
        throw error;
      },
    });
    let text = '';
    for await (const delta of r.textStream) text += delta;
    if (text !== 'Hello, world!') throw new Error(`wrong streamed text: ${text}`);
  }
  return { versions, calls: { nonStreaming, streaming } };
}

/** The version of a package as `req` resolves it (from its entry point up to its package.json). */
function versionOf(req, pkg) {
  for (let dir = dirname(req.resolve(pkg)); dir !== '/'; dir = dirname(dir)) {
    try {
      const j = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (j.name === pkg) return j.version;
    } catch {}
  }
  throw new Error(`no package.json found for ${pkg}`);
}

const { versions, calls } = aiSdk ? aiSdkCalls() : openaiCalls();
const { nonStreaming, streaming } = calls;

const tick = () => new Promise((resolve) => setImmediate(resolve));

const pick = (a, ...keys) => keys.map((k) => a[k]).find((v) => v !== undefined);

/** Makes one call inside a parent span and reports the spans it produced. */
async function check(fn) {
  telemetry.kept = [];
  let parentId;
  await tracer.startActiveSpan('parent', async (parent) => {
    parentId = parent.spanContext().spanId;
    await fn();
    parent.end();
  });
  await tick();
  const spans = telemetry.kept.filter((s) => s.name !== 'parent');
  telemetry.kept = undefined;
  const a = spans[0]?.attributes ?? {};
  return {
    spansPerCall: spans.length,
    name: spans[0]?.name,
    parented: spans[0]?.parentSpanContext?.spanId === parentId,
    responseModel: pick(a, 'gen_ai.response.model'),
    inputTokens: pick(a, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'),
    outputTokens: pick(a, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'),
    costUsd: a['costlens.cost.usd'],
    attributes: Object.keys(a).length,
  };
}

const result = {
  name: contender,
  ...versions,
  nonStreaming: { wallUs: [], cpuUs: [] },
  streaming: { wallUs: [], cpuUs: [] },
};
if (tracer) {
  result.check = { nonStreaming: await check(nonStreaming), streaming: await check(streaming) };
}

for (const mode of modes) for (let i = 0; i < warmup; i++) await calls[mode]();

/** Runs `fn` `iterations` times: wall and main-thread CPU microseconds per call. */
async function round(fn) {
  const cpu0 = process.threadCpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / iterations;
  const cpu = process.threadCpuUsage(cpu0);
  return [wall, (cpu.user + cpu.system) / iterations];
}

const startExported = telemetry.exported;
let timed = 0;
async function timeRound(mode) {
  const [wall, cpu] = await round(calls[mode]);
  result[mode].wallUs.push(wall);
  result[mode].cpuUs.push(cpu);
  timed += iterations;
  return [wall, cpu];
}

if (driven) {
  // Driven by the bench, one round at a time, so that the rounds of every
  // contender of a pass follow each other closely (see instrumentation.bench.js):
  // it says `ready` once warm, then answers each line naming a mode with that
  // round's [wall, cpu] µs per call, until `end`.
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'end') break;
    if (!modes.includes(line)) throw new TypeError(`unknown mode "${line}"`);
    process.stdout.write(`${JSON.stringify(await timeRound(line))}\n`);
  }
} else {
  for (let r = 0; r < rounds; r++) for (const mode of modes) await timeRound(mode);
}
await tick();
result.spansPerCall = timed === 0 ? 0 : (telemetry.exported - startExported) / timed;
// The young generation it ran with (MB, both semi-spaces): the bench fixes it for every contender.
result.newSpaceMb =
  getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
console.log(JSON.stringify(result));
