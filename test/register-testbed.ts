import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, vi } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../instrumentation/test/fake-openai.js';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';

// What the tests of the one import share, run as users run it:
// `node --import @costlens/instrumentation/register app`, the built package (dist/,
// built by `tsc -b`), the real openai SDK against a local OpenAI-speaking server,
// the official OTLP exporters and the real `costlens start`.

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const REGISTER = fileURLToPath(
  new URL('../instrumentation/dist/register.js', import.meta.url),
);
export const REGISTER_URL = pathToFileURL(REGISTER).href;

/** `costlens start` as its own process, and its database read beside it. */
export interface RecordingCollector {
  process: CollectorProcess;
  url: string;
  db: Database.Database;
  /** The records of one service, in call order. */
  rows(service: string): Record<string, unknown>[];
  /** The sum of the samples of `name` whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export async function startRecordingCollector(): Promise<RecordingCollector> {
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

export interface Run {
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
export function runNode(
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
export const chat = (service: string, project: string) => ({
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

/** The records of register-app's calls (two chats, one embedding) as `service` for `project`. */
export const appCalls = (service: string, project: string) => [
  chat(service, project),
  chat(service, project),
  embedding(service, project),
];

/** What register-app prints when every call succeeded. */
export const APP_OUTPUT = { chat: [1100, 1100], embedding: 3, stream: '' };

export interface RegisterBed {
  openai: FakeOpenAI;
  /** The collector this file's apps send to. */
  collector: RecordingCollector;
  /** The environment of an app that sends to the file's collector as `service` for `project`. */
  appEnv(service: string, project: string, extra?: Record<string, string>): Record<string, string>;
}

/** A fake OpenAI and a collector for this file's apps; filled in before its tests run. */
export function useRegisterTestbed(): RegisterBed {
  // Each case runs an app that loads the OpenTelemetry SDK and an AI SDK (about 1.5 s of CPU):
  // on a busy two-core machine a case takes up to 15 s.
  vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
  const bed: RegisterBed = {
    openai: undefined as unknown as FakeOpenAI,
    collector: undefined as unknown as RecordingCollector,
    appEnv: (service, project, extra = {}) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: bed.collector.url,
      OTEL_SERVICE_NAME: service,
      COSTLENS_PROJECT: project,
      FAKE_OPENAI_URL: bed.openai.baseURL,
      ...extra,
    }),
  };
  beforeAll(async () => {
    if (!existsSync(REGISTER)) {
      throw new Error(`${REGISTER} is missing: build it with \`scripts/run npx tsc -b\``);
    }
    [bed.openai, bed.collector] = await Promise.all([startFakeOpenAI(), startRecordingCollector()]);
  });
  afterAll(async () => {
    await Promise.all([bed.openai?.close(), bed.collector?.close()]);
  });
  return bed;
}

/** A server that accepts connections, reads what it is sent and never answers. */
export async function startSilentServer(): Promise<{
  url: string;
  connections(): number;
  close(): void;
}> {
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
