// PromQL shapes the dashboards share. Totals are the increase over the picked range
// and speeds a rate over $__rate_interval, never a counter's raw value: a raw
// counter ignores the time picker and drops to zero when the collector restarts.

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
