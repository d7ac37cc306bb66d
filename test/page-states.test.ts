/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser: they need its types.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import {
  canRunBrowser,
  launchBrowser,
  loaded,
  morning,
  screenshot,
  send,
  watchedPage,
} from './page-harness.js';

// The page before there is anything to show: no calls yet (the guide), and keys
// configured (the read-key form).

let ctx: BrowserContext;
const collectors: RunningCollector[] = [];

beforeAll(async () => {
  if (canRunBrowser) ctx = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await ctx?.close();
  for (const c of collectors) await c.close();
});

const INGEST = 'ingest-key-0123456789abcdef';
const READ = 'read-key-0123456789abcdef';
const SHOP = 'shop-read-key-0123456789abcdef';

describe.skipIf(!canRunBrowser)('the usage page before data', () => {
  it('with no calls at all it shows the guide: the one-import command pointed at this collector', async () => {
    const c = await startCollector();
    collectors.push(c);
    const w = await watchedPage(ctx);
    await w.page.goto(`${c.url}/`);
    await loaded(w.page);
    expect({
      guide: await w.page.isVisible('#guide'),
      dashboard: await w.page.isVisible('#dashboard'),
      filters: await w.page.isVisible('#filters'),
    }).toEqual({ guide: true, dashboard: false, filters: false });
    const text = await w.page.textContent('#guide');
    expect(text).toContain('node --import @costlens/instrumentation/register app.js');
    expect(text).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${c.url}`);
    expect(text).toContain('npm install @costlens/instrumentation');
    await screenshot(w.page, 'page-guide');
    expect(w.errors).toEqual([]);
    expect(await w.violations()).toEqual([]);
  });

  it('with keys it asks for a read key, keeps it in sessionStorage (never the URL), sends it as Bearer, then shows data', async () => {
    const c = await startCollector({
      keys: {
        ingest: [{ key: INGEST }],
        read: [{ key: READ }, { key: SHOP, project: 'shop' }],
        admin: [],
      },
    });
    collectors.push(c);
    await send(c, morning(), INGEST);
    const w = await watchedPage(ctx);
    const { page } = w;
    const sent: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/')) sent.push(r.headers().authorization);
    });
    await page.goto(`${c.url}/?project=shop`);
    await loaded(page);
    expect({
      form: await page.isVisible('#keyform'),
      main: await page.isVisible('#main'),
    }).toEqual({ form: true, main: false });
    await screenshot(page, 'page-key-form');

    await page.fill('#keyform-key', 'not-the-key-0123456789');
    await page.click('#keyform button[type=submit]');
    await expect
      .poll(() => page.textContent('#keyform-error'))
      .toBe('That key was not accepted. Check it and try again.');
    expect(await page.isVisible('#keyform-error')).toBe(true);

    sent.length = 0;
    await page.fill('#keyform-key', READ);
    await page.click('#keyform button[type=submit]');
    await page.waitForSelector('body[data-ready]');
    const summary = await (
      await fetch(`${c.url}/api/v1/summary?project=shop&from=${Date.now() - 7 * 86_400_000}`, {
        headers: { authorization: `Bearer ${READ}` },
      })
    ).json();
    await expect
      .poll(() => page.$eval('[data-card=calls]', (e) => (e as HTMLElement).dataset.value))
      .toBe(String(summary.calls));
    expect(summary.calls).toBe(20);
    expect(await page.isVisible('#keyform')).toBe(false);
    expect(new Set(sent)).toEqual(new Set([`Bearer ${READ}`]));
    expect(page.url()).not.toContain(READ);
    expect(page.url()).toBe(`${c.url}/?project=shop`);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([READ]);
    expect(await page.evaluate(() => Object.values(localStorage))).toEqual([]);

    // The key lasts as long as the tab: a reload asks for nothing.
    await page.reload();
    await page.waitForSelector('body[data-ready]');
    expect(await page.isVisible('#keyform')).toBe(false);

    // 'Forget key' empties the storage and asks again.
    await page.click('#forget');
    await page.waitForSelector('#keyform:not([hidden])');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // Only the 401s of the API calls made without a key, nothing else went wrong.
    expect(w.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    expect(await w.violations()).toEqual([]);
  });

  it("a read key bound to a project shows that project's figures only", async () => {
    const c = await startCollector({
      keys: { ingest: [{ key: INGEST }], read: [{ key: SHOP, project: 'shop' }], admin: [] },
    });
    collectors.push(c);
    await send(c, morning(), INGEST);
    const { page } = await watchedPage(ctx);
    await page.goto(`${c.url}/`);
    await page.waitForSelector('#keyform:not([hidden])');
    await page.fill('#keyform-key', SHOP);
    await page.click('#keyform button[type=submit]');
    await page.waitForSelector('body[data-ready]');
    await expect
      .poll(() => page.$eval('[data-card=calls]', (e) => (e as HTMLElement).dataset.value))
      .toBe('20');
    expect(await page.$$eval('#projects tbody tr', (r) => r.map((e) => e.textContent))).toEqual([
      expect.stringMatching(/^shop/),
    ]);
  });
});
