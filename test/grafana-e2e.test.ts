import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { variable as ref } from '../grafana/src/datasources.js';
import { type FakeOpenAI, openaiTestbed } from '../instrumentation/test/fake-openai.js';
import type { Telemetry } from '../instrumentation/test/harness.js';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { traffic } from './grafana-app.js';
import {
  apiQueries,
  committedDashboards,
  type PromQuery,
  promQueries,
  RULES_DIR,
  substitute,
} from './grafana-queries.js';
import { exportSpans } from './grafana-traffic.js';
import { type RunningPrometheus, type Sample, startPrometheus } from './prometheus-harness.js';

// The dashboards against the real thing: the openai SDK patched by
// @costlens/instrumentation calls a fake OpenAI; its spans go to a real collector
// (keys on, as in the compose stack); a real Prometheus scrapes it every second with
// the recording rules of prometheus/rules/ loaded. Every panel's PromQL is then run
// through Prometheus's HTTP API, and the money agrees with the collector's own API.

const INGEST_KEY = 'ingest-key-grafana-0123456789';
const READ_KEY = 'read-key-grafana-0123456789';
const dashboards = committedDashboards().map((d) => d.dashboard);
const queries = promQueries(dashboards);
const ALL = {};
const SHOP = { project: 'shop', provider: 'openai' };

let collector: RunningCollector | undefined;
let prometheus: RunningPrometheus | undefined;
let bed: { server: FakeOpenAI; t: Telemetry } | undefined;
afterAll(async () => {
  await prometheus?.close();
  await collector?.close();
  await bed?.t.shutdown();
  await bed?.server.close();
});

function prometheusConfig(target: string): string {
  const rules = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f));
  return [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${rules.map((f) => `'${join(RULES_DIR, f)}'`).join(', ')}]`,
    'scrape_configs:',
    '  - job_name: costlens',
    `    authorization: { credentials: '${READ_KEY}' }`,
    `    static_configs: [{ targets: ['${target}'] }]`,
    '',
  ].join('\n');
}

describe('every dashboard query against Prometheus scraping a collector fed by an instrumented app', () => {
  it('parses, returns data, and agrees with the collector API to the cent', async () => {
    collector = await startCollector({
      keys: { ingest: [{ key: INGEST_KEY }], read: [{ key: READ_KEY }], admin: [] },
      budgets: [
        {
          name: 'shop-monthly',
          scope: { project: 'shop' },
          period: 'month',
          timezone: 'UTC',
          limit_usd: 2,
          alert_at: [0.8, 1],
          notify: [],
        },
      ],
    });
    const c = collector;
    const testbed = await openaiTestbed();
    bed = testbed;
    prometheus = await startPrometheus({ config: prometheusConfig(new URL(c.url).host) });
    const prom = prometheus;
    const calls = 'sum(costlens_calls_total)';
    // The time of the last scrape: the ranges below start and end on one, so
    // increase() has nothing to extrapolate and is exact.
    const lastScrape = async () =>
      Math.round((await prom.query('max(timestamp(costlens_calls_total))'))[0]!.value * 1000);
    /** Exports the spans finished so far; returns how many (the calls the collector stores). */
    const send = async () => {
      const spans = testbed.t.spans();
      await exportSpans(c.url, spans, INGEST_KEY);
      testbed.t.reset();
      return spans.length;
    };

    // A first round makes every series, so the measured range sees each from its start.
    await traffic(testbed.client, testbed.server, 2);
    const first = await send();
    await prom.waitFor(calls, (s) => s[0]?.value === first, 20_000);
    const t0 = await lastScrape();
    await traffic(testbed.client, testbed.server, 3);
    const second = await send();
    expect(second).toBe(first + 2); // one more plain chat call per project
    await prom.waitFor(calls, (s) => s[0]?.value === first + second, 20_000);
    // The failure ratio is a recording rule of calls in the last 15 minutes: it has a
    // series once the second round moved the counters, a rule evaluation later.
    // The range ends on a scrape after the rule's first evaluation, so it sees both.
    await prom.waitFor(
      'max(timestamp(costlens_calls_total)) - max(timestamp(model:costlens_calls_failed:ratio_rate15m))',
      (s) => (s[0]?.value ?? 0) > 0,
      10_000,
    );
    const t1 = await lastScrape();

    const midnight = t1 - (t1 % 86_400_000);
    async function evaluate(q: PromQuery, values: Record<string, string>): Promise<Sample[]> {
      const range = q.timeFrom === 'now/d' ? t1 - midnight : t1 - t0;
      const expr = substitute(q.expr, values, {
        range: `${range}ms`,
        rateInterval: `${t1 - t0}ms`,
        interval: '1s',
      });
      if (q.instant) return prom.query(expr, t1 / 1000);
      const data = await prom.api<{
        result: { metric: Record<string, string>; values: [number, string][] }[];
      }>(
        `query_range?query=${encodeURIComponent(expr)}&start=${t0 / 1000}&end=${t1 / 1000}&step=1`,
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.values.at(-1)![1]) }));
    }

    // Each query, with All and with one project and provider: parses and returns data.
    const empty: string[] = [];
    // With one model too: it parses and keeps to the model, though a model has no images.
    const MODEL = { model: 'gpt-4o-mini-2024-07-18' };
    let evaluated = 0;
    for (const values of [ALL, SHOP, MODEL])
      for (const q of queries) {
        const samples = await evaluate(q, values).catch((err: Error) => {
          throw new Error(`${q.dashboard} / ${q.panel}: ${err.message}`);
        });
        evaluated++;
        if (samples.length === 0 && values !== MODEL)
          empty.push(`${q.dashboard} / ${q.panel} ${JSON.stringify(values)}`);
        // A panel shows only the picked values (a variable's own query lists the choices).
        if (!q.panel.startsWith('$'))
          for (const s of samples)
            for (const [label, value] of Object.entries(values))
              if (s.metric[label] !== undefined) expect(s.metric[label], q.panel).toBe(value);
      }
    expect(empty).toEqual([]);
    expect(evaluated).toBe(queries.length * 3);
    expect(queries.length).toBeGreaterThan(50);

    // The money and the counts, as the panels show them, against the collector's API.
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${c.url}${path}`, {
        headers: { authorization: `Bearer ${READ_KEY}` },
      });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    const window = `from=${t0}&to=${t1 + 1}`;
    for (const [values, filter] of [
      [ALL, ''],
      [SHOP, '&project=shop&provider=openai'],
    ] as const) {
      const panel = async (dashboard: string, title: string, at = 0) => {
        const q = queries.filter((x) => x.dashboard === dashboard && x.panel === title)[at];
        expect(q, title).toBeDefined();
        return evaluate(q!, values);
      };
      const one = async (dashboard: string, title: string) =>
        (await panel(dashboard, title))[0]!.value;
      const sum = (s: Sample[]) => s.reduce((a, x) => a + x.value, 0);
      const s = await get<Summary>(`/api/v1/summary?${window}${filter}`);
      // The range holds the second round exactly: its calls, all of them (or shop's).
      if (filter === '') expect(s.calls).toBe(second);
      else expect(s.calls).toBeGreaterThan(0);
      expect(await one('costlens-cost', 'Spend in range')).toBeCloseTo(s.cost_usd, 6);
      expect(s.cost_usd).toBeGreaterThan(0);
      expect(await one('costlens-cost', 'Cost per priced call')).toBeCloseTo(
        s.cost_usd / (s.calls - s.unpriced_calls),
        9,
      );
      for (const by of ['model', 'project', 'provider']) {
        const bars = await panel('costlens-cost', `Spend by ${by}`);
        const { rows } = await get<{ rows: { key: string; cost_usd: number | null }[] }>(
          `/api/v1/breakdown?by=${by}&${window}${filter}`,
        );
        const priced = rows.filter((r) => r.cost_usd !== null && r.cost_usd > 0);
        expect(new Set(bars.filter((b) => b.value > 0).map((b) => b.metric[by])), by).toEqual(
          new Set(priced.map((r) => r.key)),
        );
        for (const r of priced)
          expect(bars.find((b) => b.metric[by] === r.key)!.value, `${by} ${r.key}`).toBeCloseTo(
            r.cost_usd!,
            6,
          );
      }
      expect(sum(await panel('costlens-cost', 'Cost per call by model'))).toBeCloseTo(
        s.cost_usd,
        6,
      );
      expect(await one('costlens-cost', 'Unpriced calls')).toBe(s.unpriced_calls);
      expect(await one('costlens-usage', 'Calls')).toBe(s.calls);
      expect(await one('costlens-usage', 'Tokens')).toBe(s.tokens.input + s.tokens.output);
      expect(await one('costlens-usage', 'Cache share of input')).toBeCloseTo(
        s.tokens.cache_read / s.tokens.input,
        9,
      );
      expect(await one('costlens-usage', 'Images')).toBe(s.images);
      expect(await one('costlens-usage', 'Video')).toBe(s.video_seconds);
      expect(await one('costlens-failures', 'Failed calls')).toBe(s.failed_calls);
      expect(await one('costlens-failures', 'Error rate')).toBeCloseTo(s.failed_calls / s.calls, 9);
      expect(s.unpriced_calls * s.images * s.video_seconds * s.failed_calls).toBeGreaterThan(0);
    }
    const { budgets } = await get<{ budgets: { spent_usd: number; limit_usd: number }[] }>(
      '/api/v1/budgets',
    );
    const budgetPanel = queries.find((q) => q.panel === 'Budgets')!;
    expect((await evaluate(budgetPanel, ALL))[0]!.value).toBeCloseTo(budgets[0]!.spent_usd, 2);

    // The JSON-API panel's request, as Infinity sends it, gives the columns it names.
    const api = apiQueries(dashboards);
    expect(api.length).toBeGreaterThan(0);
    for (const q of api) {
      const url = new URL(q.url, c.url);
      for (const { key, value } of q.params)
        url.searchParams.set(
          key,
          value
            .replace(ref('__from'), String(t0 - 120_000))
            .replace(ref('__to'), String(Date.now())),
        );
      expect((await fetch(url)).status, 'no key: Grafana sends the read key').toBe(401);
      const body = await get<Record<string, Record<string, unknown>[]>>(url.pathname + url.search);
      const rows = body[q.rootSelector]!;
      expect(rows.length, q.panel).toBe(2); // the 400 of each round
      for (const row of rows)
        for (const col of q.columns)
          expect(Object.keys(row), `${q.panel}: ${col.selector}`).toContain(col.selector);
      expect(rows.map((r) => r.error_message)).toEqual([
        expect.stringContaining("Invalid value for 'temperature'."),
        expect.stringContaining("Invalid value for 'temperature'."),
      ]);
    }
  }, 90_000);
});

interface Summary {
  calls: number;
  failed_calls: number;
  unpriced_calls: number;
  cost_usd: number;
  images: number;
  video_seconds: number;
  tokens: { input: number; output: number; cache_read: number };
}
