import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import {
  type AiSdkOpenAIServer,
  RESPONSE_MODEL,
  startAiSdkOpenAIServer,
  USAGE,
} from './fixtures/ai-sdk-openai-server.js';

// An app on the Vercel AI SDK with the AI SDK's own OpenTelemetry integration and
// no costlens instrumentation (fixtures/ai-sdk-app.mjs), run as its own process
// with the NodeSDK and the official OTLP exporter, against a real collector and a
// local OpenAI-compatible server: seven model calls, and what the collector stores.

const APP = fileURLToPath(new URL('./fixtures/ai-sdk-app.mjs', import.meta.url));
const REGISTER = fileURLToPath(new URL('../instrumentation/dist/register.js', import.meta.url));
const run = promisify(execFile);
/** A test that runs the app: it starts Node and the NodeSDK, which takes seconds on a busy machine. */
const APP_TIMEOUT_MS = 90_000;

let fake: AiSdkOpenAIServer;
beforeAll(async () => {
  fake = await startAiSdkOpenAIServer();
});
afterAll(() => fake.close());
const running: RunningCollector[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.close();
});

interface App {
  major: '6' | '7';
  telemetry: 'otel' | 'legacy' | 'on' | 'none';
  /** Run with `--import @costlens/instrumentation/register` (which then runs the NodeSDK). */
  register?: boolean;
  /** The app's own NodeSDK with CostlensInstrumentation and its span processor. */
  ownCostlens?: boolean;
  protocol: 'http/protobuf' | 'http/json';
  /** Spans per export request (the batch processor's), when not its default. */
  batch?: number;
}

async function runApp(collector: RunningCollector, app: App): Promise<void> {
  const requestsBefore = fake.requests.length;
  if (app.register && !existsSync(REGISTER)) {
    throw new Error(`${REGISTER} is missing: build it with \`scripts/run npx tsc -b\``);
  }
  const args = app.register ? ['--import', pathToFileURL(REGISTER).href, APP] : [APP];
  await run(process.execPath, args, {
    timeout: 60_000,
    env: {
      ...process.env,
      FAKE_OPENAI_URL: fake.baseURL,
      AI_SDK_MAJOR: app.major,
      AI_SDK_TELEMETRY: app.telemetry,
      AI_SDK_LOG_WARNINGS: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: app.protocol,
      OTEL_SERVICE_NAME: 'ai-sdk-app',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      ...(app.batch ? { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(app.batch) } : {}),
      ...(app.register ? { APP_NODESDK: '0' } : {}),
      ...(app.ownCostlens ? { APP_NODESDK: 'costlens' } : {}),
    },
  });
  // Seven model calls reached the provider: four Responses, one chat completion, two embeddings.
  expect(fake.requests.slice(requestsBefore).sort()).toEqual([
    ...Array(1).fill('/v1/chat/completions'),
    ...Array(2).fill('/v1/embeddings'),
    ...Array(4).fill('/v1/responses'),
  ]);
}

interface Row {
  service: string;
  provider: string;
  operation: string;
  call_type: string;
  request_model: string;
  response_model: string | null;
  input_tokens: number | null;
  cache_read_tokens: number | null;
  output_tokens: number | null;
  cost_pusd: number | null;
  prompt: string | null;
  attributes: string | null;
}

const rows = (c: RunningCollector) =>
  c.parts.store.db
    .prepare(
      `SELECT service, provider, operation, call_type, request_model, response_model,
        input_tokens, cache_read_tokens, output_tokens, cost_pusd, prompt, attributes
       FROM call_records ORDER BY started_at, span_id`,
    )
    .all() as Row[];

// gpt-4o-mini at OpenAI's prices in pUSD a token: 150,000 input, 75,000 cached
// input, 600,000 output; text-embedding-3-small 20,000.
const chat = (u: { input: number; cached: number; output: number }) => ({
  service: 'ai-sdk-app',
  provider: 'openai',
  operation: 'chat',
  call_type: 'text',
  request_model: 'gpt-4o-mini',
  response_model: RESPONSE_MODEL,
  input_tokens: u.input,
  cache_read_tokens: u.cached || null,
  output_tokens: u.output,
  cost_pusd: (u.input - u.cached) * 150_000 + u.cached * 75_000 + u.output * 600_000,
});
const embedding = (values: number) => ({
  service: 'ai-sdk-app',
  provider: 'openai',
  operation: 'embeddings',
  call_type: 'embedding',
  request_model: 'text-embedding-3-small',
  response_model: null,
  input_tokens: USAGE.embedding * values,
  cache_read_tokens: null,
  output_tokens: null,
  cost_pusd: USAGE.embedding * values * 20_000,
});
const SEVEN_CALLS = [
  chat(USAGE.text), // generateText (Responses API)
  chat(USAGE.toolCall), // streamText step 1: the tool call
  chat(USAGE.afterTool), // streamText step 2: the answer
  chat(USAGE.object), // generateObject
  chat(USAGE.chat), // generateText (chat completions)
  embedding(1), // embed
  embedding(3), // embedMany
];
const figures = (r: Row) => {
  const { prompt: _p, attributes: _a, ...rest } = r;
  return rest;
};

/** Words of the app's prompts, answers, tool calls and embedded values. */
const CONTENT = /4111|grove|Paris|sunny|Ada|weather|beach|"three"/;

async function metric(c: RunningCollector, series: string): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe.each<[string, App, number]>([
  [
    'AI SDK 7, registerTelemetry(new OpenTelemetry())',
    { major: '7', telemetry: 'otel', protocol: 'http/protobuf' },
    18,
  ],
  [
    'AI SDK 7, registerTelemetry(new LegacyOpenTelemetry())',
    { major: '7', telemetry: 'legacy', protocol: 'http/json' },
    14,
  ],
  [
    'AI SDK 6, experimental_telemetry on each call',
    { major: '6', telemetry: 'on', protocol: 'http/protobuf' },
    14,
  ],
])('%s', (_, app, spans) => {
  it(
    'seven model calls are seven records, priced, with no step, agent or tool record and no content',
    async () => {
      const collector = await startCollector();
      running.push(collector);
      await runApp(collector, app);
      const stored = rows(collector);
      expect(stored.map(figures)).toEqual(SEVEN_CALLS);
      for (const r of stored) {
        expect(r.prompt).toBeNull();
        expect(r.attributes ?? '').not.toMatch(CONTENT);
        expect(r.attributes ?? '').not.toMatch(/messages|ai\.prompt|ai\.response\.text|tool\.call/);
      }
      expect(await metric(collector, 'costlens_ingest_spans_total{result="accepted"}')).toBe(7);
      const ignored =
        (await metric(collector, 'costlens_ingest_spans_total{result="not_genai"}')) +
        (await metric(collector, 'costlens_ingest_spans_total{result="duplicate"}'));
      expect(7 + ignored).toBe(spans);
      const calls = await metric(
        collector,
        'costlens_calls_total{provider="openai",model="gpt-4o-mini-2024-07-18",project="unknown",call_type="text",status="success",error_type=""}',
      );
      expect(calls).toBe(5);
    },
    APP_TIMEOUT_MS,
  );
});

describe('AI SDK 7 with @ai-sdk/otel, more', () => {
  const app: App = { major: '7', telemetry: 'otel', protocol: 'http/protobuf' };

  it(
    'keeps the content when the collector is configured to, each value capped',
    async () => {
      const collector = await startCollector({ content: { keep: true, max_chars: 60 } });
      running.push(collector);
      await runApp(collector, app);
      const stored = rows(collector);
      expect(stored.map(figures)).toEqual(SEVEN_CALLS);
      const first = stored[0]!;
      expect(first.prompt).toHaveLength(60);
      expect(first.prompt).toContain('Write a');
      expect(first.prompt!.endsWith('…')).toBe(true);
      const answer = JSON.parse(first.attributes!)['gen_ai.output.messages'] as string;
      expect(answer.length).toBeLessThanOrEqual(60);
      expect(answer).toContain('assistant');
      // The tool call's step has its tool definitions, capped too.
      const tools = JSON.parse(stored[1]!.attributes!)['gen_ai.tool.definitions'] as string;
      expect(tools).toHaveLength(60);
    },
    APP_TIMEOUT_MS,
  );

  it(
    'one span per export request: each model call is still recorded once',
    async () => {
      const collector = await startCollector();
      running.push(collector);
      await runApp(collector, { ...app, batch: 1 });
      expect(
        await metric(collector, 'costlens_ingest_requests_total{signal="traces",result="ok"}'),
      ).toBe(18);
      const stored = rows(collector);
      // The model calls, whichever of their spans ended first: one record each.
      expect(stored.map(figures).slice(0, 6)).toEqual(SEVEN_CALLS.slice(0, 6));
      expect(stored).toHaveLength(7);
      // embedMany's outer span ends before its provider call's span: when it is
      // exported first it stays the call's one record (docs/architecture.md), and
      // having no usage it is unpriced, never free.
      const many = stored[6]!;
      expect([SEVEN_CALLS[6]!.cost_pusd, null]).toContain(many.cost_pusd);
      expect(many.request_model).toBe('text-embedding-3-small');
    },
    APP_TIMEOUT_MS,
  );
});

describe('AI SDK 7 with the one import (@costlens/instrumentation/register)', () => {
  // The same app, with and without @ai-sdk/otel registered, both with the one import;
  // and with it registered and the app's own NodeSDK running the instrumentation.
  let plain: Row[];
  let both: Row[];
  let ownSdk: Row[];
  let accepted: number;
  beforeAll(async () => {
    const withoutOtel = await startCollector();
    const withOtel = await startCollector();
    const withOwnSdk = await startCollector();
    try {
      const app = { major: '7', protocol: 'http/protobuf', register: true } as const;
      await runApp(withoutOtel, { ...app, telemetry: 'none' });
      await runApp(withOtel, { ...app, telemetry: 'otel' });
      await runApp(withOwnSdk, { ...app, register: false, ownCostlens: true, telemetry: 'otel' });
      plain = rows(withoutOtel);
      both = rows(withOtel);
      ownSdk = rows(withOwnSdk);
      accepted = await metric(withOtel, 'costlens_ingest_spans_total{result="accepted"}');
    } finally {
      await withoutOtel.close();
      await withOtel.close();
      await withOwnSdk.close();
    }
  }, 150_000);
  // generateText and streamText run the provider call inside the AI SDK's `chat` span.
  const inChatSpan = (r: Row) => r.call_type === 'text' && r.input_tokens !== USAGE.object.input;

  it('generateText and streamText: the same records with @ai-sdk/otel as without, ours kept', () => {
    expect(plain.map(figures)).toEqual(SEVEN_CALLS);
    expect(both.filter(inChatSpan).map(figures)).toEqual(plain.filter(inChatSpan).map(figures));
    // Our spans' records (the AI SDK's `chat` spans would add gen_ai.client.operation.*).
    expect(both.filter(inChatSpan).map((r) => r.attributes)).toEqual(
      plain.filter(inChatSpan).map((r) => r.attributes),
    );
  });

  // The AI SDK 7 leaves its model-call span inactive around the provider call of
  // generateObject, embed and embedMany; our span is still its child (the
  // instrumentation's span processor finds it), so the collector keeps ours.
  it('all seven model calls: the same records with @ai-sdk/otel as without, ours kept', () => {
    expect(both.map(figures)).toEqual(plain.map(figures));
    expect(both.map((r) => r.attributes)).toEqual(plain.map((r) => r.attributes));
    expect(accepted).toBe(7);
  });

  it("an app's own NodeSDK with the instrumentation's span processor: the same records", () => {
    expect(ownSdk.map(figures)).toEqual(plain.map(figures));
    expect(ownSdk.map((r) => r.attributes)).toEqual(plain.map((r) => r.attributes));
  });
});

// (AI SDK 6 is installed here under the alias `ai6-openai`, a name the module hooks
// cannot know: its register case is instrumentation/test/ai-sdk-otel.test.ts.)
describe('the one import with AI SDK 7, registerTelemetry(new LegacyOpenTelemetry())', () => {
  it(
    'seven model calls are seven records, ours',
    async () => {
      const collector = await startCollector();
      running.push(collector);
      await runApp(collector, {
        major: '7',
        telemetry: 'legacy',
        protocol: 'http/json',
        register: true,
      });
      expect(rows(collector).map(figures)).toEqual(SEVEN_CALLS);
      expect(await metric(collector, 'costlens_ingest_spans_total{result="accepted"}')).toBe(7);
      // Ours: the AI SDK's spans would add their ai.* attributes to the records.
      for (const r of rows(collector)) expect(r.attributes ?? '').not.toMatch(/"ai\./);
    },
    APP_TIMEOUT_MS,
  );
});
