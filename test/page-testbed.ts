import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import {
  canRunBrowser,
  launchBrowser,
  loaded,
  morning,
  send,
  type Watched,
  watchedPage,
} from './page-harness.js';

// What the usage page test files share: one collector holding the morning's
// calls and one headless Chromium per file, the API they are checked against,
// and pages opened on it.

export interface PageBed {
  /** The collector, with morning() stored; set before the file's tests run. */
  c: RunningCollector;
  ctx: BrowserContext;
  /** GET /api/v1/<path>?<params>, answered 200. */
  api<T = Record<string, unknown>>(path: string, params?: Record<string, string>): Promise<T>;
  /** A watched tab on the collector's page at `path`, its first data drawn. */
  open(path: string): Promise<Watched>;
  /** Runs `close` after the file's tests (a browser or collector of a test's own). */
  later(close: () => Promise<void>): void;
}

/** The collector and browser for this file's tests; started only where Chromium can run. */
export function usePageTestbed(): PageBed {
  const after: (() => Promise<void>)[] = [];
  const bed: PageBed = {
    c: undefined as unknown as RunningCollector,
    ctx: undefined as unknown as BrowserContext,
    async api<T>(path: string, params: Record<string, string> = {}) {
      const q = new URLSearchParams(params);
      const res = await fetch(`${bed.c.url}/api/v1/${path}?${q}`);
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    },
    async open(path) {
      const w = await watchedPage(bed.ctx);
      await w.page.goto(`${bed.c.url}${path}`);
      await loaded(w.page);
      return w;
    },
    later: (close) => after.push(close),
  };
  beforeAll(async () => {
    if (!canRunBrowser) return;
    bed.c = await startCollector();
    await send(bed.c, morning());
    bed.ctx = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const f of after) await f();
    await bed.ctx?.close();
    await bed.c?.close();
  });
  return bed;
}

export const WEEK = 7 * 24 * 3_600_000;

/** The page's default view, 7 days, as API parameters. */
export const week = () => ({ from: new Date(Date.now() - WEEK).toISOString() });

/** The page URL's query parameters. */
export const search = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);
