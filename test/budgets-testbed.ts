import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import type { Config } from '../collector/src/index.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// What the budgets test files share: calls sent as OTLP/JSON exports with known
// costs, real webhook receivers, and collectors whose budgets' clock is set to a
// known instant (it still moves with real time, so retries come due).

export type BudgetConfig = Config['budgets'][number];
export type Json = Record<string, unknown>;

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const NOON = Date.UTC(2026, 11, 2, 12);

/** A clock that reads `base` now and moves on with real time. */
export const clockAt = (base: number) => {
  const started = Date.now();
  return () => base + (Date.now() - started);
};

let seq = 0;

/** One GenAI span whose cost the instrumentation already gave (`costlens.cost.usd`). */
export function costSpan(at: number, usd: number, attrs: Record<string, string> = {}): Json {
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

export const alpha = (at: number, usd: number) =>
  costSpan(at, usd, { 'costlens.project': 'alpha' });

export const exportOf = (spans: Json[]) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'budgets' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  });

export async function send(c: RunningCollector, body: string): Promise<Json> {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

export function budget(over: Partial<BudgetConfig> & { name: string }): BudgetConfig {
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

/** A webhook receiver. */
export interface Receiver {
  url: string;
  port: number;
  /** Every request's status and JSON body, in arrival order. */
  hits: { status: number; body: Json }[];
  /** The bodies answered 2xx. */
  delivered(): Json[];
}

export interface BudgetsTestbed {
  /** A collector with these budgets and clock; closed after the test unless stopped before. */
  collector(
    budgets: BudgetConfig[],
    now: () => number,
    db?: string,
    attemptTimeoutMs?: number,
  ): Promise<RunningCollector>;
  /** Closes a collector before the test ends (to start another on its database). */
  stop(c: RunningCollector): Promise<void>;
  /** A receiver on `port` (0: any free one); `answer(n)` is the status for the n-th request (1-based). */
  receiver(answer?: (n: number) => number | 'hang', port?: number): Promise<Receiver>;
}

/** Collectors and receivers for this file's tests, all closed after each test. */
export function useBudgetsTestbed(): BudgetsTestbed {
  const running: RunningCollector[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.close();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(
      servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  });
  return {
    async collector(budgets, now, db, attemptTimeoutMs = 2_000) {
      const c = await startCollector(db === undefined ? { budgets } : { budgets, db }, {
        budgets: { now, minIntervalMs: 20, retryBaseMs: 100, attemptTimeoutMs },
      });
      running.push(c);
      return c;
    },
    async stop(c) {
      running.splice(running.indexOf(c), 1);
      await c.close();
    },
    async receiver(answer = () => 200, port = 0) {
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
      };
    },
  };
}

export async function waitFor(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Long enough for an evaluation (20 ms apart here) and a delivery pass to have run. */
export const settle = () => new Promise((r) => setTimeout(r, 400));

/** The rows of the budget messages' outbox, by budget and kind. */
export const messages = (c: RunningCollector) =>
  c.parts.store.db
    .prepare(
      'SELECT budget, kind, attempts, delivered_at IS NOT NULL AS delivered, last_error FROM budget_messages ORDER BY budget, kind',
    )
    .all();
