/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser: they need its types.
import { describe, expect, it } from 'vitest';
import {
  callIds,
  canRunBrowser,
  HTML_PROJECT,
  launchBrowser,
  loaded,
  screenshot,
  send,
  watchedPage,
  XSS_IMG,
  XSS_SCRIPT,
} from './page-harness.js';
import { search, usePageTestbed, week } from './page-testbed.js';

// How the usage page draws, in a real headless Chromium against a real
// collector: stored text never becomes markup, a refresh changes figures in
// place, and it fits a phone.

const bed = usePageTestbed();

interface Label {
  text: string;
  /** The text's alignment: a time axis centres its labels on their ticks. */
  align: string;
  left: number;
  right: number;
  /** The canvas's width, in the same device pixels. */
  canvas: number;
}

/**
 * Runs in the page before its scripts: records where each text drawn on a canvas
 * lies (a chart's axis labels), afresh each time the chart clears its canvas.
 */
function recordLabels() {
  const drawn = new WeakMap<HTMLCanvasElement, Label[]>();
  const proto = CanvasRenderingContext2D.prototype;
  const { fillText, clearRect } = proto;
  proto.clearRect = function (x, y, w, h) {
    if (w >= this.canvas.width && h >= this.canvas.height) drawn.set(this.canvas, []);
    clearRect.call(this, x, y, w, h);
  };
  proto.fillText = function (text, x, y, maxWidth) {
    const t = this.getTransform();
    const at = t.a * x + t.c * y + t.e;
    const width = this.measureText(text).width * t.a;
    const align = this.textAlign;
    const left =
      align === 'center' ? at - width / 2 : align === 'right' || align === 'end' ? at - width : at;
    const list = drawn.get(this.canvas) ?? [];
    list.push({ text: String(text), align, left, right: left + width, canvas: this.canvas.width });
    drawn.set(this.canvas, list);
    fillText.call(this, text, x, y, maxWidth);
  };
  (globalThis as unknown as { __labels: (s: string) => Label[] }).__labels = (sel) => {
    const canvas = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
    return canvas ? (drawn.get(canvas) ?? []) : [];
  };
}
const { api, open, later } = bed;

describe.skipIf(!canRunBrowser)('the usage page: drawing', () => {
  it('stored HTML shows as text: error messages and project names create no element and fire nothing', async () => {
    const w = await open('/?status=error');
    const { page } = w;
    const rows = await page.$$('#calls-body tr.call-row');
    expect(rows).toHaveLength(8);
    const messages = new Set<string>();
    for (const row of rows) {
      await row.click();
      const text = await page.waitForSelector('tr.call-detail .error-message');
      messages.add((await text.textContent())!);
    }
    expect([...messages].sort()).toEqual(
      [XSS_SCRIPT, XSS_IMG, 'Rate limit reached for gpt-4o', 'upstream timed out'].sort(),
    );
    // Open the one holding <img ...> and look at it.
    await page.goto(`${bed.c.url}/?status=error`);
    await loaded(page);
    for (const row of await page.$$('#calls-body tr.call-row')) {
      await row.click();
      const shown = await page.textContent('tr.call-detail .error-message');
      if (shown === XSS_IMG) break;
    }
    await expect.poll(() => page.getByText(XSS_IMG, { exact: true }).isVisible()).toBe(true);
    await page.goto(`${bed.c.url}/`);
    await loaded(page);
    await expect
      .poll(() => page.getByRole('button', { name: HTML_PROJECT, exact: true }).isVisible())
      .toBe(true);
    expect(
      await page.evaluate(() => ({
        images: document.querySelectorAll('img').length,
        scripts: document.scripts.length,
        italics: document.querySelectorAll('i').length,
        onHandlers: [...document.querySelectorAll('*')].filter((e) =>
          [...e.attributes].some((a) => a.name.startsWith('on')),
        ).length,
      })),
    ).toEqual({ images: 0, scripts: 2, italics: 0, onHandlers: 0 });
    // Picking that project puts its name in the URL, encoded, and shows it as the title.
    await page.getByRole('button', { name: HTML_PROJECT, exact: true }).click();
    await page.waitForURL((u) => u.searchParams.get('project') === HTML_PROJECT);
    await expect.poll(() => page.textContent('#project-title')).toBe(HTML_PROJECT);
    expect(await page.$$eval('i, img', (e) => e.length)).toBe(0);
    expect(w.dialogs).toEqual([]);
    expect(w.errors).toEqual([]);
    expect(await w.violations()).toEqual([]);
  });

  it('refreshes every 30 s in place: new calls appear, the open row stays open, nothing is rebuilt or dimmed', async () => {
    // The fake clock belongs to a whole browser context: this test gets a browser of its own.
    const own = await launchBrowser();
    later(() => own.close());
    const w = await watchedPage(own);
    const { page } = w;
    await page.clock.install();
    await page.goto(`${bed.c.url}/?status=error`);
    await loaded(page);
    const before = await api<{ calls: number }>('summary', { ...week(), status: 'error' });
    const id = (await callIds(page))[2]!;
    await page.click(`tr.call-row[data-id="${id}"]`);
    await page.waitForSelector('tr.call-detail .error-box');
    await page.evaluate((rowId) => {
      const g = globalThis as unknown as Record<string, unknown>;
      g.__row = document.querySelector(`tr.call-row[data-id="${rowId}"]`);
      g.__card = document.querySelector('[data-card=calls]');
      g.__dimmed = false;
      new MutationObserver(() => {
        if (document.body.classList.contains('busy') || document.body.classList.contains('loading'))
          g.__dimmed = true;
      }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    }, id);
    await send(bed.c, [
      { ago: 60_000, model: 'gpt-4o', project: 'support', error: 'fresh failure' },
      { ago: 30_000, model: 'gpt-4o', project: 'support', error: 'fresh failure' },
    ]);
    await page.clock.runFor(30_000);
    const want = String(before.calls + 2);
    await expect
      .poll(() => page.$eval('[data-card=calls]', (e) => (e as HTMLElement).dataset.value))
      .toBe(want);
    await expect.poll(() => page.textContent('#calls-count')).toBe(`${want} calls`);
    expect(
      await page.evaluate((rowId) => {
        const g = globalThis as unknown as Record<string, unknown>;
        const row = document.querySelector(`tr.call-row[data-id="${rowId}"]`);
        return {
          sameRow: row === g.__row,
          sameCard: document.querySelector('[data-card=calls]') === g.__card,
          open: row?.getAttribute('aria-expanded'),
          detailFollows: row?.nextElementSibling?.classList.contains('call-detail'),
          dimmed: g.__dimmed,
        };
      }, id),
    ).toEqual({ sameRow: true, sameCard: true, open: 'true', detailFollows: true, dimmed: false });
    expect(search(page)).toEqual({ status: 'error', call: id });
    expect(w.errors).toEqual([]);
  });

  it('the charts keep every axis label inside their canvas, at 1280 px and on a 390 px phone, in each range and the project view', async () => {
    const today = new Intl.DateTimeFormat('en-US', {
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    }).format(new Date());
    // A phone draws at twice the pixels: its own browser.
    const phone = await launchBrowser({ deviceScaleFactor: 2 });
    later(() => phone.close());
    for (const [width, ctx] of [
      [1280, bed.ctx],
      [390, phone],
    ] as const) {
      const w = await watchedPage(ctx);
      const { page } = w;
      await page.addInitScript(recordLabels);
      await page.setViewportSize({ width, height: 900 });
      for (const [path, chart] of [
        ['/', '#cost-chart'],
        ['/?range=24h', '#cost-chart'],
        ['/?range=30d', '#cost-chart'],
        ['/?project=shop', '#trend-chart'],
      ] as const) {
        await page.goto(`${bed.c.url}${path}`);
        await loaded(page);
        await page.waitForTimeout(200);
        const labels = await page.evaluate(
          (sel) => (globalThis as unknown as { __labels: (s: string) => Label[] }).__labels(sel),
          chart,
        );
        expect(labels.length, `${path} at ${width} px`).toBeGreaterThan(3);
        const out = labels.filter((l) => l.left < 0 || l.right > l.canvas);
        expect(out, `${path} at ${width} px`).toEqual([]);
        // Only labels that would stick out are left out: the time axis is labelled
        // into its last part, not just at its start.
        const times = labels.filter((l) => l.align === 'center');
        expect(Math.max(...times.map((l) => l.right)), `${path} at ${width} px`).toBeGreaterThan(
          0.6 * labels[0]!.canvas,
        );
        // The 7-day view's last day, today, is labelled: it was the one cut off.
        // (At 390 px the axis labels every other day.)
        if (path === '/' && width === 1280) expect(labels.map((l) => l.text)).toContain(today);
      }
      expect(w.errors).toEqual([]);
      await page.close();
    }
  }, 120_000);

  it("names the 7-day view's bars by their UTC day (the API's daily buckets) whatever the reader's time zone", async () => {
    const utcDay = new Intl.DateTimeFormat('en-US', {
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    });
    // The view's eight buckets, today's first. One of the two zones is always on
    // another date than UTC (12 h behind before noon UTC, 14 h ahead after 10:00).
    const days = Array.from({ length: 8 }, (_, i) => utcDay.format(Date.now() - i * 86_400_000));
    for (const timezoneId of ['Etc/GMT+12', 'Pacific/Kiritimati']) {
      const ctx = await launchBrowser({ timezoneId });
      later(() => ctx.close());
      const w = await watchedPage(ctx);
      const { page } = w;
      await page.addInitScript(recordLabels);
      await page.goto(`${bed.c.url}/`);
      await loaded(page);
      await page.waitForTimeout(200);
      const labels = await page.evaluate(() =>
        (globalThis as unknown as { __labels: (s: string) => Label[] }).__labels('#cost-chart'),
      );
      const dates = labels.filter((l) => l.align === 'center').map((l) => l.text);
      expect(dates, timezoneId).toContain(days[0]);
      for (const d of dates) expect(days, `${timezoneId}: ${d}`).toContain(d);
      expect(await page.locator('#caption').textContent()).toContain('daily (UTC days)');
      expect(w.errors).toEqual([]);
    }
  }, 120_000);

  it('fits a 390 px phone: no sideways scroll, also with a row open and in a project', async () => {
    const w = await watchedPage(bed.ctx);
    const { page } = w;
    await page.setViewportSize({ width: 390, height: 844 });
    const width = () => page.evaluate(() => document.scrollingElement!.scrollWidth);
    for (const path of ['/', '/?status=error', `/?project=${encodeURIComponent(HTML_PROJECT)}`]) {
      await page.goto(`${bed.c.url}${path}`);
      await loaded(page);
      expect(await width(), path).toBeLessThanOrEqual(390);
    }
    await page.goto(`${bed.c.url}/?status=error`);
    await loaded(page);
    await page.click('#calls-body tr.call-row');
    await page.waitForSelector('tr.call-detail dl');
    expect(await width()).toBeLessThanOrEqual(390);
    await screenshot(page, 'page-phone-open-row');
  });
});
