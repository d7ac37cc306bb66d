import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { type Exposed, exposedMetrics, queryProblems, recordingRules } from './grafana-check.js';
import { committedDashboards, type PromQuery, promQueries } from './grafana-queries.js';
import { coveringSpans, exportSpans } from './grafana-traffic.js';

// Every metric, label and label value a dashboard names must be on a real collector's
// /metrics after real exports (OpenLIT's dashboards went "No data" when a metric was
// renamed: openlit/openlit#731). Names with a ':' are recording rules, and must be
// defined in prometheus/rules/.

let collector: RunningCollector;
let exposed: Exposed;
const queries = promQueries(committedDashboards().map((d) => d.dashboard));

beforeAll(async () => {
  collector = await startCollector({
    budgets: [
      {
        name: 'shop-monthly',
        scope: { project: 'shop' },
        period: 'month',
        timezone: 'UTC',
        limit_usd: 5,
        alert_at: [0.8, 1],
        notify: [],
      },
    ],
  });
  await exportSpans(collector.url, coveringSpans());
  const res = await fetch(`${collector.url}/metrics`);
  expect(res.status).toBe(200);
  exposed = exposedMetrics(await res.text());
});
afterAll(async () => {
  await collector?.close();
});

describe('the dashboards name only what the collector exposes', () => {
  it('reads every panel and variable query of the three dashboards', () => {
    expect(new Set(queries.map((q) => q.dashboard)).size).toBe(3);
    expect(queries.length).toBeGreaterThan(50);
  });

  it('every metric, label and label value in every query exists', () => {
    const rules = recordingRules();
    const problems = queries.flatMap((q) => queryProblems(q, exposed, rules));
    expect(problems).toEqual([]);
  });

  it('uses the metrics of every family the issue asks for', () => {
    const named = new Set(queries.flatMap((q) => q.expr.match(/[a-z_:]*costlens_[a-z_]+/g) ?? []));
    for (const m of [
      'costlens_cost_usd_total',
      'costlens_calls_total',
      'costlens_tokens_total',
      'costlens_call_duration_seconds_bucket',
      'costlens_time_to_first_chunk_seconds_bucket',
      'costlens_retries_total',
      'costlens_images_total',
      'costlens_video_seconds_total',
      'costlens_unpriced_calls_total',
      'costlens_budget_limit_usd',
      'costlens_budget_spent_usd',
      'costlens_budget_forecast_usd',
    ])
      expect(named, m).toContain(m);
  });

  it('the check itself catches a renamed metric, a missing label, an unseen value and an unknown rule', () => {
    const rules = recordingRules();
    const q = (expr: string, legend = ''): PromQuery => ({
      dashboard: 'test',
      panel: 'p',
      expr,
      legend,
      instant: true,
    });
    const bad = [
      q('sum(increase(costlens_cost_total{model=~"$model"}[$__range]))'),
      q('sum(rate(costlens_call_duration_seconds_bucket{project=~"$project"}[$__rate_interval]))'),
      q('sum(increase(costlens_calls_total{status="failed"}[$__range]))'),
      q('sum by (user) (increase(costlens_calls_total[$__range]))'),
      q('sum by (model) (increase(costlens_calls_total[$__range]))', '{{project}}'),
      q('project:costlens_cost_usd:year_to_date'),
    ];
    expect(bad.map((b) => queryProblems(b, exposed, rules).length)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
