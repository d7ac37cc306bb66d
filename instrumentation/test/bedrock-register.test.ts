import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RunningCollector, startCollector } from '../../test/collector-harness.js';
import {
  ACCESS_KEY_ID,
  converseAnswer,
  converseStreamFrames,
  type FakeBedrock,
  invokeStreamFrames,
  SECRET_ACCESS_KEY,
  startFakeBedrock,
} from './fake-bedrock.js';

// The one import as users run it: `node --import @costlens/instrumentation/register`
// (the built package, dist/), an app that only uses @aws-sdk/client-bedrock-runtime,
// the official OTLP exporter, and a real collector storing the calls with their cost.
// dist/ is what `tsc -b` (the test command's type check) builds.

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const REGISTER = fileURLToPath(new URL('../dist/register.js', import.meta.url));
const run = promisify(execFile);

const APP = fileURLToPath(new URL('./fake-bedrock-app.mjs', import.meta.url));

let fake: FakeBedrock;
let collector: RunningCollector;
beforeAll(async () => {
  fake = await startFakeBedrock();
  collector = await startCollector();
});
afterAll(async () => {
  await fake.close();
  await collector.close();
});

interface Row {
  service: string;
  provider: string;
  operation: string;
  request_model: string;
  response_model: string | null;
  input_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  output_tokens: number | null;
  status: string;
  cost_pusd: number | null;
  attributes: string | null;
}

/** The four answers the app's calls get, in its order. */
function replyToTheApp(): void {
  fake.reply(
    {
      json: converseAnswer({
        usage: {
          inputTokens: 100,
          outputTokens: 50,
          totalTokens: 2150,
          cacheReadInputTokens: 2000,
        },
      }),
    },
    {
      frames: converseStreamFrames({
        usage: { inputTokens: 40, outputTokens: 10, totalTokens: 50 },
      }),
    },
    {
      json: { outputs: [{ text: 'Bonjour', stop_reason: 'stop' }] },
      headers: {
        'x-amzn-bedrock-input-token-count': '14',
        'x-amzn-bedrock-output-token-count': '5',
      },
    },
    {
      frames: invokeStreamFrames([
        { generation: 'Hi', prompt_token_count: 21, generation_token_count: 1, stop_reason: null },
        {
          generation: '!',
          prompt_token_count: null,
          generation_token_count: 2,
          stop_reason: 'stop',
          'amazon-bedrock-invocationMetrics': { inputTokenCount: 21, outputTokenCount: 2 },
        },
      ]),
    },
  );
}

// Preloaded, the module hooks patch the client as the app loads it; as the entry's
// first line, register runs after the app's imports are loaded and patches those.
it.each([
  ['--import register', ['--import', REGISTER, APP]],
  ['register as the first import of the entry', [APP]],
])(
  'with the one import (%s), each Bedrock operation is stored once, with its tokens and cost',
  async (form, args) => {
    replyToTheApp();
    const service = `bedrock-app-${form.startsWith('--') ? 'preloaded' : 'first-line'}`;
    const { stdout } = await run(process.execPath, args, {
      timeout: 50_000,
      env: {
        ...process.env,
        FAKE_BEDROCK_URL: fake.url,
        KEY_ID: ACCESS_KEY_ID,
        SECRET: SECRET_ACCESS_KEY,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: service,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    expect(stdout.trim()).toBe('done');
    expect(
      fake
        .calls()
        .slice(-4)
        .map((c) => c.action),
    ).toEqual(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream']);

    const rows = collector.parts.store.db
      .prepare(
        `SELECT service, provider, operation, request_model, response_model, input_tokens,
        cache_read_tokens, cache_write_tokens, output_tokens, status, cost_pusd, attributes
       FROM call_records WHERE service = ? ORDER BY started_at`,
      )
      .all(service) as Row[];
    const m = (usd: number) => usd * 1_000_000; // USD per 1M tokens -> pUSD a token
    const row = (
      model: string,
      input: number,
      output: number,
      cost: number,
      cacheRead?: number,
    ) => ({
      service,
      provider: 'aws.bedrock',
      operation: 'chat',
      request_model: model,
      response_model: null,
      input_tokens: input,
      cache_read_tokens: cacheRead ?? null,
      cache_write_tokens: null,
      output_tokens: output,
      status: 'success',
      cost_pusd: cost,
    });
    expect(rows.map(({ attributes: _, ...r }) => r)).toEqual([
      // The US profile: input 3.3, output 16.5, cache read 0.33 ($/1M).
      row(
        'us.anthropic.claude-sonnet-4-6',
        2100,
        50,
        100 * m(3.3) + 50 * m(16.5) + 2000 * m(0.33),
        2000,
      ),
      row('amazon.nova-pro-v1:0', 40, 10, 40 * m(0.8) + 10 * m(3.2)),
      row('mistral.mistral-7b-instruct-v0:2', 14, 5, 14 * m(0.15) + 5 * m(0.2)),
      row('meta.llama3-1-8b-instruct-v1:0', 21, 2, 23 * m(0.22)),
    ]);
    // The region is kept with each call; the credentials are nowhere.
    expect(rows.map((r) => JSON.parse(r.attributes ?? '{}')['cloud.region'])).toEqual(
      Array(4).fill('us-east-1'),
    );
    const stored = rows.map((r) => r.attributes ?? '').join('\n');
    for (const secret of [ACCESS_KEY_ID, SECRET_ACCESS_KEY]) expect(stored).not.toContain(secret);
  },
);
