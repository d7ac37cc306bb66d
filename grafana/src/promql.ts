// PromQL shapes the dashboards share. Totals are the increase over the picked range
// and speeds a rate over $__rate_interval, never a counter's raw value: a raw
// counter ignores the time picker and drops to zero when the collector restarts.

import type { Expr } from './panels.js';

const by = (labels: string) => (labels === '' ? '' : ` by (${labels})`);

/** What `metric` added up to over the dashboard's range, summed by `labels`. */
export function total(metric: string, filter: string, labels = ''): string {
  return `sum${by(labels)} (increase(${metric}{${filter}}[$__range]))`;
}

/** How fast `metric` grows, per `per` seconds (3600: per hour), summed by `labels`. */
export function speed(metric: string, filter: string, labels: string, per: number): string {
  return `sum${by(labels)} (rate(${metric}{${filter}}[$__rate_interval])) * ${per}`;
}

/** The q-quantile of a histogram, by `labels`, over `window` ('$__range' or '$__rate_interval'). */
export function quantile(
  q: number,
  histogram: string,
  filter: string,
  labels: string,
  window: string,
): string {
  const le = labels === '' ? 'le' : `le, ${labels}`;
  return `histogram_quantile(${q}, sum by (${le}) (rate(${histogram}_bucket{${filter}}[${window}])))`;
}

/** A legend naming each series by `labels`: 'provider, model' as '{{provider}} {{model}}'. */
const legendOf = (labels: string) =>
  labels
    .split(', ')
    .map((l) => `{{${l}}}`)
    .join(' ');

/** `total` by `labels`, each series named by them. */
export const totalBy = (metric: string, filter: string, labels: string): Expr => ({
  expr: total(metric, filter, labels),
  legend: legendOf(labels),
});

/** `speed` by `labels`, each series named by them. */
export const speedBy = (metric: string, filter: string, labels: string, per: number): Expr => ({
  expr: speed(metric, filter, labels, per),
  legend: legendOf(labels),
});
