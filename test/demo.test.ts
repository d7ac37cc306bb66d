import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from './collector-process.js';

// `costlens demo` as a user runs it: the real command, its collector, the stand-in provider
// server and the traffic app through the one import. One run goes to the end of its
// --duration; another is stopped with SIGINT (Ctrl-C) midway and keeps its data.

// Two demos at once, each loading the OpenTelemetry SDK and four AI SDKs.
vi.setConfig({ testTimeout: 50_000, hookTimeout: 50_000 });

const BIN = fileURLToPath(new URL('../collector/bin/costlens.js', import.meta.url));

interface Demo {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url: string;
}

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'demo', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Waits (bounded) until `ready` is true of the output, or fails with the output. */
async function until<T>(
  what: string,
  get: () => Promise<T | undefined> | T | undefined,
  ms = 40_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startDemo(args: string[]): Promise<Demo> {
  const port = await freePort();
  const d = run([...args, '--port', String(port)]);
  let exited = false;
  void d.exited.then(() => (exited = true));
  await until('the where-to-look lines', () => {
    if (exited) throw new Error(`the demo exited: ${d.output()}`);
    return /usage page +http:\/\/127\.0\.0\.1:\d+\//.test(d.output()) ? true : undefined;
  });
  expect(d.output()).toContain(`costlens collector listening on http://127.0.0.1:${port}`);
  return { ...d, url: `http://127.0.0.1:${port}` };
}

const json = async (url: string) => {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.json();
};

interface Call {
  project: string;
  user: string;
  provider: string;
  request_model: string;
  call_type: string;
  status: string;
  retry_count: number;
  ttft_ms: number | null;
  cost_usd: number | null;
  image_size: string | null;
  video_resolution: string | null;
  video_audio: boolean | null;
}

/** The kinds of call the demo promises, each as a test of one stored call. */
const KINDS: Record<string, (c: Call) => boolean> = {
  'OpenAI chat': (c) => c.provider === 'openai' && c.call_type === 'text' && c.ttft_ms === null,
  'OpenAI stream': (c) => c.provider === 'openai' && (c.ttft_ms ?? 0) > 0,
  'Anthropic message': (c) => c.provider === 'anthropic' && c.status === 'success',
  'Gemini stream': (c) => c.provider === 'gcp.gemini' && (c.ttft_ms ?? 0) > 0,
  'Vercel AI SDK': (c) => c.request_model === 'gpt-4.1-nano' && (c.cost_usd ?? 0) > 0,
  embeddings: (c) => c.call_type === 'embedding',
  'square image': (c) => c.call_type === 'image' && c.image_size === '1024x1024',
  'wide image': (c) => c.call_type === 'image' && c.image_size === '1536x1024',
  'video with audio': (c) => c.call_type === 'video' && c.video_audio === true,
  'video without audio': (c) => c.call_type === 'video' && c.video_audio === false,
  failure: (c) => c.status === 'error',
  retry: (c) => c.retry_count >= 1,
  unpriced: (c) => c.cost_usd === null,
};

const missingKinds = (calls: Call[]) =>
  Object.entries(KINDS)
    .filter(([, is]) => !calls.some(is))
    .map(([k]) => k);

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        // Fields after the command name, which may hold spaces: state, ppid, ...
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid ? [Number(p)] : [];
      } catch {
        return [];
      }
    });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let full: Demo;
let stopped: Demo;
const cleanup: string[] = [];

beforeAll(async () => {
  [full, stopped] = await Promise.all([
    startDemo(['--duration', '8s', '--rate', '5']),
    startDemo(['--duration', '5m', '--rate', '5', '--keep']),
  ]);
});

afterAll(() => {
  for (const d of [full, stopped]) if (d && d.child.exitCode === null) d.child.kill('SIGKILL');
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe('costlens demo --duration 8s --rate 5', () => {
  it('says where to look', () => {
    const out = full.output();
    for (const line of [
      `usage page   ${full.url}/`,
      `metrics      ${full.url}/metrics`,
      `JSON API     ${full.url}/api/v1/summary`,
      `budgets      ${full.url}/api/v1/budgets`,
      'docker compose up',
      'A sample app makes 5 AI calls a second for 8 s',
    ])
      expect(out).toContain(line);
  });

  it('fills the page and the API with every kind of call, from several projects, while it runs', async () => {
    const page = await fetch(`${full.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const calls = await until('every kind of call', async () => {
      const { calls } = (await json(`${full.url}/api/v1/calls?page_size=500`)) as { calls: Call[] };
      return missingKinds(calls).length === 0 ? calls : undefined;
    });
    expect(new Set(calls.map((c) => c.project))).toEqual(
      new Set(['support-bot', 'research', 'search', 'marketing']),
    );
    const summary = (await json(`${full.url}/api/v1/summary`)) as Record<string, number>;
    expect(summary.calls).toBeGreaterThanOrEqual(calls.length);
    expect(summary.cost_usd).toBeGreaterThan(0);
    expect(summary.video_calls).toBeGreaterThanOrEqual(3);
    // Still running: the app has not finished its 8 seconds of calls.
    expect(full.child.exitCode).toBeNull();
  });

  it('records a budget message when a budget crosses a threshold, and says so', async () => {
    const budgets = await until('a crossed threshold', async () => {
      const { budgets } = (await json(`${full.url}/api/v1/budgets`)) as {
        budgets: { name: string; alerts_sent: number[] }[];
      };
      return budgets.some((b) => b.alerts_sent.length > 0) ? budgets : undefined;
    });
    expect(budgets.map((b) => b.name).sort()).toEqual(['marketing-demo', 'support-bot-demo']);
    expect(budgets.find((b) => b.name === 'marketing-demo')!.alerts_sent).toContain(0.5);
    await until('the crossing line', () =>
      /budget marketing-demo crossed 50% of \$8\.00/.test(full.output()) ? true : undefined,
    );
  });

  it('ends by itself after its duration with a summary, and deletes its temporary database', async () => {
    const db = /database +(\S+costlens\.db) \(deleted at the end/.exec(full.output())![1]!;
    const { code } = await full.exited;
    const out = full.output();
    expect(code, out).toBe(0);
    expect(out).toMatch(/costlens demo: done after \d:\d\d\n/);
    expect(out).toMatch(/the app made 40 calls: \d+ failed on purpose, 0 unexpected errors/);
    expect(out).toMatch(/ {2}40 calls stored, \$\d+\.\d+ spent: \d+ failed, \d+ unpriced/);
    expect(out).toMatch(/ {2}budget support-bot-demo: \$\d\.\d+ of \$\d\.\d+ \(\d+%\)/);
    expect(out).toContain('now deleted; --keep keeps it');
    expect(existsSync(dirname(db))).toBe(false);
  });
});

describe('Ctrl-C (SIGINT) midway through costlens demo --keep', () => {
  it('stops the collector, the stand-in server and the app, exits 0, and keeps every call the app made', async () => {
    await until('the first calls stored', async () => {
      const s = (await json(`${stopped.url}/api/v1/summary`)) as { calls: number };
      return s.calls >= 5 ? true : undefined;
    });
    const children = childrenOf(stopped.child.pid!);
    // The stand-in provider server and the app.
    expect(children.length, stopped.output()).toBe(2);
    stopped.child.kill('SIGINT');
    const { code } = await stopped.exited;
    const out = stopped.output();
    expect(code, out).toBe(0);
    expect(out).toContain('SIGINT: stopping');
    expect(out).toMatch(/costlens demo: stopped \(SIGINT\) after \d:\d\d\n/);
    for (const pid of children) expect(alive(pid), `pid ${pid}`).toBe(false);
    await expect(fetch(`${stopped.url}/healthz`)).rejects.toThrow();

    const made = Number(
      /the app made (\d+) calls: \d+ failed on purpose, 0 unexpected/.exec(out)?.[1],
    );
    expect(made, out).toBeGreaterThanOrEqual(5);
    const db = /the data is kept in (\S+)\n {2}see it again with: costlens start --db \1\n/.exec(
      out,
    )?.[1];
    expect(db, out).toBeDefined();
    cleanup.push(dirname(db!));
    const kept = new Database(db!, { readonly: true, fileMustExist: true });
    try {
      // Every call it made was flushed to the collector before it stopped.
      const { n } = kept.prepare('SELECT count(*) AS n FROM call_records').get() as { n: number };
      expect(n).toBe(made);
    } finally {
      kept.close();
    }
  });
});

describe('costlens demo with bad input', () => {
  it.each([
    [['--duration', '0s'], '--duration must be a time from 1s to 24h'],
    [['--duration', 'soon'], '--duration must be a time from 1s to 24h'],
    [['--rate', '-1'], '--rate must be a number of calls per second'],
    [['--port', 'http'], '--port must be a port number'],
    [['--colour'], "Unknown option '--colour'"],
  ])('%j exits 2 with a sentence naming the flag', async (args, message) => {
    const d = run(args);
    const { code } = await d.exited;
    expect(code).toBe(2);
    expect(d.output()).toMatch(
      new RegExp(`^costlens: demo: .*${message.replace(/[-$()]/g, '\\$&')}.*\\.\\n$`),
    );
  });
});
