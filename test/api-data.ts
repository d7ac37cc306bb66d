import { pusdToUsd, usdToPusd } from '@costlens/pricing';
import { expect } from 'vitest';
import type { RunningCollector } from './collector-harness.js';

// The calls the query API tests send, as OTLP/JSON spans, and what the tests expect
// of them worked out here from what was sent: never by asking the code under test.

export const HOUR = 3_600_000;
/** The hour before the current one began 10 hours before it; every call is in the past. */
export const A = Math.floor(Date.now() / HOUR) * HOUR - 10 * HOUR;
/** A window whose both ends fall inside hours, with calls before and after it. */
export const WINDOW = { from: A + 17 * 60_000 + 123, to: A + 8 * HOUR + 43 * 60_000 };
/** An hour with no calls at all (zero-filled in time series). */
export const EMPTY_HOUR = A + 5 * HOUR;

/** A call as sent, in the record's terms. */
export interface Sent {
  id: string;
  started_at: number;
  duration_ms: number;
  project: string | null;
  user: string | null;
  account: string | null;
  provider: string;
  request_model: string;
  response_model: string | null;
  model: string;
  operation: string;
  call_type: 'text' | 'embedding' | 'image' | 'video';
  status: 'success' | 'error';
  error_type: string | null;
  /** null: unpriced (unknown model, no cost given). */
  cost_pusd: number | null;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  images: number;
  video_seconds: number;
  /** An attribute no convention maps: kept in the call's attributes. */
  feature: string;
}

/** Names with quotes, commas, SQL and spreadsheet metacharacters, and missing ones. */
export const PROJECTS = ['alpha', 'beta', 'gamma', 'x%y', null];
export const USERS = [
  'u1',
  'u2',
  'u3',
  `o'brien, "jr"`,
  '=HYPERLINK("http://x")',
  '-5',
  'two\nlines',
  null,
];
export const ACCOUNTS = ['acct-1', '@acct', null];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` calls over the hours A-1 .. A+9 (none in EMPTY_HOUR), each at its own millisecond. */
export function makeCalls(n = 360, seed = 7): Sent[] {
  const rand = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const taken = new Set<number>();
  const out: Sent[] = [];
  for (let i = 0; i < n; i++) {
    let hour = -1 + Math.floor(rand() * 11);
    if (A + hour * HOUR === EMPTY_HOUR) hour = 6;
    // The last call is a live one: seconds ago, in the current hour (or the one before).
    let started =
      i === n - 1 ? Date.now() - 5000 : A + hour * HOUR + Math.floor(rand() * (HOUR - 1000));
    while (taken.has(started)) started++;
    taken.add(started);
    const kind = rand();
    const failed = rand() < 0.12;
    let c: Omit<
      Sent,
      'id' | 'started_at' | 'project' | 'user' | 'account' | 'status' | 'error_type' | 'feature'
    >;
    if (kind < 0.55) {
      const [provider, request, response] = pick([
        ['openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
        ['openai', 'gpt-4o-mini', null],
        ['openai', 'o3', 'o3-2025-04-16'],
        ['anthropic', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'],
      ] as const);
      const input = 100 + Math.floor(rand() * 5000);
      const output = 10 + Math.floor(rand() * 900);
      c = {
        duration_ms: 50 + Math.floor(rand() * 5000),
        provider,
        request_model: request,
        response_model: response,
        model: response ?? request,
        operation: 'chat',
        call_type: 'text',
        cost_pusd: 0,
        input,
        output,
        cache_read: rand() < 0.4 ? Math.floor(input / 3) : 0,
        cache_write: rand() < 0.2 ? Math.floor(input / 5) : 0,
        reasoning: request === 'o3' ? Math.floor(output / 2) : 0,
        images: 0,
        video_seconds: 0,
      };
    } else if (kind < 0.65) {
      c = {
        duration_ms: 20 + Math.floor(rand() * 300),
        provider: 'openai',
        request_model: 'text-embedding-3-small',
        response_model: null,
        model: 'text-embedding-3-small',
        operation: 'embeddings',
        call_type: 'embedding',
        cost_pusd: 0,
        input: 10 + Math.floor(rand() * 800),
        output: 0,
        cache_read: 0,
        cache_write: 0,
        reasoning: 0,
        images: 0,
        video_seconds: 0,
      };
    } else if (kind < 0.78) {
      c = {
        duration_ms: 3000 + Math.floor(rand() * 9000),
        provider: 'openai',
        request_model: 'gpt-image-1',
        response_model: null,
        model: 'gpt-image-1',
        operation: 'image_generation',
        call_type: 'image',
        cost_pusd: 0,
        input: 0,
        output: 0,
        cache_read: 0,
        cache_write: 0,
        reasoning: 0,
        images: 1 + Math.floor(rand() * 4),
        video_seconds: 0,
      };
    } else if (kind < 0.88) {
      c = {
        duration_ms: 30_000 + Math.floor(rand() * 60_000),
        provider: 'gcp.gemini',
        request_model: 'veo-3.0-generate-001',
        response_model: null,
        model: 'veo-3.0-generate-001',
        operation: 'video_generation',
        call_type: 'video',
        cost_pusd: 0,
        input: 0,
        output: 0,
        cache_read: 0,
        cache_write: 0,
        reasoning: 0,
        images: 0,
        video_seconds: 4 + Math.floor(rand() * 5),
      };
    } else {
      // Unknown to the catalogue and sent without a cost: unpriced.
      c = {
        duration_ms: 100 + Math.floor(rand() * 2000),
        provider: 'openai',
        request_model: 'mystery-model-x',
        response_model: null,
        model: 'mystery-model-x',
        operation: 'chat',
        call_type: 'text',
        cost_pusd: null,
        input: 100 + Math.floor(rand() * 1000),
        output: 5 + Math.floor(rand() * 100),
        cache_read: 0,
        cache_write: 0,
        reasoning: 0,
        images: 0,
        video_seconds: 0,
      };
    }
    if (failed) {
      // A failure that reported no usage is not billed: $0, not unpriced.
      c = {
        ...c,
        response_model: null,
        model: c.request_model,
        cost_pusd: 0,
        input: 0,
        output: 0,
        cache_read: 0,
        cache_write: 0,
        reasoning: 0,
        images: 0,
        video_seconds: 0,
      };
    } else if (c.cost_pusd !== null) {
      c.cost_pusd = usdToPusd(Math.round(rand() * 2_000_000) / 1e8 + 0.000000123);
    }
    const trace = (i + 1).toString(16).padStart(32, '0');
    const span = (i + 1).toString(16).padStart(16, '0');
    out.push({
      ...c,
      id: trace + span,
      started_at: started,
      feature: `search-${i % 3}`,
      project: pick(PROJECTS),
      user: pick(USERS),
      account: pick(ACCOUNTS),
      status: failed ? 'error' : 'success',
      error_type: failed ? pick(['RateLimitError', 'Timeout', 'BadRequestError']) : null,
    });
  }
  return out;
}

type Attr = { key: string; value: Record<string, unknown> };
const str = (key: string, v: string | null): Attr[] =>
  v === null ? [] : [{ key, value: { stringValue: v } }];
const int = (key: string, v: number): Attr[] =>
  v === 0 ? [] : [{ key, value: { intValue: String(v) } }];

/** One OTLP/JSON span of a call, as an app's exporter sends it. */
function spanOf(c: Sent, costUsd: Map<string, number>) {
  const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
  const usage = c.status === 'success';
  const attributes: Attr[] = [
    ...str('gen_ai.operation.name', c.operation),
    ...str('gen_ai.provider.name', c.provider),
    ...str('gen_ai.request.model', c.request_model),
    ...str('gen_ai.response.model', c.response_model),
    ...str('costlens.project', c.project),
    ...str('costlens.user', c.user),
    ...str('costlens.account', c.account),
    ...str('error.type', c.error_type),
    ...str('app.feature', c.feature),
  ];
  if (usage) {
    attributes.push(
      ...int('gen_ai.usage.input_tokens', c.input),
      ...int('gen_ai.usage.output_tokens', c.output),
      ...int('gen_ai.usage.cache_read.input_tokens', c.cache_read),
      ...int('gen_ai.usage.cache_creation.input_tokens', c.cache_write),
      ...int('gen_ai.usage.reasoning.output_tokens', c.reasoning),
      ...int('costlens.image.count', c.images),
    );
    if (c.video_seconds > 0) {
      attributes.push({ key: 'costlens.video.seconds', value: { doubleValue: c.video_seconds } });
    }
    const usd = costUsd.get(c.id);
    if (usd !== undefined)
      attributes.push({ key: 'costlens.cost.usd', value: { doubleValue: usd } });
  }
  return {
    traceId: c.id.slice(0, 32),
    spanId: c.id.slice(32),
    name: `${c.operation} ${c.request_model}`,
    kind: 3,
    startTimeUnixNano: ns(c.started_at),
    endTimeUnixNano: ns(c.started_at + c.duration_ms),
    attributes,
    ...(c.status === 'error' ? { status: { code: 2, message: 'the provider said no' } } : {}),
  };
}

/** The cost each priced call is sent with, in USD (pUSD back exactly through usdToPusd). */
function costsOf(calls: Sent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of calls) {
    if (c.status === 'success' && c.cost_pusd !== null) out.set(c.id, pusdToUsd(c.cost_pusd));
  }
  for (const [id, usd] of out) {
    const c = calls.find((x) => x.id === id)!;
    expect(usdToPusd(usd), 'the test sends costs that convert back exactly').toBe(c.cost_pusd);
  }
  return out;
}

/** Sends the calls as OTLP/JSON export requests of `batch` spans. */
export async function send(c: RunningCollector, calls: Sent[], key?: string, batch = 100) {
  const costs = costsOf(calls);
  for (let i = 0; i < calls.length; i += batch) {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api-test' } }] },
          scopeSpans: [
            {
              scope: { name: 'api-test' },
              spans: calls.slice(i, i + batch).map((s) => spanOf(s, costs)),
            },
          ],
        },
      ],
    });
    const res = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({});
  }
}

/** A JSON answer, read by the tests through toEqual and property access. */
// biome-ignore lint/suspicious/noExplicitAny: answers are compared whole with toEqual.
type Json = any;

/** GET (or another method) on the API; the JSON answer and its status. */
export async function api(
  c: RunningCollector,
  path: string,
  key?: string,
  method = 'GET',
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${c.url}/api/v1${path}`, {
    method,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}

export const qs = (params: Record<string, string | number | undefined>) =>
  `?${Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&')}`;

export const iso = (ms: number) => new Date(ms).toISOString();

export const inWindow = (calls: Sent[], w: { from: number; to: number }) =>
  calls.filter((c) => c.started_at >= w.from && c.started_at < w.to);

/** pUSD -> USD, the way the API turns an exact sum into its answer. */
export const usd = (pusd: number) => pusdToUsd(pusd);

/** The totals the API should answer for these calls, worked out from what was sent. */
export function expectedTotals(calls: Sent[]) {
  const priced = calls.filter((c) => c.cost_pusd !== null);
  const failed = calls.filter((c) => c.status === 'error').length;
  const distinct = (f: (c: Sent) => string | null) =>
    new Set(calls.map(f).filter((v) => v !== null)).size;
  const sum = (f: (c: Sent) => number) => calls.reduce((s, c) => s + f(c), 0);
  return {
    cost_usd:
      calls.length > 0 && priced.length === 0
        ? null
        : usd(priced.reduce((s, c) => s + c.cost_pusd!, 0)),
    calls: calls.length,
    failed_calls: failed,
    success_rate: calls.length === 0 ? null : (calls.length - failed) / calls.length,
    unpriced_calls: calls.length - priced.length,
    tokens: {
      input: sum((c) => c.input),
      output: sum((c) => c.output),
      cache_read: sum((c) => c.cache_read),
      cache_write: sum((c) => c.cache_write),
      reasoning: sum((c) => c.reasoning),
    },
    image_calls: calls.filter((c) => c.call_type === 'image').length,
    images: sum((c) => c.images),
    video_calls: calls.filter((c) => c.call_type === 'video').length,
    video_seconds: sum((c) => c.video_seconds),
    distinct: {
      models: distinct((c) => c.model),
      users: distinct((c) => c.user),
      accounts: distinct((c) => c.account),
      projects: distinct((c) => c.project),
    },
  };
}

/** The exact q-quantile of the calls' durations (the element the sketch's rank points at). */
export function quantile(calls: Sent[], q: number): number {
  const d = calls.map((c) => c.duration_ms).sort((a, b) => a - b);
  return d[Math.floor(q * (d.length - 1))]!;
}

/** A number within 1% of `exact` (what a latency sketch promises). */
export function expectNear(actual: number | null, exact: number, what: string) {
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - exact), `${what}: ${actual} vs exact ${exact}`).toBeLessThanOrEqual(
    exact * 0.01 + 1e-9,
  );
}
