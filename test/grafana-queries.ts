import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// What the committed dashboards ask of Prometheus and of the collector's JSON API,
// read from grafana/dashboards/*.json (the files Grafana loads), and a small PromQL
// reader that names the metrics and labels an expression uses.

export const DASHBOARD_DIR = fileURLToPath(new URL('../grafana/dashboards/', import.meta.url));
export const RULES_DIR = fileURLToPath(new URL('../prometheus/rules/', import.meta.url));

interface JsonPanel {
  type: string;
  title: string;
  timeFrom?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Record<string, unknown>[];
  panels?: JsonPanel[];
}

export interface JsonDashboard {
  uid: string;
  title: string;
  templating: { list: Record<string, unknown>[] };
  panels: JsonPanel[];
}

/** One PromQL query of a panel, or of a variable (then `panel` is `$name`). */
export interface PromQuery {
  dashboard: string;
  panel: string;
  expr: string;
  legend: string;
  instant: boolean;
  /** The panel's own relative range ("now/d"), when it overrides the dashboard's. */
  timeFrom?: string;
}

/** One request of an Infinity panel to the collector. */
export interface ApiQuery {
  dashboard: string;
  panel: string;
  url: string;
  params: { key: string; value: string }[];
  rootSelector: string;
  columns: { selector: string; text: string; type: string }[];
}

export function committedDashboards(): { file: string; dashboard: JsonDashboard }[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as JsonDashboard,
    }));
}

export function allPanels(d: JsonDashboard): JsonPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function promQueries(dashboards: JsonDashboard[]): PromQuery[] {
  const out: PromQuery[] = [];
  for (const d of dashboards) {
    for (const v of d.templating.list) {
      if (v.type !== 'query') continue;
      // Grafana's label_values(selector, label): the selector is PromQL, the label must be on it.
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(String(v.query));
      if (!m) throw new Error(`${d.uid}: variable ${v.name} is not label_values(selector, label)`);
      out.push({
        dashboard: d.uid,
        panel: `$${v.name}`,
        expr: m[1]!,
        legend: `{{${m[2]}}}`,
        instant: true,
      });
    }
    for (const p of allPanels(d))
      for (const t of p.targets ?? [])
        if (typeof t.expr === 'string')
          out.push({
            dashboard: d.uid,
            panel: p.title,
            expr: t.expr,
            legend: String(t.legendFormat ?? ''),
            instant: t.instant === true,
            ...(p.timeFrom ? { timeFrom: p.timeFrom } : {}),
          });
  }
  return out;
}

export function apiQueries(dashboards: JsonDashboard[]): ApiQuery[] {
  const out: ApiQuery[] = [];
  for (const d of dashboards)
    for (const p of allPanels(d))
      for (const t of p.targets ?? [])
        if (t.source === 'url')
          out.push({
            dashboard: d.uid,
            panel: p.title,
            url: String(t.url),
            params: (t.url_options as { params: ApiQuery['params'] }).params,
            rootSelector: String(t.root_selector),
            columns: t.columns as ApiQuery['columns'],
          });
  return out;
}

/** Grafana's variables in an expression, replaced as Grafana would for the given values. */
export function substitute(
  expr: string,
  values: { project?: string; provider?: string; model?: string },
  durations: { range: string; rateInterval: string; interval: string },
): string {
  return expr
    .replaceAll('$__rate_interval', durations.rateInterval)
    .replaceAll('$__range', durations.range)
    .replaceAll('$__interval', durations.interval)
    .replaceAll('$project', values.project ?? '.*')
    .replaceAll('$provider', values.provider ?? '.*')
    .replaceAll('$model', values.model ?? '.*');
}

/** A label matcher of a selector: `label op "value"`. */
export interface Matcher {
  label: string;
  op: string;
  value: string;
}

/** A metric (or recording rule) an expression reads, with the matchers it names. */
export interface Selector {
  metric: string;
  matchers: Matcher[];
}

export interface ParsedExpr {
  selectors: Selector[];
  /** Labels of `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`, `group_*(...)`. */
  grouping: string[];
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'atan2',
  'inf',
  'nan',
  'start',
  'end',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

const TOKEN =
  /\s+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[smhdwy]|ms)*|[A-Za-z_:][\w:]*|=~|!~|!=|==|>=|<=|./gs;

/**
 * The metrics and labels of a PromQL expression (variables already replaced).
 * An identifier followed by `(` is a function or aggregation; after a grouping
 * keyword the parenthesised identifiers are labels; inside `{}` come matchers;
 * any other identifier that is no keyword is a metric name. Durations inside `[]`
 * and strings are skipped.
 */
export function parsePromql(expr: string): ParsedExpr {
  const tokens = [...expr.matchAll(TOKEN)].map((m) => m[0]).filter((t) => !/^\s+$/.test(t));
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '[') {
      while (i < tokens.length && tokens[i] !== ']') i++;
      continue;
    }
    if (GROUPING.has(t) && tokens[i + 1] === '(') {
      for (i += 2; i < tokens.length && tokens[i] !== ')'; i++)
        if (tokens[i] !== ',') grouping.push(tokens[i]!);
      continue;
    }
    if (t === '{' || /^[A-Za-z_:]/.test(t)) {
      // A function, an aggregation (`sum by (...)` too) or a keyword.
      const next = tokens[i + 1];
      if (t !== '{' && (KEYWORDS.has(t) || next === '(' || next === 'by' || next === 'without'))
        continue;
      const selector: Selector = { metric: t === '{' ? '' : t, matchers: [] };
      if (t !== '{') i++;
      if (tokens[i] === '{') {
        for (i++; i < tokens.length && tokens[i] !== '}'; i++) {
          if (tokens[i] === ',') continue;
          const [label, op, quoted] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!];
          selector.matchers.push({ label, op, value: JSON.parse(`"${quoted.slice(1, -1)}"`) });
          i += 2;
        }
      } else i--;
      const name = selector.matchers.find((m) => m.label === '__name__');
      if (selector.metric === '' && name) selector.metric = name.value;
      selectors.push(selector);
    }
  }
  return { selectors, grouping };
}

/** Labels a legend format names: `{{model}}` -> model. */
export const legendLabels = (legend: string): string[] =>
  [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
