import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  legendLabels,
  type PromQuery,
  parsePromql,
  RULES_DIR,
  substitute,
} from './grafana-queries.js';

// Holds a dashboard query to what exists: the metric names, labels and label values
// a real collector's /metrics shows, and the recording rules prometheus/rules/ defines.

/** Sample name -> label -> the values seen. */
export type Exposed = Map<string, Map<string, Set<string>>>;

/** The samples of a Prometheus text exposition, by name, with their labels' values. */
export function exposedMetrics(text: string): Exposed {
  const out: Exposed = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+/.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]!) ?? new Map<string, Set<string>>();
    out.set(m[1]!, labels);
    for (const [, name, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (!labels.has(name!)) labels.set(name!, new Set());
      labels.get(name!)!.add(value!);
    }
  }
  return out;
}

/**
 * The recording rules in prometheus/rules/*.yml, by name, with the labels their
 * level says they keep (`provider_model_project:...` keeps provider, model, project).
 */
export function recordingRules(): Map<string, string[]> {
  const rules = new Map<string, string[]>();
  let files: string[] = [];
  try {
    files = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f));
  } catch {
    return rules;
  }
  for (const f of files) {
    const doc = parse(readFileSync(join(RULES_DIR, f), 'utf8')) as {
      groups?: { rules?: { record?: string }[] }[];
    };
    for (const g of doc.groups ?? [])
      for (const r of g.rules ?? [])
        if (r.record) rules.set(r.record, r.record.split(':')[0]!.split('_'));
  }
  return rules;
}

const ALL = { project: '.*', provider: '.*', model: '.*' };
const DURATIONS = { range: '1h', rateInterval: '1m', interval: '15s' };

/** Everything a query names that the collector does not expose, as sentences. */
export function queryProblems(
  q: PromQuery,
  exposed: Exposed,
  rules: Map<string, string[]>,
): string[] {
  const where = `${q.dashboard} / ${q.panel}`;
  const problems: string[] = [];
  const { selectors, grouping } = parsePromql(substitute(q.expr, ALL, DURATIONS));
  if (selectors.length === 0) problems.push(`${where}: no metric in ${q.expr}`);
  const labelSets: Set<string>[] = [];
  for (const { metric, matchers } of selectors) {
    let labels: Map<string, Set<string>> | undefined;
    if (metric.includes(':')) {
      const kept = rules.get(metric);
      if (!kept) problems.push(`${where}: no recording rule ${metric} in prometheus/rules/`);
      else labels = new Map(kept.map((l) => [l, new Set<string>()]));
    } else {
      labels = exposed.get(metric);
      if (!labels) problems.push(`${where}: the collector exposes no ${metric}`);
    }
    if (!labels) continue;
    labelSets.push(new Set(labels.keys()));
    for (const { label, op, value } of matchers) {
      const values = labels.get(label);
      if (!values) {
        problems.push(`${where}: ${metric} has no label ${label}`);
        continue;
      }
      // A value to match exactly, or the plain alternatives of a regex, must have been seen.
      if (metric.includes(':') || op.startsWith('!')) continue;
      const wanted = op === '=' ? [value] : /^[\w|-]+$/.test(value) ? value.split('|') : [];
      for (const v of wanted)
        if (!values.has(v)) problems.push(`${where}: ${metric} never has ${label}="${v}"`);
    }
  }
  // The labels every metric of the expression has.
  const common = new Set(labelSets[0]);
  for (const s of labelSets) for (const l of common) if (!s.has(l)) common.delete(l);
  for (const l of grouping)
    if (!common.has(l)) problems.push(`${where}: groups by ${l}, which not every metric has`);
  const result = grouping.length > 0 ? new Set(grouping) : common;
  for (const l of legendLabels(q.legend))
    if (!result.has(l)) problems.push(`${where}: the legend names ${l}, not in the result`);
  return problems;
}
