import {
  addTotals,
  emptyTotals,
  type GroupBy,
  HOUR_MS,
  type Queries,
  type QueryFilter,
  type Totals,
} from '../store/queries.js';
import { byCost, costUsd, iso } from './json.js';
import { badRequest } from './params.js';

export const GRANULARITIES = { hour: HOUR_MS, day: 24 * HOUR_MS } as const;
export type Granularity = keyof typeof GRANULARITIES;
export const METRICS = ['cost', 'calls', 'tokens', 'failures', 'latency_p95'] as const;
export type Metric = (typeof METRICS)[number];

/** Buckets one answer may have: a year of hours. */
const MAX_BUCKETS = 10_000;
/** Series kept by group_by; the rest are folded into OTHER. */
const TOP_KEYS = 10;
const OTHER = '__other__';

/** The starts of the buckets (UTC) the window touches; `advice` says what to ask instead of too many. */
export function bucketStarts(
  f: QueryFilter,
  granularity: Granularity,
  advice = 'use granularity=day or a shorter window',
): number[] {
  const width = GRANULARITIES[granularity];
  const first = f.from - (f.from % width);
  const count = Math.ceil((f.to - first) / width);
  if (count > MAX_BUCKETS) {
    throw badRequest(
      `from and to span ${count} ${granularity}s, more than the ${MAX_BUCKETS} buckets an answer holds: ${advice}`,
    );
  }
  return Array.from({ length: count }, (_, i) => first + i * width);
}

/** A bucket's value of the metric; an empty bucket is 0 (latency: null, no calls, no latency). */
function bucketValue(metric: Metric, t: Totals | undefined): number | null {
  switch (metric) {
    case 'cost':
      return t === undefined ? 0 : costUsd(t);
    case 'calls':
      return t?.calls ?? 0;
    case 'tokens':
      return t === undefined ? 0 : t.input_tokens + t.output_tokens;
    case 'failures':
      return t?.failed ?? 0;
    case 'latency_p95': {
      const p = t?.latency.quantile(0.95) ?? null;
      return p === null ? null : Math.round(p * 1000) / 1000;
    }
  }
}

/** GET /timeseries: one series (or the top keys by cost, the rest as __other__), zero-filled. */
export function timeseries(
  queries: Queries,
  f: QueryFilter,
  granularity: Granularity,
  metric: Metric,
  groupBy: GroupBy | undefined,
) {
  const starts = bucketStarts(f, granularity);
  const groups = queries.groups(f, {
    ...(groupBy ? { by: groupBy } : {}),
    bucketMs: GRANULARITIES[granularity],
    latency: metric === 'latency_p95',
    sums: 'basic',
  });
  // Series key -> bucket start -> totals.
  const series = new Map<string | null, Map<number, Totals>>();
  let keyOf = (_k: string | null): string | null => 'all';
  if (groupBy) {
    const perKey = new Map<string | null, { key: string | null; totals: Totals }>();
    for (const g of groups) {
      const k = perKey.get(g.key) ?? { key: g.key, totals: emptyTotals() };
      addTotals(k.totals, g.totals);
      perKey.set(g.key, k);
    }
    const ranked = byCost([...perKey.values()]);
    const top = new Set(ranked.slice(0, TOP_KEYS).map((k) => k.key));
    for (const k of ranked) if (top.has(k.key)) series.set(k.key, new Map());
    if (ranked.length > TOP_KEYS) series.set(OTHER, new Map());
    keyOf = (k) => (top.has(k) ? k : OTHER);
  } else series.set('all', new Map());
  for (const g of groups) {
    const buckets = series.get(keyOf(g.key))!;
    const at = g.bucket!;
    const t = buckets.get(at) ?? emptyTotals();
    addTotals(t, g.totals);
    buckets.set(at, t);
  }
  return {
    granularity,
    metric,
    buckets: starts.map(iso),
    series: [...series].map(([key, buckets]) => ({
      key,
      values: starts.map((b) => bucketValue(metric, buckets.get(b))),
    })),
  };
}

/** A project's trend: calls and p95 latency per hour of the window. */
export function hourlyTrend(queries: Queries, f: QueryFilter) {
  const starts = bucketStarts(f, 'hour', 'ask for a shorter window (the trend is hourly)');
  const byHour = new Map<number, Totals>();
  for (const g of queries.groups(f, { bucketMs: HOUR_MS, latency: true, sums: 'basic' })) {
    byHour.set(g.bucket!, g.totals);
  }
  return {
    buckets: starts.map(iso),
    calls: starts.map((b) => bucketValue('calls', byHour.get(b))),
    latency_p95_ms: starts.map((b) => bucketValue('latency_p95', byHour.get(b))),
  };
}
