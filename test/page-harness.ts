/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser: they need its types.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { RunningCollector } from './collector-harness.js';

// The page tests drive Debian's Chromium (scripts/install.sh --test installs it).
// In CI they fail, they do not skip, when it cannot start; elsewhere they skip
// when it is not installed, saying so.

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const canRunBrowser = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!canRunBrowser)
  console.warn(`page tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile, English and UTC so the numbers read the same everywhere. */
export async function launchBrowser(
  options: { deviceScaleFactor?: number; timezoneId?: string } = {},
): Promise<BrowserContext> {
  try {
    return await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'costlens-ud-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'UTC',
      ...options,
    });
  } catch (err) {
    throw new Error(
      `Chromium could not start (apt-get install chromium, or scripts/install.sh --test): ${(err as Error).message}`,
    );
  }
}

export interface Watched {
  page: Page;
  /** alert(), confirm() or prompt() calls the page made. */
  dialogs: string[];
  /** Uncaught errors in the page and console errors. */
  errors: string[];
  /** Content-Security-Policy violations the page reported. */
  violations(): Promise<string[]>;
}

/** A new tab that records dialogs, errors and CSP violations. */
export async function watchedPage(ctx: BrowserContext): Promise<Watched> {
  const page = await ctx.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return {
    page,
    dialogs,
    errors,
    violations: () => page.evaluate(() => (globalThis as unknown as { __csp: string[] }).__csp),
  };
}

/** Saves a screenshot under test/artifacts/ (gitignored) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the page drew its first data (the summary cards, the guide or the key form). */
export async function loaded(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready], #keyform:not([hidden])', { timeout: 15_000 });
}

/** The text of every visible cell of the call table, row by row. */
export function callIds(page: Page): Promise<string[]> {
  return page.$$eval('#calls-body tr.call-row', (rows) =>
    rows.map((r) => (r as HTMLElement).dataset.id ?? ''),
  );
}

// ---- data, sent as OTLP/JSON exports as an instrumented app sends it ----

type JsonValue = Record<string, unknown>;
let seq = 0;

const value = (v: string | number | boolean): JsonValue =>
  typeof v === 'string'
    ? { stringValue: v }
    : typeof v === 'boolean'
      ? { boolValue: v }
      : Number.isInteger(v)
        ? { intValue: String(v) }
        : { doubleValue: v };

export interface CallSpec {
  /** Milliseconds before now that the call started. */
  ago: number;
  model: string;
  project?: string;
  provider?: string;
  operation?: string;
  durationMs?: number;
  attrs?: Record<string, string | number | boolean>;
  /** A failed call: OTLP status code 2 with this message. */
  error?: string;
}

/** One OTLP/JSON span for `spec`. */
export function span(spec: CallSpec, now = Date.now()): JsonValue {
  seq++;
  const start = BigInt(Math.round(now - spec.ago)) * 1_000_000n;
  const attrs: Record<string, string | number | boolean> = {
    'gen_ai.operation.name': spec.operation ?? 'chat',
    'gen_ai.provider.name': spec.provider ?? 'openai',
    'gen_ai.request.model': spec.model,
    ...(spec.project ? { 'costlens.project': spec.project } : {}),
    ...spec.attrs,
  };
  if (spec.error !== undefined) attrs['error.type'] ??= 'rate_limit_exceeded';
  return {
    traceId: (0x1000 + seq).toString(16).padStart(32, '0'),
    spanId: (0x1000 + seq).toString(16).padStart(16, '0'),
    name: `${attrs['gen_ai.operation.name']} ${spec.model}`,
    kind: 3,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + BigInt(spec.durationMs ?? 800) * 1_000_000n),
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: value(v) })),
    ...(spec.error !== undefined ? { status: { code: 2, message: spec.error } } : {}),
  };
}

/** POSTs the calls to /v1/traces as one OTLP/JSON export (with `key` as x-api-key). */
export async function send(c: RunningCollector, calls: CallSpec[], key?: string): Promise<void> {
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'page-test' } }] },
        scopeSpans: [{ scope: { name: 'page-test' }, spans: calls.map((s) => span(s)) }],
      },
    ],
  });
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 || text.includes('rejected'))
    throw new Error(`the export was not stored: ${res.status} ${text}`);
}

export const XSS_SCRIPT = '<script>alert(1)</script>';
export const XSS_IMG = '<img src=x onerror=alert(1)>';
/** A project name that is HTML: it must show as these characters. */
export const HTML_PROJECT = '<i onmouseover=alert(2)>lab</i>';

/**
 * Two hours of calls: 30 chats in two projects at $0.015 each, 5 images at $0.04,
 * 2 videos at $0.50, 8 failures that were not billed (two with HTML in their
 * message), and 13 calls of a model no catalogue prices: 58 calls, $1.65 in all.
 */
export function morning(): CallSpec[] {
  const calls: CallSpec[] = [];
  const min = 60_000;
  for (let i = 0; i < 30; i++)
    calls.push({
      ago: (5 + i * 4) * min,
      model: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
      project: i % 2 === 0 ? 'shop' : 'support',
      durationMs: 400 + i * 37,
      attrs: {
        'gen_ai.usage.input_tokens': 1000 + i,
        'gen_ai.usage.output_tokens': 200 + i,
        'costlens.cost.usd': 0.015,
      },
    });
  for (let i = 0; i < 5; i++)
    calls.push({
      ago: (7 + i * 9) * min,
      model: 'gpt-image-1',
      operation: 'image_generation',
      project: 'shop',
      durationMs: 9000 + i * 500,
      attrs: {
        'costlens.image.count': 1,
        'costlens.image.resolution': '1024x1024',
        'costlens.cost.usd': 0.04,
      },
    });
  for (let i = 0; i < 2; i++)
    calls.push({
      ago: (11 + i * 30) * min,
      model: 'veo-3.0-generate',
      provider: 'gcp.gemini',
      operation: 'video_generation',
      project: 'studio',
      durationMs: 45_000,
      attrs: { 'costlens.video.seconds': 8, 'costlens.cost.usd': 0.5 },
    });
  const failures = [XSS_SCRIPT, XSS_IMG, 'Rate limit reached for gpt-4o', 'upstream timed out'];
  for (let i = 0; i < failures.length * 2; i++)
    calls.push({
      ago: (3 + i * 13) * min,
      model: 'gpt-4o',
      project: 'support',
      durationMs: 1500,
      error: failures[i % failures.length]!,
    });
  for (let i = 0; i < 13; i++)
    calls.push({
      ago: (6 + i * 8) * min,
      model: 'acme-unpriced-1',
      provider: 'acme',
      project: HTML_PROJECT,
      attrs: { 'gen_ai.usage.input_tokens': 500, 'gen_ai.usage.output_tokens': 50 },
    });
  return calls;
}

/**
 * A week of a small team's traffic, the same every run (a fixed pseudo-random
 * sequence): four projects, chat, embedding, image and video models, busier by
 * day, about 4% failures and a few unpriced calls. For screenshots and timing.
 */
export function busyWeek(n: number, now = Date.now()): CallSpec[] {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const projects = ['checkout', 'support-bot', 'search', 'marketing'] as const;
  const calls: CallSpec[] = [];
  while (calls.length < n) {
    // An hour clear of the week's start: the page's 7-day view, opened seconds or
    // (on a busy machine) tens of seconds later, still holds every call.
    const ago = rnd() * (7 * 86_400_000 - 3_600_000);
    // Fewer calls at night (UTC): keep a night call one time in four.
    const hour = new Date(now - ago).getUTCHours();
    if ((hour < 7 || hour > 21) && rnd() > 0.25) continue;
    const kind = rnd();
    const project = pick(projects);
    const failed = rnd() < 0.04;
    const error = failed
      ? pick([
          'Rate limit reached for requests',
          'upstream connect error',
          'context length exceeded',
        ])
      : undefined;
    if (kind < 0.62) {
      const model = pick(['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5'] as const);
      const input = 300 + Math.floor(rnd() * 3000);
      const output = 50 + Math.floor(rnd() * 700);
      // Dollars per million input and output tokens.
      const [perIn, perOut] = (
        { 'gpt-4o-mini': [0.15, 0.6], 'gpt-4o': [2.5, 10], 'claude-sonnet-4-5': [3, 15] } as const
      )[model];
      calls.push({
        ago,
        model,
        provider: model.startsWith('claude') ? 'anthropic' : 'openai',
        project,
        durationMs: 300 + Math.floor(rnd() * 2500),
        error,
        attrs: failed
          ? {}
          : {
              'gen_ai.usage.input_tokens': input,
              'gen_ai.usage.output_tokens': output,
              'costlens.cost.usd': Math.round((input * perIn + output * perOut) * 1000) / 1e9,
            },
      });
    } else if (kind < 0.8) {
      calls.push({
        ago,
        model: 'text-embedding-3-small',
        operation: 'embeddings',
        project: 'search',
        durationMs: 80 + Math.floor(rnd() * 300),
        error,
        attrs: failed ? {} : { 'gen_ai.usage.input_tokens': 400, 'costlens.cost.usd': 0.000008 },
      });
    } else if (kind < 0.93) {
      calls.push({
        ago,
        model: 'gpt-image-1',
        operation: 'image_generation',
        project: 'marketing',
        durationMs: 7000 + Math.floor(rnd() * 9000),
        error,
        attrs: failed
          ? {}
          : {
              'costlens.image.count': 1,
              'costlens.image.resolution': pick(['1024x1024', '1536x1024']),
              'costlens.cost.usd': 0.042,
            },
      });
    } else if (kind < 0.97) {
      calls.push({
        ago,
        model: 'veo-3.0-fast',
        provider: 'gcp.gemini',
        operation: 'video_generation',
        project: 'marketing',
        durationMs: 40_000 + Math.floor(rnd() * 40_000),
        error,
        attrs: failed
          ? {}
          : {
              'costlens.video.seconds': 8,
              'costlens.video.resolution': '720p',
              'costlens.cost.usd': 1.2,
            },
      });
    } else {
      calls.push({ ago, model: 'acme-large', provider: 'acme', project, durationMs: 900, error });
    }
  }
  return calls;
}
