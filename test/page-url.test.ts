/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser: they need its types.
import { describe, expect, it } from 'vitest';
import { callIds, canRunBrowser, HTML_PROJECT, loaded } from './page-harness.js';
import { search, usePageTestbed, week } from './page-testbed.js';

// The usage page's view lives in its URL, in a real headless Chromium against a
// real collector: filters, pages, ranges and the open row go into the URL and
// come back from it, and the table follows the API.

const bed = usePageTestbed();
const { api, open } = bed;

describe.skipIf(!canRunBrowser)('the usage page: the view in the URL', () => {
  it('filters and pages change the table and the URL; back goes back', async () => {
    const { page } = await open('/');
    const first = await api<{ total: number; calls: { id: string }[] }>('calls', {
      ...week(),
      page_size: '20',
    });
    expect(first.total).toBe(58);
    expect(await callIds(page)).toEqual(first.calls.map((x) => x.id));
    expect(await page.textContent('#page-info')).toBe('1–20 of 58');

    await page.click('#next');
    await page.waitForURL(/page=2/);
    const second = await api<{ calls: { id: string }[] }>('calls', {
      ...week(),
      page: '2',
      page_size: '20',
    });
    await expect.poll(() => callIds(page)).toEqual(second.calls.map((x) => x.id));
    expect(await page.textContent('#page-info')).toBe('21–40 of 58');

    await page.selectOption('select[data-filter=project]', 'support');
    await page.waitForURL((u) => u.searchParams.get('project') === 'support');
    expect(search(page)).toEqual({ project: 'support' });
    const support = await api<{ total: number; calls: { id: string }[] }>('calls', {
      ...week(),
      project: 'support',
      page_size: '20',
    });
    expect(support.total).toBe(23);
    await expect.poll(() => callIds(page)).toEqual(support.calls.map((x) => x.id));
    expect(await page.textContent('#calls-count')).toBe('23 calls');

    await page.selectOption('select[data-filter=status]', 'error');
    await page.waitForURL((u) => u.searchParams.get('status') === 'error');
    expect(search(page)).toEqual({ project: 'support', status: 'error' });
    await expect.poll(() => page.$$eval('#calls-body tr.call-row', (r) => r.length)).toBe(8);
    expect(await page.$$eval('#calls-body tr.call-row:not(.failed)', (r) => r.length)).toBe(0);
    expect(await page.$eval('[data-card=calls]', (e) => (e as HTMLElement).dataset.value)).toBe(
      '8',
    );

    await page.goBack();
    await expect.poll(() => callIds(page)).toEqual(support.calls.map((x) => x.id));
    expect(await page.inputValue('select[data-filter=status]')).toBe('');
    expect(await page.inputValue('select[data-filter=project]')).toBe('support');

    await page.click('button[data-range="24h"]');
    await page.waitForURL(/range=24h/);
    expect(search(page)).toEqual({ range: '24h', project: 'support' });

    await page.click('#clear');
    await page.waitForURL((u) => !u.searchParams.has('project'));
    expect(search(page)).toEqual({ range: '24h' });
  });

  it('a URL with filters restores them: menus, range, page and sort', async () => {
    const { page } = await open(
      '/?range=24h&project=support&model=gpt-4o&status=error&sort=latency&order=asc',
    );
    expect({
      project: await page.inputValue('select[data-filter=project]'),
      model: await page.inputValue('select[data-filter=model]'),
      status: await page.inputValue('select[data-filter=status]'),
      provider: await page.inputValue('select[data-filter=provider]'),
      range: await page.getAttribute('button[data-range="24h"]', 'aria-pressed'),
      sorted: await page.$$eval('th[aria-sort=ascending]', (t) => t.map((e) => e.textContent)),
    }).toEqual({
      project: 'support',
      model: 'gpt-4o',
      status: 'error',
      provider: '',
      range: 'true',
      sorted: ['Latency'],
    });
    const want = await api<{ calls: { id: string }[] }>('calls', {
      project: 'support',
      model: 'gpt-4o',
      status: 'error',
      sort: 'latency',
      order: 'asc',
      page_size: '20',
    });
    expect(want.calls).toHaveLength(8);
    expect(await callIds(page)).toEqual(want.calls.map((x) => x.id));

    const paged = await open('/?page=3');
    expect(await paged.page.textContent('#page-info')).toBe('41–58 of 58');
    expect(await paged.page.isDisabled('#next')).toBe(true);
  });

  it('a custom range is picked in the form and kept in the URL as UTC', async () => {
    const { page } = await open('/?range=24h');
    await page.click('button[data-range="custom"]');
    await page.waitForSelector('#custom:not([hidden])');
    // The browser runs in UTC, so the local time typed is the UTC one.
    const minute = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000);
    const from = minute(Date.now() - 50 * 60_000);
    const to = minute(Date.now() + 2 * 60_000);
    await page.fill('#custom-from', from.toISOString().slice(0, 16));
    await page.fill('#custom-to', to.toISOString().slice(0, 16));
    await page.click('#custom button[type=submit]');
    await page.waitForURL((u) => u.searchParams.get('from') === from.toISOString());
    expect(search(page)).toEqual({
      range: 'custom',
      from: from.toISOString(),
      to: to.toISOString(),
    });
    const s = await api<{ calls: number }>('summary', {
      from: from.toISOString(),
      to: to.toISOString(),
    });
    expect(s.calls).toBeGreaterThan(0);
    expect(s.calls).toBeLessThan(58);
    await expect
      .poll(() => page.$eval('[data-card=calls]', (e) => (e as HTMLElement).dataset.value))
      .toBe(String(s.calls));
  });

  it('a row opens to the error and the details; the open row is in the URL', async () => {
    const { page } = await open('/?status=error&project=support');
    const failed = await api<{ calls: { id: string; trace_id: string; error_type: string }[] }>(
      'calls',
      { status: 'error', project: 'support', page_size: '1' },
    );
    const call = failed.calls[0]!;
    await page.click(`tr.call-row[data-id="${call.id}"]`);
    await page.waitForURL((u) => u.searchParams.get('call') === call.id);
    await page.waitForSelector('tr.call-detail dl');
    expect(await page.textContent('tr.call-detail .error-box strong')).toBe('rate_limit_exceeded');
    await expect.poll(() => page.textContent('tr.call-detail dl')).toContain(call.trace_id);
    expect(await page.getAttribute(`tr.call-row[data-id="${call.id}"]`, 'aria-expanded')).toBe(
      'true',
    );
    await page.reload();
    await loaded(page);
    await page.waitForSelector('tr.call-detail .error-box');
    // Unpriced costs read 'unpriced', never $0.
    const lab = await open(`/?project=${encodeURIComponent(HTML_PROJECT)}`);
    const costs = await lab.page.$$eval('#calls-body tr.call-row td:last-child', (t) =>
      t.map((e) => e.textContent),
    );
    expect(new Set(costs)).toEqual(new Set(['unpriced']));
    expect(await lab.page.textContent('[data-card=cost] .card-value')).toBe('unpriced');
  });
});
