import { parseBudgets } from '../budgets/config.js';
import { ConfigError, checkExposure, DEFAULT_CONFIG, loadConfig } from './config.js';
import { SETTINGS, type Setting } from './settings.js';

/**
 * docs/configuration.md, made from SETTINGS, DEFAULT_CONFIG (with DEFAULT_LIMITS and
 * DEFAULT_CONTENT in it) and the defaults parseBudgets gives a budget, so the page
 * says what loadConfig does. collector/test/config-doc.test.ts fails when the
 * committed page differs; `npm run docs:config` writes it again.
 */

/** A complete costlens.yaml; the test loads it with loadConfig, so it stays valid. */
export const EXAMPLE_CONFIG = `# costlens.yaml: costlens start --config costlens.yaml
host: 0.0.0.0 # beyond loopback: keys below are then required
port: 4318
db: /var/lib/costlens/costlens.db
prices: /etc/costlens/prices.yaml # your price overrides (see the README)

# What one export request may bring, and how many are handled at once.
max_body_bytes: 16777216 # 16 MiB, also after gzip; more gets 413
max_spans_per_request: 10000 # more gets 413: lower the exporter's batch size
body_timeout_ms: 5000 # a body not all here by then gets 408
max_inflight: 64 # more get 503 with Retry-After; exporters retry
max_inflight_per_key: 16
max_connections_per_client: 256

keys:
  ingest:
    - key: ingest-key-replace-with-32-random-chars # OTEL_EXPORTER_OTLP_HEADERS=x-api-key=...
    - { key: team-a-key-replace-with-32-random-chars, project: team-a }
  read:
    - prometheus-key-replace-with-32-random-chars # Prometheus, Grafana, the page
    - { key: team-a-read-replace-with-32-random-chars, project: team-a }
  admin:
    - admin-key-replace-with-32-random-chars # may also delete and recompute

retention:
  calls_days: 90 # raw calls; hourly rollups are kept

limits: # what one call can plausibly report; a span beyond it is rejected
  tokens_per_call: 1000000000
  images_per_call: 100000
  video_seconds_per_call: 86400
  cost_usd_per_call: 9000

content:
  keep: false # true stores prompts and answers that spans carry
  max_chars: 1000

label_caps: { model: 500, project: 200 } # distinct values per /metrics label
max_label_length: 128
max_series_per_metric: 10000

budgets:
  - name: team-a-daily
    project: team-a
    period: day
    timezone: Europe/Paris
    limit_usd: 50
    alert_at: [0.5, 0.8, 1.0]
    notify: [https://hooks.slack.com/services/T000/B000/XXXX]
  - name: alice-weekly
    user: alice
    account: acme-prod
    period: week
    limit_usd: 20
    notify: [https://example.com/hooks/costlens]
  - name: gpt-4o-monthly
    provider: openai
    model: gpt-4o
    period: month
    limit_usd: 2000
    notify: [https://example.com/hooks/costlens]
`;

const n = (v: number) => v.toLocaleString('en-US');

/** What a value is and may be, in words. */
function typeOf(s: Setting): string {
  const upTo =
    s.max === undefined || s.max === Number.MAX_SAFE_INTEGER ? ' or more' : ` to ${n(s.max)}`;
  switch (s.kind) {
    case 'whole':
      return `whole number, 1${upTo}`;
    case 'positive':
      return 'number above 0';
    case 'boolean':
      return '`true` or `false`';
    case 'text':
      return 'text, not empty';
    case 'keys':
      return `list of keys (a string, or \`{ key, ... }\`): ${s.allowed}`;
    case 'caps':
      return `map of label name to whole number, 1${upTo}`;
    case 'list':
      return 'list of budgets with the fields below';
    case 'budget-text':
      return s.allowed ?? 'text';
  }
}

const code = (v: unknown) =>
  `\`${typeof v === 'string' ? v : Array.isArray(v) ? `[${v.join(', ')}]` : JSON.stringify(v)}\``;

/** A budget with only what it needs, so parseBudgets fills in every default. */
const BUDGET_DEFAULTS = parseBudgets([{ name: 'b', limit_usd: 1 }], 'budgets', (m) => {
  throw new Error(m);
})[0] as unknown as Record<string, unknown>;

/** The default loadConfig gives `s`: DEFAULT_CONFIG's, or parseBudgets' for a budget's field. */
export function defaultOf(s: Setting): string {
  if (s.defaultText !== undefined) return s.defaultText;
  const value = s.path.startsWith('budgets[].')
    ? BUDGET_DEFAULTS[s.path.slice('budgets[].'.length)]
    : s.path
        .split('.')
        .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], DEFAULT_CONFIG);
  if (value === null || value === undefined) throw new Error(`${s.path} has no default`);
  if (Array.isArray(value) && value.length === 0) return 'none';
  return code(value);
}

const cell = (text: string) => text.replaceAll('|', '\\|');

function table(settings: Setting[]): string[] {
  const rows = settings.map((s) => {
    const flag = s.flag ? `${code(s.flag.name)} (${s.flag.commands.join(', ')})` : '';
    const env = s.env ? code(s.env) : '';
    return `| ${code(s.path)} | ${cell(typeOf(s))} | ${cell(defaultOf(s))} | ${env} | ${flag} | ${cell(s.meaning)} |`;
  });
  return [
    '| setting | type and range | default | environment | flag | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

/** The message loadConfig or checkExposure gives for a bad setting, as `costlens start` shows it. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return `costlens: start: ${err.message}.`;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

export function renderConfigDoc(): string {
  const groups = [...new Set(SETTINGS.map((s) => s.group))];
  const envs = SETTINGS.filter((s) => s.env !== undefined);
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from collector/src/service/settings.ts and the defaults in',
    'collector/src/service/config.ts by `npm run docs:config`. Do not edit it by hand:',
    'collector/test/config-doc.test.ts fails when it differs from what they generate. -->',
    '',
    'Every setting of the collector: what it holds, its default and range, the',
    'environment variable and flag that set it, and what it does. The same settings',
    'serve `costlens start` and the commands that work on its database',
    '(`costlens recompute`, `export`, `db`).',
    '',
    '## Where settings come from',
    '',
    'Each setting is taken from the first of these that gives it:',
    '',
    '1. a flag (`costlens start --port 4320`);',
    `2. an environment variable: ${envs.map((s) => code(s.env)).join(', ')}.`,
    '   The key variables are comma-separated lists, each replacing the file’s list of',
    '   that kind (a container keeps its keys in secrets, not in the file);',
    '3. the config file, YAML or JSON, named by `--config FILE`;',
    '4. the default below.',
    '',
    'An empty variable counts as unset. Every value is checked before the collector',
    'starts; a wrong one stops it with exit status 2 and a sentence that names where the',
    'value came from and what it must be:',
    '',
    '```',
    refusal(() => loadConfig({ env: { COSTLENS_PORT: 'http' } })),
    refusal(() => loadConfig({ flags: { max_inflight: '0' } })),
    refusal(() => loadConfig({ env: { COSTLENS_ADMIN_KEYS: 'admin' } })),
    refusal(() => checkExposure(loadConfig({ flags: { host: '0.0.0.0' } }))),
    '```',
    '',
    '(With a file, the message begins with its path and the key: `costlens.yaml: port must be ...`.)',
    '',
    '## When a change takes effect',
    '',
    '`costlens start` reads its settings, and the price override file, once when it',
    'starts: after changing any of them, restart it (SIGTERM or Ctrl-C lets the',
    'requests in flight finish and closes the database first).',
    'Calls already stored keep the price they were given: `costlens recompute`',
    're-prices them with the new price file and the current `limits`. The other',
    'commands read the settings each time they run: `recompute` uses `db`, `prices`',
    'and `limits`; `export` and `db` use `db` (and `db info` shows `retention`).',
    '',
    '## Settings',
  ];
  for (const group of groups) {
    lines.push('', `### ${group}`, '', ...table(SETTINGS.filter((s) => s.group === group)));
  }
  lines.push(
    '',
    'Budgets are checked after each export that stored calls (at most once a second) and',
    'when the collector starts; see [Budgets](../collector/docs/api.md#budgets) for the',
    'messages, their delivery and the budget gauges, and [alerts](alerts.md) for',
    'Prometheus rules on them.',
    '',
    '## A complete costlens.yaml',
    '',
    '```yaml',
    EXAMPLE_CONFIG.trimEnd(),
    '```',
    '',
    'In a container, the keys and the host from the environment (the key lists replace the file’s):',
    '',
    '```sh',
    'COSTLENS_INGEST_KEYS=ingest-key-replace-with-32-random-chars,another-ingest-key-0123456789',
    'COSTLENS_READ_KEYS=prometheus-key-replace-with-32-random-chars',
    'COSTLENS_HOST=0.0.0.0',
    '```',
    '',
  );
  return lines.join('\n');
}
