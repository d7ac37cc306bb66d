import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../collector/src/index.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// Budgets against a running collector over HTTP: calls sent as OTLP/JSON exports
// with known costs, a real webhook receiver, and the budgets' clock set to a
// known instant (it still moves with real time, so retries come due).

type BudgetConfig = Config['budgets'][number];

const HOUR = 3_600_000;
const MINUTE = 60_000;
const NOON = Date.UTC(2026, 11, 2, 12);

/** A clock that reads `base` now and moves on with real time. */
const clockAt = (base: number) => {
  const started = Date.now();
  return () => base + (Date.now() - started);
};

type Json = Record<string, unknown>;
let seq = 0;

/** One GenAI span whose cost the instrumentation already gave (`costlens.cost.usd`). */
function costSpan(at: number, usd: number, attrs: Record<string, string> = {}): Json {
  seq++;
  const all: Record<string, Json> = {
    'gen_ai.operation.name': { stringValue: 'chat' },
    'gen_ai.provider.name': { stringValue: 'openai' },
    'gen_ai.request.model': { stringValue: 'gpt-4o' },
    'costlens.cost.usd': { doubleValue: usd },
  };
  for (const [k, v] of Object.entries(attrs)) all[k] = { stringValue: v };
  return {
    traceId: seq.toString(16).padStart(32, 'b'),
    spanId: seq.toString(16).padStart(16, 'c'),
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: String(BigInt(at) * 1_000_000n),
    endTimeUnixNano: String(BigInt(at + 900) * 1_000_000n),
    attributes: Object.entries(all).map(([key, value]) => ({ key, value })),
  };
}

const alpha = (at: number, usd: number) => costSpan(at, usd, { 'costlens.project': 'alpha' });

const exportOf = (spans: Json[]) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'budgets' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  });

async function send(c: RunningCollector, body: string): Promise<Json> {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

/** A webhook receiver: `answer(n)` is the status for the n-th request (1-based). */
interface Receiver {
  url: string;
  port: number;
  /** Every request's status and JSON body, in arrival order. */
  hits: { status: number; body: Json }[];
  /** The bodies answered 2xx. */
  delivered(): Json[];
  close(): Promise<void>;
}

const servers: Server[] = [];
async function receiver(
  answer: (n: number) => number | 'hang' = () => 200,
  port = 0,
): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(hits.length + 1);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      // A receiver that never answers is recorded as 0.
      hits.push({ status: status === 'hang' ? 0 : status, body });
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks/costlens`,
    port: bound,
    hits,
    delivered: () => hits.filter((h) => h.status >= 200 && h.status < 300).map((h) => h.body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (for now). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function budget(over: Partial<BudgetConfig> & { name: string }): BudgetConfig {
  return {
    scope: {},
    period: 'day',
    timezone: 'UTC',
    limit_usd: 50,
    alert_at: [0.8, 1],
    notify: [],
    ...over,
  };
}

const running: RunningCollector[] = [];
async function collector(
  budgets: BudgetConfig[],
  now: () => number,
  db?: string,
  attemptTimeoutMs = 2_000,
) {
  const c = await startCollector(db === undefined ? { budgets } : { budgets, db }, {
    budgets: { now, minIntervalMs: 20, retryBaseMs: 100, attemptTimeoutMs },
  });
  running.push(c);
  return c;
}
afterEach(async () => {
  for (const c of running.splice(0)) await c.close();
  for (const s of servers.splice(0)) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function waitFor(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
/** Long enough for an evaluation (20 ms apart here) and a delivery pass to have run. */
const settle = () => new Promise((r) => setTimeout(r, 400));

/** The budget gauges in /metrics, by budget. */
async function gauges(c: RunningCollector): Promise<Record<string, Record<string, number>>> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const out: Record<string, Record<string, number>> = {};
  for (const m of text.matchAll(/^costlens_budget_(\w+)_usd\{budget="([^"]+)"\} (\S+)$/gm)) {
    out[m[2]!] ??= {};
    out[m[2]!]![m[1]!] = Number(m[3]);
  }
  return out;
}

const messages = (c: RunningCollector) =>
  c.parts.store.db
    .prepare(
      'SELECT budget, kind, attempts, delivered_at IS NOT NULL AS delivered, last_error FROM budget_messages ORDER BY budget, kind',
    )
    .all();

describe('budgets: spend, forecast and gauges', () => {
  it('status() and /metrics show the exact spend of the budget scope in the period, and the forecast', async () => {
    const c = await collector(
      [budget({ name: 'alpha-daily', scope: { project: 'alpha' }, alert_at: [0.5, 0.8, 1] })],
      () => NOON,
    );
    await send(
      c,
      exportOf([
        alpha(NOON - 2 * HOUR, 10.25),
        alpha(NOON - HOUR, 9.75),
        costSpan(NOON - 30 * MINUTE, 100, { 'costlens.project': 'beta' }),
        // Yesterday: not spent in this period, but part of the last day's burn rate.
        alpha(NOON - 16 * HOUR, 3),
      ]),
    );
    expect(c.parts.budgets.status()).toEqual([
      {
        name: 'alpha-daily',
        scope: { project: 'alpha' },
        period: 'day',
        timezone: 'UTC',
        period_start: '2026-12-02T00:00:00.000Z',
        period_end: '2026-12-03T00:00:00.000Z',
        limit_usd: 50,
        spent_usd: 20,
        remaining_usd: 30,
        percent_used: 40,
        // $23 in the last 24 hours: $20 + 23/24 * 12 hours.
        forecast_usd: 31.5,
        days_left: null,
        alert_at: [0.5, 0.8, 1],
        alerts_sent: [],
      },
    ]);
    expect(await gauges(c)).toEqual({
      'alpha-daily': { limit: 50, spent: 20, forecast: 31.5 },
    });
  });

  it('a scoped read sees only the budgets of its own project or user', async () => {
    const c = await collector(
      [
        budget({ name: 'all' }),
        budget({ name: 'alpha', scope: { project: 'alpha' } }),
        budget({ name: 'alpha-u1', scope: { project: 'alpha', user: 'u1' } }),
        budget({ name: 'u1', scope: { user: 'u1' } }),
      ],
      () => NOON,
    );
    const names = (scope?: { project?: string; user?: string }) =>
      c.parts.budgets.status(scope).map((s) => s.name);
    expect(names()).toEqual(['all', 'alpha', 'alpha-u1', 'u1']);
    expect(names({ project: 'alpha' })).toEqual(['alpha', 'alpha-u1']);
    expect(names({ user: 'u1' })).toEqual(['alpha-u1', 'u1']);
    expect(names({ project: 'beta' })).toEqual([]);
  });

  it('periods in a +05:30 zone and on a daylight-saving day: exact spend around the off-hour start', async () => {
    const base = Date.UTC(2026, 10, 1, 12); // 1 November 2026, New York falls back
    const c = await collector(
      [
        budget({ name: 'kolkata', timezone: 'Asia/Kolkata' }),
        budget({ name: 'new-york', timezone: 'America/New_York' }),
      ],
      () => base,
    );
    const kolkataStart = Date.UTC(2026, 9, 31, 18, 30);
    await send(
      c,
      exportOf([
        costSpan(kolkataStart - 20 * MINUTE, 7), // same rollup hour, the day before in Kolkata
        costSpan(kolkataStart + 15 * MINUTE, 5),
        costSpan(base - HOUR, 1.5),
      ]),
    );
    const [kolkata, newYork] = c.parts.budgets.status();
    expect(kolkata).toMatchObject({
      period_start: '2026-10-31T18:30:00.000Z',
      period_end: '2026-11-01T18:30:00.000Z',
      spent_usd: 6.5,
    });
    expect(newYork).toMatchObject({
      period_start: '2026-11-01T04:00:00.000Z',
      period_end: '2026-11-02T05:00:00.000Z',
      spent_usd: 1.5,
    });
    const g = await gauges(c);
    expect([g.kolkata!.spent, g['new-york']!.spent]).toEqual([6.5, 1.5]);
  });
});

describe('budgets: messages to webhooks', () => {
  it('one message per threshold and period: later exports and a resent one send nothing more', async () => {
    const hook = await receiver();
    const c = await collector(
      [
        budget({
          name: 'alpha-daily',
          scope: { project: 'alpha' },
          alert_at: [0.5, 0.8, 1],
          notify: [hook.url],
        }),
      ],
      clockAt(NOON),
    );
    // $20 by 10:00, $20 in the last day: forecast $30, no message yet.
    await send(c, exportOf([alpha(NOON - 2 * HOUR, 20)]));
    await settle();
    expect(hook.hits).toEqual([]);
    const crossing = exportOf([alpha(NOON - HOUR, 6)]);
    await send(c, crossing);
    await waitFor('the 50% message', () => hook.hits.length === 1);
    expect(hook.hits[0]).toEqual({
      status: 200,
      body: {
        budget: 'alpha-daily',
        period: 'day',
        period_start: '2026-12-02T00:00:00.000Z',
        period_end: '2026-12-03T00:00:00.000Z',
        spent_usd: 26,
        limit_usd: 50,
        fraction: 0.5,
        forecast_usd: expect.closeTo(39, 2),
        kind: 'threshold:0.5',
        text: 'Budget alpha-daily has used 50% of $50.00 for 2026-12-02: $26.00 spent, forecast $39.00 by the end of the day.',
      },
    });
    // More calls below the next threshold, and the crossing export sent again.
    await send(c, exportOf([alpha(NOON - HOUR, 0.5)]));
    await send(c, exportOf([alpha(NOON - HOUR, 0.5)]));
    expect(await send(c, crossing)).toEqual({});
    await settle();
    expect(hook.hits).toHaveLength(1);
    expect(c.parts.budgets.status()[0]).toMatchObject({ spent_usd: 27, alerts_sent: [0.5] });
    // Past 80% and 100% in one export: one message each (no forecast: the limit is reached).
    await send(c, exportOf([alpha(NOON - HOUR, 23)]));
    await waitFor('the 80% and 100% messages', () => hook.hits.length === 3);
    await settle();
    expect(hook.hits.map((h) => h.body.kind).sort()).toEqual([
      'threshold:0.5',
      'threshold:0.8',
      'threshold:1',
    ]);
    expect(hook.hits.find((h) => h.body.kind === 'threshold:1')!.body.text).toBe(
      'Budget alpha-daily has used 100% of $50.00 for 2026-12-02: $50.00 spent, forecast $75.00 by the end of the day.',
    );
    expect(c.parts.budgets.status()[0]).toMatchObject({
      spent_usd: 50,
      remaining_usd: 0,
      percent_used: 100,
      days_left: 0,
      alerts_sent: [0.5, 0.8, 1],
    });
  });

  it('a forecast past the limit sends one forecast message', async () => {
    const hook = await receiver();
    const c = await collector(
      [budget({ name: 'fc', alert_at: [0.9], notify: [hook.url] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 35)]));
    await waitFor('the forecast message', () => hook.hits.length === 1);
    await send(c, exportOf([costSpan(NOON - HOUR, 1)]));
    await settle();
    expect(hook.hits).toHaveLength(1);
    expect(hook.hits[0]!.body).toEqual({
      budget: 'fc',
      period: 'day',
      period_start: '2026-12-02T00:00:00.000Z',
      period_end: '2026-12-03T00:00:00.000Z',
      spent_usd: 35,
      limit_usd: 50,
      fraction: 1,
      forecast_usd: expect.closeTo(52.5, 2),
      kind: 'forecast',
      text: 'Budget fc is on course to pass its limit of $50.00 for 2026-12-02: $35.00 spent, forecast $52.50 by the end of the day.',
    });
    // $14 left at $36 a day: 0.39 days.
    expect(c.parts.budgets.status()[0]).toMatchObject({ spent_usd: 36, days_left: 0.39 });
  });

  it('a receiver that fails twice gets the message once, after retries with backoff', async () => {
    const hook = await receiver((n) => (n <= 2 ? 503 : 200));
    const c = await collector(
      [budget({ name: 'retry', limit_usd: 100, alert_at: [0.4], notify: [hook.url] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 45)]));
    await waitFor('the third attempt', () => hook.hits.length === 3);
    await settle();
    expect(hook.hits.map((h) => [h.status, h.body.kind])).toEqual([
      [503, 'threshold:0.4'],
      [503, 'threshold:0.4'],
      [200, 'threshold:0.4'],
    ]);
    expect(messages(c)).toEqual([
      {
        budget: 'retry',
        kind: 'threshold:0.4',
        attempts: 3,
        delivered: 1,
        last_error: `127.0.0.1:${hook.port} answered 503`,
      },
    ]);
  });

  it('across a restart: what was delivered is not sent again, what was pending is delivered', async () => {
    const up = await receiver();
    const downPort = await closedPort();
    const downUrl = `http://127.0.0.1:${downPort}/hook`;
    const budgets = [
      budget({ name: 'up', alert_at: [0.5], notify: [up.url] }),
      budget({ name: 'down', alert_at: [0.5], notify: [downUrl] }),
    ];
    const first = await collector(budgets, clockAt(NOON));
    const db = first.parts.store.path;
    await send(first, exportOf([costSpan(NOON - HOUR, 30)]));
    await waitFor('the delivered message', () => up.hits.length === 1);
    const downRow = () => messages(first).find((m) => (m as Json).budget === 'down') as Json;
    await waitFor('two refused attempts', () => (downRow().attempts as number) >= 2);
    expect(downRow()).toMatchObject({
      kind: 'threshold:0.5',
      delivered: 0,
      last_error: `127.0.0.1:${downPort}: ECONNREFUSED`,
    });
    expect(messages(first)[1]).toEqual({
      budget: 'up',
      kind: 'threshold:0.5',
      attempts: 1,
      delivered: 1,
      last_error: null,
    });
    await first.close();
    running.splice(running.indexOf(first), 1);

    const down = await receiver(() => 200, downPort);
    const second = await collector(budgets, clockAt(NOON + 5 * MINUTE), db);
    await waitFor('the pending message', () => down.hits.length === 1);
    await send(second, exportOf([costSpan(NOON - HOUR, 1)]));
    await settle();
    expect(up.hits).toHaveLength(1);
    expect(down.delivered()).toEqual([expect.objectContaining({ budget: 'down', spent_usd: 30 })]);
    expect(messages(second)).toMatchObject([
      { budget: 'down', delivered: 1 },
      { budget: 'up', delivered: 1, attempts: 1 },
    ]);
  });

  it('a message is never sent with a secret: the stored row names receivers by hash, never by URL', async () => {
    const hook = await receiver();
    const secretUrl = `${hook.url}/T000/B000/XXXXXXXXsecretXXXXXXXX`;
    const c = await collector(
      [budget({ name: 's', limit_usd: 100, alert_at: [0.4], notify: [secretUrl] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 45)]));
    await waitFor('the message', () => hook.hits.length === 1);
    await settle();
    const rows = c.parts.store.db.prepare('SELECT * FROM budget_messages').all() as Json[];
    expect(JSON.stringify(rows)).not.toContain('secret');
    expect(JSON.stringify(hook.hits[0]!.body)).not.toContain('secret');
    expect(Object.keys(hook.hits[0]!.body).sort()).toEqual(
      [
        'budget',
        'period',
        'period_start',
        'period_end',
        'spent_usd',
        'limit_usd',
        'fraction',
        'forecast_usd',
        'kind',
        'text',
      ].sort(),
    );
  });

  it('each receiver gets each message once, whichever of them fails; exactly 80% crosses 0.8', async () => {
    const steady = await receiver();
    const flaky = await receiver((n) => (n <= 2 ? 503 : 200));
    const c = await collector(
      [budget({ name: 'two', alert_at: [0.8], notify: [steady.url, flaky.url] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 40)]));
    await waitFor('both messages at both', () => flaky.delivered().length === 2);
    await settle();
    const kinds = (r: Receiver) =>
      r
        .delivered()
        .map((b) => b.kind)
        .sort();
    expect(kinds(steady)).toEqual(['forecast', 'threshold:0.8']);
    expect(kinds(flaky)).toEqual(['forecast', 'threshold:0.8']);
    expect(steady.hits).toHaveLength(2);
  });

  it('a receiver that does not answer in time is retried; one that refuses with 404 is not', async () => {
    const slow = await receiver((n) => (n === 1 ? 'hang' : 200));
    const wrong = await receiver(() => 404);
    const c = await collector(
      [
        budget({ name: 'slow', alert_at: [0.5], notify: [slow.url] }),
        budget({ name: 'wrong', alert_at: [0.5], notify: [wrong.url] }),
      ],
      clockAt(NOON),
      undefined,
      300,
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 26)]));
    await waitFor('the retry after the timeout', () => slow.delivered().length === 1);
    await settle();
    expect(slow.hits.map((h) => h.status)).toEqual([0, 200]);
    expect(wrong.hits.map((h) => h.status)).toEqual([404]);
    expect(messages(c)).toEqual([
      {
        budget: 'slow',
        kind: 'threshold:0.5',
        attempts: 2,
        delivered: 1,
        last_error: `127.0.0.1:${slow.port}: no answer within 300 ms`,
      },
      {
        budget: 'wrong',
        kind: 'threshold:0.5',
        attempts: 1,
        delivered: 1,
        last_error: `127.0.0.1:${wrong.port} answered 404, not retried: check the notify URL`,
      },
    ]);
  });

  it('a receiver that hangs never holds up ingest', async () => {
    const stuck = await receiver(() => 'hang');
    const c = await collector(
      [budget({ name: 'stuck', alert_at: [0.1], notify: [stuck.url] })],
      clockAt(NOON),
      undefined,
      2_000,
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 10)]));
    await waitFor('the hanging delivery', () => stuck.hits.length === 1);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await send(c, exportOf([costSpan(NOON - HOUR, 1)]));
      times.push(performance.now() - t);
    }
    expect(Math.max(...times)).toBeLessThan(500);
    expect(stuck.hits).toHaveLength(1);
    expect(c.parts.budgets.status()[0]!.spent_usd).toBe(20);
  });
});
