import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { freePort } from './collector-process.js';
import { node, type Proc } from './compose-files.js';

// The demo stack of docker-compose.yml, as processes on loopback: the fake provider server
// (examples/traffic/fake-server.mjs, the `fake-providers` service), the real `costlens start`
// with the stack's config file and its keys from the environment (the `collector` service),
// and the traffic app through the one import, sending its ingest key as an OTLP header (the
// `demo` service). Then: every kind of call the app says it makes is stored, priced, for
// several projects, and /metrics and the budgets show it.

// The app loads the OpenTelemetry SDK and three AI SDKs: a few seconds of CPU on a busy machine.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const INGEST_KEY = 'ingest-7f3a9c2e5b8d41f6a0c3';
const READ_KEY = 'read-2b6e8f1a4c7d903e5f1b';

let fake: Proc;
let collector: Proc;
let db: Database.Database;
let fakeUrl: string;
let collectorUrl: string;
let traffic: { code: number | null; output: string };

const read = (path: string) =>
  fetch(`${collectorUrl}${path}`, { headers: { authorization: `Bearer ${READ_KEY}` } });

beforeAll(async () => {
  const fakePort = await freePort();
  fake = await node(
    ['examples/traffic/fake-server.mjs'],
    { FAKE_PROVIDERS_HOST: '127.0.0.1', FAKE_PROVIDERS_PORT: String(fakePort) },
    'listening on',
  );
  fakeUrl = `http://127.0.0.1:${fakePort}`;
  const port = await freePort();
  const dbPath = join(mkdtempSync(join(tmpdir(), 'costlens-traffic-')), 'costlens.db');
  collector = await node(
    ['collector/bin/costlens.js', 'start', '--config', 'examples/traffic/costlens.yaml'],
    {
      COSTLENS_PORT: String(port),
      COSTLENS_DB: dbPath,
      COSTLENS_INGEST_KEYS: INGEST_KEY,
      COSTLENS_READ_KEYS: READ_KEY,
    },
    'listening on',
  );
  collectorUrl = `http://127.0.0.1:${port}`;
  db = new Database(dbPath, { readonly: true, fileMustExist: true });

  const app = await node(
    ['--import', '@costlens/instrumentation/register', 'examples/traffic/app.mjs'],
    {
      TRAFFIC_CALLS_PER_SECOND: '15',
      TRAFFIC_DURATION_SECONDS: '3',
      FAKE_PROVIDERS_URL: fakeUrl,
      OTEL_SERVICE_NAME: 'demo',
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${INGEST_KEY}`,
    },
  );
  traffic = { code: await app.exited, output: app.output() };
});

afterAll(async () => {
  db?.close();
  for (const p of [collector, fake]) {
    if (p && p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
});

interface Row {
  project: string;
  user: string;
  provider: string;
  request_model: string;
  call_type: string;
  status: string;
  error_type: string | null;
  retry_count: number;
  ttft_ms: number | null;
  cache_read_tokens: number | null;
  image_count: number | null;
  image_size: string | null;
  video_seconds: number | null;
  video_resolution: string | null;
  video_audio: number | null;
  cost_usd: number | null;
  unpriced_reason: string | null;
}

const rows = () =>
  db
    .prepare(
      `SELECT project, user, provider, request_model, call_type, status, error_type, retry_count,
              ttft_ms, cache_read_tokens, image_count, image_size, video_seconds, video_resolution,
              video_audio, cost_usd, unpriced_reason
       FROM call_records WHERE service = 'demo'`,
    )
    .all() as Row[];

/** What each kind of call in examples/traffic/app.mjs leaves in the collector. */
const KINDS: Record<string, (r: Row) => boolean> = {
  openaiChat: (r) =>
    r.request_model === 'gpt-4o-mini' && r.status === 'success' && r.ttft_ms === null,
  openaiChatStream: (r) => r.request_model === 'gpt-4o-mini' && (r.ttft_ms ?? 0) > 0,
  openaiChatRetried: (r) => r.request_model === 'gpt-4o-mini' && r.retry_count >= 1,
  openaiChatUnpriced: (r) =>
    r.request_model === 'acme-support-llm' && r.cost_usd === null && !!r.unpriced_reason,
  openaiChatFails: (r) =>
    r.request_model === 'gpt-4o-mini' && r.status === 'error' && r.error_type === 'BadRequestError',
  anthropicMessage: (r) => r.request_model === 'claude-haiku-4-5' && r.status === 'success',
  anthropicCacheRead: (r) =>
    r.request_model === 'claude-sonnet-4-6' &&
    r.status === 'success' &&
    (r.cache_read_tokens ?? 0) > 0,
  anthropicMessageFails: (r) => r.request_model === 'claude-sonnet-4-6' && r.status === 'error',
  geminiGenerate: (r) =>
    r.request_model === 'gemini-2.5-flash' && r.project === 'research' && r.status === 'success',
  geminiStream: (r) => r.request_model === 'gemini-2.5-flash' && (r.ttft_ms ?? 0) > 0,
  geminiGenerateFails: (r) => r.request_model === 'gemini-2.5-flash' && r.status === 'error',
  openaiChatCached: (r) => r.request_model === 'gpt-4.1-mini' && (r.cache_read_tokens ?? 0) > 0,
  openaiEmbeddings: (r) =>
    r.request_model === 'text-embedding-3-small' && r.call_type === 'embedding',
  openaiImage: (r) =>
    r.request_model === 'gpt-image-1' && r.call_type === 'image' && r.image_count === 1,
  openaiImageWide: (r) =>
    r.request_model === 'gpt-image-1' && r.image_size === '1536x1024' && (r.cost_usd ?? 0) > 0,
  aiSdkText: (r) =>
    r.request_model === 'gpt-4.1-nano' && r.user === 'grace' && (r.cost_usd ?? 0) > 0,
  aiSdkStream: (r) => r.request_model === 'gpt-4o-mini' && r.user === 'bob' && (r.ttft_ms ?? 0) > 0,
  geminiImage: (r) =>
    r.request_model === 'gemini-2.5-flash-image' && r.call_type === 'image' && r.image_count === 1,
  veoVideo: (r) =>
    r.provider === 'gcp.vertex_ai' &&
    r.call_type === 'video' &&
    r.video_seconds === 8 &&
    r.video_resolution === '1080p' &&
    r.video_audio === 1 &&
    (r.cost_usd ?? 0) > 0,
  veoVideoSilent: (r) =>
    r.provider === 'gcp.vertex_ai' &&
    r.video_seconds === 4 &&
    r.video_resolution === '720p' &&
    r.video_audio === 0 &&
    (r.cost_usd ?? 0) > 0,
  openaiVideo: (r) =>
    r.request_model === 'sora-2' && r.call_type === 'video' && r.video_seconds === 4,
};

describe('examples/traffic against the collector, as docker compose runs them', () => {
  it('runs for its duration at its rate and reports no unexpected error', ({ expect }) => {
    expect(traffic.code, traffic.output).toBe(0);
    const m = /demo traffic: (\d+) calls, (\d+) failed on purpose, 0 unexpected errors/.exec(
      traffic.output,
    );
    expect(m, traffic.output).not.toBeNull();
    // 15 calls a second for 3 seconds
    expect(Number(m![1])).toBe(45);
    expect(rows().length).toBe(45);
  });

  it('stores every kind of call the app makes, for several projects and users', ({ expect }) => {
    const stored = rows();
    const missing = Object.entries(KINDS)
      .filter(([, is]) => !stored.some(is))
      .map(([kind]) => kind);
    expect(missing).toEqual([]);
    expect(new Set(stored.map((r) => r.project))).toEqual(
      new Set(['support-bot', 'research', 'search', 'marketing']),
    );
    expect(new Set(stored.map((r) => r.user)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(stored.map((r) => r.provider))).toEqual(
      new Set(['openai', 'anthropic', 'gcp.gemini', 'gcp.vertex_ai']),
    );
    // Priced from the catalogue: every success but the unknown model costs something,
    // a failure is not billed, the unknown model is unpriced (null), never $0.
    for (const r of stored) {
      if (r.request_model === 'acme-support-llm') expect(r.cost_usd).toBeNull();
      else if (r.status === 'error') expect(r.cost_usd, JSON.stringify(r)).toBe(0);
      else expect(r.cost_usd, JSON.stringify(r)).toBeGreaterThan(0);
    }
  });

  it('shows the calls on /metrics (read key) and in the budgets of the stack config', async ({
    expect,
  }) => {
    expect((await fetch(`${collectorUrl}/metrics`)).status).toBe(401);
    const text = await (await read('/metrics')).text();
    for (const series of [
      /^costlens_calls_total\{[^}]*project="marketing"[^}]*call_type="video"/m,
      /^costlens_calls_total\{[^}]*status="error"/m,
      /^costlens_images_total\{[^}]*provider="gcp\.gemini"/m,
      /^costlens_video_seconds_total\{[^}]*model="sora-2"/m,
      /^costlens_video_seconds_total\{[^}]*resolution="1080p",audio="true"\} [1-9]\d*$/m,
      /^costlens_tokens_total\{[^}]*token_type="cache_read"/m,
      /^costlens_unpriced_calls_total\{[^}]*model="acme-support-llm"/m,
      /^costlens_retries_total\{[^}]*model="gpt-4o-mini[^"]*"[^}]*\} [1-9]/m,
      /^costlens_time_to_first_chunk_seconds_count\{[^}]*provider="gcp\.gemini"/m,
    ]) {
      expect(text).toMatch(series);
    }
    const budgets = (await (await read('/api/v1/budgets')).json()) as {
      budgets: { name: string; spent_usd: number }[];
    };
    const spent = Object.fromEntries(budgets.budgets.map((b) => [b.name, b.spent_usd]));
    expect(Object.keys(spent).sort()).toEqual([
      'all-monthly',
      'marketing-daily',
      'support-bot-daily',
    ]);
    for (const name of Object.keys(spent)) expect(spent[name]).toBeGreaterThan(0);
  });

  it('serves /healthz for the compose health check', async ({ expect }) => {
    const res = await fetch(`${fakeUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('examples/traffic/alert-receiver.mjs (the stack alert-receiver)', () => {
  it('prints one line per alert of an Alertmanager webhook message and refuses what is not one', async ({
    expect,
  }) => {
    const port = await freePort();
    const receiver = await node(
      ['examples/traffic/alert-receiver.mjs'],
      { ALERT_RECEIVER_PORT: String(port) },
      'listening on',
    );
    try {
      // The shape Alertmanager's webhook_configs POST (version 4).
      const message = {
        version: '4',
        status: 'firing',
        receiver: 'costlens-pages',
        groupLabels: { alertname: 'CostlensBudgetSpent' },
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'CostlensBudgetSpent',
              severity: 'page',
              budget: 'marketing-daily',
            },
            annotations: { summary: 'Budget marketing-daily is spent: $512.40 of $500' },
            startsAt: '2026-12-02T10:00:00Z',
          },
        ],
      };
      const url = `http://127.0.0.1:${port}/costlens/page`;
      const ok = await fetch(url, { method: 'POST', body: JSON.stringify(message) });
      expect(ok.status).toBe(200);
      const bad = await fetch(url, { method: 'POST', body: 'not json' });
      expect(bad.status).toBe(400);
      expect(receiver.output()).toContain(
        '/costlens/page firing: CostlensBudgetSpent (page) Budget marketing-daily is spent: $512.40 of $500',
      );
    } finally {
      receiver.child.kill('SIGTERM');
      await receiver.exited;
    }
  });
});
