import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../instrumentation/test/fake-openai.js';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';

// The one import as users run it: `node --import @costlens/instrumentation/register app`,
// the built package (dist/, built by `tsc -b`), the real openai SDK against a local
// OpenAI-speaking server, the official OTLP exporters and the real `costlens start`.

// Each case runs an app that loads the OpenTelemetry SDK and an AI SDK (about 1.5 s of CPU):
// on a busy two-core machine a case takes up to 15 s.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/all-providers/', import.meta.url));
const REGISTER = fileURLToPath(new URL('../instrumentation/dist/register.js', import.meta.url));
const REGISTER_URL = pathToFileURL(REGISTER).href;

interface Collector {
  process: CollectorProcess;
  url: string;
  db: Database.Database;
  /** The records of one service, in call order. */
  rows(service: string): Record<string, unknown>[];
  /** The sum of the samples of `name` whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'costlens-register-')), 'costlens.db');
  const port = await freePort();
  const child = await spawnCollector(['--port', String(port), '--db', dbPath]);
  const url = `http://127.0.0.1:${port}`;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const select = db.prepare(
    `SELECT service, project, provider, operation, call_type, request_model, response_model,
            input_tokens, output_tokens, cache_read_tokens, status, cost_pusd, ttft_ms
     FROM call_records WHERE service = ? ORDER BY started_at, operation`,
  );
  return {
    process: child,
    url,
    db,
    rows: (service) => select.all(service) as Record<string, unknown>[],
    async metric(name, labels = {}) {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const has = Object.entries(labels).every(([k, v]) => m[2]?.includes(`${k}="${v}"`));
        if (has) sum += Number(m[3]);
      }
      return sum;
    },
    async close() {
      db.close();
      child.child.kill('SIGTERM');
      await child.exited();
    },
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
  /** From the app's first output (it prints when its work is done) to exit: the flush. */
  msAfterOutput?: number;
  /** From the signal (when one was sent) to exit. */
  msAfterSignal?: number;
}

/**
 * Runs `node ARGS` in the fixtures folder (or `cwd`) with a clean OTEL_* / COSTLENS_*
 * environment plus `env`. With `signal`, sends it once the app prints "waiting".
 */
function runNode(
  args: string[],
  env: Record<string, string>,
  opts: { signal?: NodeJS.Signals; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('OTEL_') && !k.startsWith('COSTLENS_') && k !== 'NODE_OPTIONS',
    ),
  );
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? FIXTURES,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalledAt: number | undefined;
  let outputAt: number | undefined;
  child.stdout.on('data', (d) => {
    outputAt ??= Date.now();
    stdout += d;
    if (opts.signal && signalledAt === undefined && stdout.includes('waiting')) {
      signalledAt = Date.now();
      child.kill(opts.signal);
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 45_000);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const now = Date.now();
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: now - started,
        msAfterOutput: outputAt === undefined ? undefined : now - outputAt,
        msAfterSignal: signalledAt === undefined ? undefined : now - signalledAt,
      });
    }),
  );
}

/** The record of one chat call as the fake server answers it, priced from the catalogue. */
const chat = (service: string, project: string) => ({
  service,
  project,
  provider: 'openai',
  operation: 'chat',
  call_type: 'text',
  request_model: 'gpt-4o-mini',
  response_model: 'gpt-4o-mini-2024-07-18',
  input_tokens: 1000,
  output_tokens: 100,
  cache_read_tokens: 200,
  status: 'success',
  // 800 input at $0.15/M + 200 cache reads at $0.075/M + 100 output at $0.60/M = $0.000195
  cost_pusd: 195_000_000,
  ttft_ms: null,
});

const embedding = (service: string, project: string) => ({
  service,
  project,
  provider: 'openai',
  operation: 'embeddings',
  call_type: 'embedding',
  request_model: 'text-embedding-3-small',
  response_model: 'text-embedding-3-small',
  input_tokens: 8,
  output_tokens: null,
  cache_read_tokens: null,
  status: 'success',
  cost_pusd: 160_000, // 8 tokens at $0.02/M
  ttft_ms: null,
});

/** What register-app prints when every call succeeded. */
const APP_OUTPUT = { chat: [1100, 1100], embedding: 3, stream: '' };

let openai: FakeOpenAI;
let collector: Collector;

beforeAll(async () => {
  if (!existsSync(REGISTER)) {
    throw new Error(`${REGISTER} is missing: build it with \`scripts/run npx tsc -b\``);
  }
  [openai, collector] = await Promise.all([startFakeOpenAI(), startCollector()]);
});

afterAll(async () => {
  await Promise.all([openai?.close(), collector?.close()]);
});

/** The environment of an app that sends to the shared collector as `service` for `project`. */
const appEnv = (service: string, project: string, extra: Record<string, string> = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
  OTEL_SERVICE_NAME: service,
  COSTLENS_PROJECT: project,
  FAKE_OPENAI_URL: openai.baseURL,
  ...extra,
});

describe.concurrent('node --import @costlens/instrumentation/register', () => {
  it.for([
    ['an ES module app', 'esm-import', 'register-app.mjs'],
    ['a CommonJS app', 'cjs-import', 'register-app.cjs'],
  ])(
    'records every call of %s, once, priced and attributed',
    async ([, service, app], { expect }) => {
      const project = `${service}-project`;
      const run = await runNode(['--import', REGISTER_URL, app!], appEnv(service!, project));
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
      expect(collector.rows(service!)).toEqual([
        chat(service!, project),
        chat(service!, project),
        embedding(service!, project),
      ]);
      const labels = { provider: 'openai', project, status: 'success' };
      expect(await collector.metric('costlens_calls_total', { ...labels, call_type: 'text' })).toBe(
        2,
      );
      expect(
        await collector.metric('costlens_calls_total', { ...labels, call_type: 'embedding' }),
      ).toBe(1);
      expect(await collector.metric('costlens_cost_usd_total', { project })).toBeCloseTo(
        2 * 0.000195 + 0.00000016,
        12,
      );
      expect(
        await collector.metric('costlens_tokens_total', { project, token_type: 'input' }),
      ).toBe(2 * 1000 + 8);
    },
  );

  it('records a streamed chat with its usage, which the app did not ask for and does not see', async ({
    expect,
  }) => {
    const service = 'esm-stream';
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      appEnv(service, 'streams', { APP_STREAM: '1' }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ...APP_OUTPUT, stream: 'Hello' });
    const rows = collector.rows(service);
    expect(rows).toHaveLength(4);
    const streamed = rows[3]!;
    expect(streamed.ttft_ms).toBeGreaterThan(0);
    expect({ ...streamed, ttft_ms: null }).toEqual(chat(service, 'streams'));
  });
});

describe('malformed settings', () => {
  it('an app started with malformed COSTLENS_* and OTEL_* variables runs and exits 0, recorded with the defaults, and diag says so', async ({
    expect,
  }) => {
    const service = 'malformed-env';
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      appEnv(service, 'malformed', {
        COSTLENS_MAX_CONTENT_CHARS: 'abc',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'yes',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: 'half',
        OTEL_LOG_LEVEL: 'warn',
      }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
    const said = run.stderr.split('\n').filter((line) => line.startsWith('costlens:'));
    expect(said).toEqual([
      'costlens: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is "yes", not true or false; using the default, false',
      'costlens: COSTLENS_MAX_CONTENT_CHARS is "abc", not a whole number above 0; using the default, 1000',
      'costlens: OTEL_TRACES_SAMPLER_ARG is "half", not a number from 0 to 1; using the default, 1',
    ]);
    expect(collector.rows(service)).toEqual([
      chat(service, 'malformed'),
      chat(service, 'malformed'),
      embedding(service, 'malformed'),
    ]);
  });
});

describe('an app with its own NodeSDK', () => {
  it('adds CostlensInstrumentation and gets the same records, its sampler kept for the rest', async ({
    expect,
  }) => {
    const service = 'own-sdk';
    const run = await runNode(['own-sdk-app.cjs'], appEnv(service, 'ignored-env-project'));
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout.trim() }).toEqual({
      code: 0,
      stderr: '',
      stdout: 'done',
    });
    // The project given to the constructor wins over COSTLENS_PROJECT.
    expect(collector.rows(service)).toEqual([
      chat(service, 'own-sdk-project'),
      chat(service, 'own-sdk-project'),
    ]);
  });
});

describe.concurrent('the one import as the first line of the entry file', () => {
  it.for([
    ['an ES module entry', 'esm-first', 'register-first.mjs'],
    ['a CommonJS entry', 'cjs-first', 'register-first.cjs'],
  ])('records every call of %s', async ([, service, entry], { expect }) => {
    const run = await runNode([entry!], appEnv(service!, 'first-line'));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(collector.rows(service!)).toEqual([
      chat(service!, 'first-line'),
      chat(service!, 'first-line'),
      embedding(service!, 'first-line'),
    ]);
  });

  it('starts once when imported three times (twice as one module, once as a second copy)', async ({
    expect,
  }) => {
    const service = 'imported-thrice';
    const run = await runNode(
      ['--import', REGISTER_URL, '--import', `${REGISTER_URL}?copy=2`, 'register-first.mjs'],
      appEnv(service, 'idempotent'),
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(collector.rows(service)).toEqual([
      chat(service, 'idempotent'),
      chat(service, 'idempotent'),
      embedding(service, 'idempotent'),
    ]);
  });
});

describe.concurrent('flushing at the end', () => {
  // A 60 s batch delay: spans that arrive were flushed when the app ended, not by the timer.
  const LATE = { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_METRIC_EXPORT_INTERVAL: '60000' };

  it('an app that simply runs out of work exits by itself, its spans sent', async ({ expect }) => {
    const service = 'runs-out';
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      appEnv(service, 'flush', LATE),
    );
    expect(run.code).toBe(0);
    expect(run.msAfterOutput).toBeLessThan(5_000);
    expect(collector.rows(service)).toHaveLength(3);
  });

  it.for(['SIGTERM', 'SIGINT'] as const)(
    'a running app sent %s flushes, then ends as the signal would have',
    async (signal, { expect }) => {
      const service = `signalled-${signal}`;
      const run = await runNode(
        ['--import', REGISTER_URL, 'register-app.mjs'],
        appEnv(service, 'flush', { ...LATE, APP_WAIT: '1' }),
        { signal },
      );
      expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({
        code: null,
        signal,
        stderr: '',
      });
      expect(run.msAfterSignal).toBeLessThan(5_000);
      expect(collector.rows(service)).toHaveLength(3);
    },
  );
});

describe.concurrent('a collector that is down', () => {
  // register's shutdown budget: from the moment the app would end, telemetry gets 5 s.
  // The margin covers a busy machine; the bug this guards against took 12 to 15 s, or
  // never ended while metric exports kept failing.
  const BUDGET_AND_MARGIN = 6_500;
  // Exports in flight when the app ends: each span is sent 100 ms after it ends and the
  // metrics every second, while the app still has calls to make.
  const IN_FLIGHT = {
    APP_PAUSE_MS: '300',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
  /** The one line register says of what it could not send: the 3 spans of register-app. */
  const notDelivered = (endpoint: string, reason: string) =>
    new RegExp(
      `^costlens: 3 spans and \\d+ metric points not delivered to ${endpoint.replaceAll('.', '\\.')} \\(${reason}\\); is the collector running\\?$`,
    );
  const lines = (stderr: string) => stderr.split('\n').filter((line) => line !== '');

  it.for([
    ['nothing is being sent', {}],
    ['exports are in flight', IN_FLIGHT],
  ] as const)(
    'refusing connections: the calls succeed, the app exits 0 within the budget and says what was not delivered (%s)',
    async ([, extra], { expect }) => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const run = await runNode(
        ['--import', REGISTER_URL, 'register-app.mjs'],
        { ...appEnv('unreachable', 'nowhere', extra), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
        { timeoutMs: 30_000 },
      );
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
      expect(run.msAfterOutput).toBeLessThan(BUDGET_AND_MARGIN);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(notDelivered(endpoint, 'connect ECONNREFUSED')),
      ]);
    },
  );

  it('accepting connections and never answering: the app exits 0 within the budget and says so', async ({
    expect,
  }) => {
    const silent = await startSilentServer();
    try {
      const run = await runNode(
        ['--import', REGISTER_URL, 'register-app.mjs'],
        { ...appEnv('unanswered', 'nowhere', IN_FLIGHT), OTEL_EXPORTER_OTLP_ENDPOINT: silent.url },
        { timeoutMs: 30_000 },
      );
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
      expect(run.msAfterOutput).toBeLessThan(BUDGET_AND_MARGIN);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(notDelivered(silent.url, 'no answer')),
      ]);
      expect(silent.connections()).toBeGreaterThan(0);
    } finally {
      silent.close();
    }
  });

  it('sent SIGTERM while exports are in flight, the app ends as the signal would within the budget', async ({
    expect,
  }) => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      {
        ...appEnv('signalled-down', 'nowhere', { ...IN_FLIGHT, APP_WAIT: '1' }),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      },
      { signal: 'SIGTERM', timeoutMs: 30_000 },
    );
    expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(run.msAfterSignal).toBeLessThan(BUDGET_AND_MARGIN);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(notDelivered(endpoint, 'connect ECONNREFUSED')),
    ]);
  });
});

/** A server that accepts connections, reads what it is sent and never answers. */
async function startSilentServer(): Promise<{ url: string; connections(): number; close(): void }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('OTEL_TRACES_SAMPLER', () => {
  let own: Collector;
  beforeAll(async () => {
    own = await startCollector();
  });
  afterAll(async () => {
    await own?.close();
  });

  it('always_off still sends every AI span, and drops the rest', async ({ expect }) => {
    const run = async (sampler: string) =>
      runNode(['--import', REGISTER_URL, 'register-app.mjs'], {
        ...appEnv(`sampled-${sampler}`, 'sampling', { APP_PLAIN_SPAN: '1' }),
        OTEL_EXPORTER_OTLP_ENDPOINT: own.url,
        OTEL_TRACES_SAMPLER: sampler,
      });
    expect((await run('always_off')).code).toBe(0);
    expect(own.rows('sampled-always_off')).toHaveLength(3);
    expect(await own.metric('costlens_ingest_spans_total', { result: 'not_genai' })).toBe(0);
    // The same app sampled as usual: its plain span does reach the collector.
    expect((await run('always_on')).code).toBe(0);
    expect(own.rows('sampled-always_on')).toHaveLength(3);
    expect(await own.metric('costlens_ingest_spans_total', { result: 'not_genai' })).toBe(1);
  });
});

describe('examples/all-providers', () => {
  it('in --fake mode sends the calls of all three SDKs, the Vercel AI SDK and track(), attributed', async ({
    expect,
  }) => {
    const run = await runNode(
      ['--import', '@costlens/instrumentation/register', 'app.mjs', '--fake'],
      { OTEL_SERVICE_NAME: 'demo', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
      { cwd: EXAMPLE },
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout.split('\n').map((line) => line.split(' ')[0])).toEqual([
      'openai',
      'openai',
      'anthropic',
      'google',
      'vercel-ai',
      'cloudflare',
      '',
    ]);
    const rows = collector.db
      .prepare(
        `SELECT project, user, provider, request_model, input_tokens, output_tokens, status, cost_pusd
         FROM call_records WHERE service = 'demo' ORDER BY started_at`,
      )
      .all();
    const alice = { project: 'support-bot', user: 'alice', status: 'success' };
    const bob = { project: 'research', user: 'bob', status: 'success' };
    expect(rows).toEqual([
      // 1000 in at $0.15/M + 100 out at $0.60/M, plain then streamed
      ...[1, 2].map(() => ({
        ...alice,
        provider: 'openai',
        request_model: 'gpt-4o-mini',
        input_tokens: 1000,
        output_tokens: 100,
        cost_pusd: 210_000_000,
      })),
      {
        ...alice,
        provider: 'anthropic',
        request_model: 'claude-haiku-4-5',
        input_tokens: 1000,
        output_tokens: 200,
        cost_pusd: 2_000_000_000, // $1/M in, $5/M out
      },
      {
        ...bob,
        provider: 'gcp.gemini',
        request_model: 'gemini-2.5-flash',
        input_tokens: 1000,
        output_tokens: 200,
        cost_pusd: 800_000_000, // $0.30/M in, $2.50/M out
      },
      {
        // The Vercel AI SDK through @ai-sdk/openai: priced as OpenAI's model.
        ...bob,
        provider: 'openai',
        request_model: 'gpt-4o-mini',
        input_tokens: 1000,
        output_tokens: 100,
        cost_pusd: 210_000_000,
      },
      {
        ...bob,
        provider: 'cloudflare',
        request_model: '@cf/meta/llama-3.1-8b-instruct',
        input_tokens: 1000,
        output_tokens: 100,
        cost_pusd: 364_349_700, // $0.281688/M in, $0.826617/M out
      },
    ]);
  });
});
