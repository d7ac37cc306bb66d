import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../instrumentation/test/fake-openai.js';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';

// An instrumented app (the real openai SDK, `--import @costlens/instrumentation/register`,
// 600 chat calls against a local OpenAI-speaking server) whose collector is healthy,
// down (the port closed), silent (it accepts and never answers), or answering 500
// or 503. Whatever the collector does, the app's calls must take what they take
// with a healthy one, return the same results, hold no more memory, and the app
// must exit within register's 5 s budget once its work is done.

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const REGISTER = fileURLToPath(new URL('../instrumentation/dist/register.js', import.meta.url));
const CALLS = 600;
const BUDGET_AND_MARGIN_MS = 6_500;

interface AppRun {
  code: number | null;
  out: {
    tokens: number;
    medianMs: number;
    p95Ms: number;
    early: { rssMB: number; heapMB: number };
    late: { rssMB: number; heapMB: number };
  };
  /** From the app's line (its work done) to its exit: what telemetry added. */
  exitMs: number;
  stderr: string;
}

function runApp(endpoint: string): Promise<AppRun> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('OTEL_') && !k.startsWith('COSTLENS_') && k !== 'NODE_OPTIONS',
    ),
  );
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', pathToFileURL(REGISTER).href, 'many-calls-app.mjs'],
    {
      cwd: FIXTURES,
      env: {
        ...clean,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: 'many-calls',
        // Exports while the calls run: spans every 200 ms, metrics every second.
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        FAKE_OPENAI_URL: openai.baseURL,
        CALLS: String(CALLS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let doneAt = 0;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.includes('\n')) doneAt ||= performance.now();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      const exitMs = performance.now() - doneAt;
      try {
        resolve({ code, out: JSON.parse(stdout), exitMs, stderr });
      } catch {
        throw new Error(`the app printed no result (exit ${code}): ${stdout} ${stderr}`);
      }
    }),
  );
}

type Close = () => void;
/** Accepts connections, reads what it is sent, never answers. */
async function silentServer(): Promise<[string, Close]> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {}).on('close', () => sockets.delete(s));
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return [
    url,
    () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  ];
}

/** Answers every request with `status` (503 with Retry-After: 1, as a busy collector does). */
async function failingServer(status: number): Promise<[string, Close]> {
  const server = createHttpServer((req, res) => {
    req.resume();
    if (status === 503) res.setHeader('Retry-After', '1');
    res.statusCode = status;
    res.end('{"code":14,"message":"busy"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return [url, () => server.close()];
}

let openai: FakeOpenAI;
let collector: CollectorProcess;
let healthy: AppRun;
beforeAll(async () => {
  if (!existsSync(REGISTER)) {
    throw new Error(`${REGISTER} is missing: build it with \`scripts/run npx tsc -b\``);
  }
  openai = await startFakeOpenAI();
  const port = await freePort();
  const db = join(mkdtempSync(join(tmpdir(), 'costlens-down-')), 'c.db');
  collector = await spawnCollector(['--port', String(port), '--db', db]);
  healthy = await runApp(`http://127.0.0.1:${port}`);
}, 60_000);
afterAll(async () => {
  collector?.child.kill('SIGKILL');
  await openai?.close();
});

const MODES: [string, () => Promise<[string, Close]>][] = [
  [
    'down (port closed)',
    async (): Promise<[string, Close]> => [`http://127.0.0.1:${await freePort()}`, () => {}],
  ],
  ['slow to answer (accepts, never answers)', silentServer],
  ['answering 500', () => failingServer(500)],
  ['answering 503 with Retry-After', () => failingServer(503)],
];

describe('an instrumented app whose collector misbehaves', () => {
  it.for(MODES)(
    'collector %s: same results, latency and memory as with a healthy one, exits within the budget',
    { timeout: 45_000 },
    async ([name, start]) => {
      const [endpoint, close] = await start();
      let run: AppRun;
      try {
        run = await runApp(endpoint);
      } finally {
        close();
      }
      const h = healthy.out;
      const o = run.out;
      console.log(
        `collector ${name}: median call ${o.medianMs.toFixed(2)} ms (healthy ${h.medianMs.toFixed(2)}), p95 ${o.p95Ms.toFixed(2)} (${h.p95Ms.toFixed(2)});`,
        `heap after GC ${o.early.heapMB.toFixed(1)} -> ${o.late.heapMB.toFixed(1)} MB (healthy ${h.late.heapMB.toFixed(1)}), RSS ${o.late.rssMB.toFixed(0)} MB (${h.late.rssMB.toFixed(0)});`,
        `exit ${Math.round(run.exitMs)} ms after the work (healthy ${Math.round(healthy.exitMs)})`,
      );
      expect(healthy.code).toBe(0);
      expect(run.code, run.stderr).toBe(0);
      expect(o.tokens).toBe(h.tokens);
      expect(o.tokens).toBe(CALLS * 1_100);
      // Generous: the machine is shared, but a call waiting on telemetry would take 10x.
      expect(o.medianMs).toBeLessThan(h.medianMs * 3 + 2);
      // Spans the collector cannot take are dropped past the exporter's queue, not kept.
      expect(o.late.heapMB).toBeLessThan(o.early.heapMB + 16);
      expect(o.late.heapMB).toBeLessThan(h.late.heapMB + 16);
      expect(o.late.rssMB).toBeLessThan(h.late.rssMB + 64);
      expect(run.exitMs).toBeLessThan(BUDGET_AND_MARGIN_MS);
      // It says, once, that the collector got nothing.
      expect(run.stderr).toMatch(/^costlens: .*not delivered to/m);
    },
  );
});
