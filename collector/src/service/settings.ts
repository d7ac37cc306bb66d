/**
 * Every setting of the collector described once: where it sits in costlens.yaml,
 * what it holds and allows, its environment variable and flag, and what it means.
 * loadConfig takes its environment variables and number bounds from here, and
 * docs/configuration.md is generated from here with the defaults of DEFAULT_CONFIG,
 * so the two cannot say different things (collector/test/config-doc.test.ts).
 */

/** What a setting holds; the whole numbers and their bounds are enforced by loadConfig from this table. */
export type SettingKind =
  | 'text'
  | 'whole'
  | 'positive'
  | 'boolean'
  | 'keys'
  | 'caps'
  | 'list'
  | 'budget-text';

export interface Setting {
  /** Where it is written in costlens.yaml: `port`, `limits.tokens_per_call`, `budgets[].period`. */
  path: string;
  /** The heading it is listed under in docs/configuration.md. */
  group: string;
  kind: SettingKind;
  /** Whole numbers (and each number of `caps`): the largest value; the smallest is 1. */
  max?: number;
  /** What is allowed, in words, where `kind` and `max` do not say it. */
  allowed?: string;
  /** The value when none is given, in words, where DEFAULT_CONFIG has none to show. */
  defaultText?: string;
  /** The COSTLENS_* variable that sets it (in place of the file's value). */
  env?: string;
  /** The flag that sets it, and the commands that take the flag. */
  flag?: { name: string; commands: readonly string[] };
  /** One sentence: what it does and when to change it. */
  meaning: string;
}

const ANY = Number.MAX_SAFE_INTEGER;
const DB_COMMANDS = ['start', 'recompute', 'export', 'db'] as const;

export const SETTINGS: readonly Setting[] = [
  // The server.
  {
    path: 'host',
    group: 'Server',
    kind: 'text',
    env: 'COSTLENS_HOST',
    flag: { name: '--host', commands: ['start'] },
    meaning:
      'Address to listen on. Anything but loopback (127.0.0.1, ::1, localhost) needs keys; in a container use 0.0.0.0 with keys.',
  },
  {
    path: 'port',
    group: 'Server',
    kind: 'whole',
    max: 65_535,
    env: 'COSTLENS_PORT',
    flag: { name: '--port', commands: ['start'] },
    meaning:
      'Port of OTLP/HTTP ingest, /metrics, the query API and the usage page (all on one port).',
  },
  {
    path: 'db',
    group: 'Server',
    kind: 'text',
    env: 'COSTLENS_DB',
    flag: { name: '--db', commands: DB_COMMANDS },
    meaning:
      'The SQLite file, created with its folder by `costlens start`; the other commands read it.',
  },
  {
    path: 'prices',
    group: 'Server',
    kind: 'text',
    defaultText: 'none (the bundled catalogue alone)',
    env: 'COSTLENS_PRICES',
    flag: { name: '--prices', commands: ['recompute'] },
    meaning:
      'A price override file (JSON or YAML) laid over the catalogue: your negotiated prices and models the catalogue lacks.',
  },
  // What one request may bring.
  {
    path: 'max_body_bytes',
    group: 'Requests',
    kind: 'whole',
    max: ANY,
    env: 'COSTLENS_MAX_BODY_BYTES',
    meaning:
      'Largest export body, compressed and again after gzip; a larger one gets 413 and is not stored.',
  },
  {
    path: 'max_spans_per_request',
    group: 'Requests',
    kind: 'whole',
    max: ANY,
    env: 'COSTLENS_MAX_SPANS_PER_REQUEST',
    meaning:
      'Spans in one export request; a larger request gets 413 and is not stored (lower the exporter’s batch size).',
  },
  {
    path: 'body_timeout_ms',
    group: 'Requests',
    kind: 'whole',
    max: 3_600_000,
    env: 'COSTLENS_BODY_TIMEOUT_MS',
    meaning:
      'Time a request has to send its headers and whole body; a slower one gets 408 and its connection is closed.',
  },
  {
    path: 'max_inflight',
    group: 'Requests',
    kind: 'whole',
    max: 10_000,
    env: 'COSTLENS_MAX_INFLIGHT',
    meaning:
      'Export requests handled at once (counted once their body is read); more get 503 with Retry-After and the exporters retry.',
  },
  {
    path: 'max_inflight_per_key',
    group: 'Requests',
    kind: 'whole',
    max: ANY,
    meaning:
      'With keys: export requests one key may have in progress (reading or storing); more get 503 with Retry-After.',
  },
  {
    path: 'max_connections_per_client',
    group: 'Requests',
    kind: 'whole',
    max: ANY,
    meaning: 'Open connections from one address; more are closed at once.',
  },
  // Keys.
  {
    path: 'keys.ingest',
    group: 'Keys',
    kind: 'keys',
    allowed: 'each `key` at least 16 characters; optional `project`',
    env: 'COSTLENS_INGEST_KEYS',
    meaning:
      'Keys exporters send on /v1/* (`Authorization: Bearer <key>` or `x-api-key`). A key with `project` makes every record sent with it that project’s.',
  },
  {
    path: 'keys.read',
    group: 'Keys',
    kind: 'keys',
    allowed: 'each `key` at least 16 characters; optional `project`, `user`',
    env: 'COSTLENS_READ_KEYS',
    meaning:
      'Keys for /metrics, the query API and the usage page. A key with `project` or `user` sees only those calls.',
  },
  {
    path: 'keys.admin',
    group: 'Keys',
    kind: 'keys',
    allowed: 'each `key` at least 16 characters',
    env: 'COSTLENS_ADMIN_KEYS',
    meaning: 'Keys that may also delete calls and recompute through the API, and read everything.',
  },
  // Storage.
  {
    path: 'retention.calls_days',
    group: 'Storage',
    kind: 'whole',
    max: ANY,
    meaning:
      'Days raw calls are kept (checked hourly); hourly rollups are kept for good. Keep it longer than your longest budget period.',
  },
  // What one call can report.
  {
    path: 'limits.tokens_per_call',
    group: 'Limits of one call',
    kind: 'whole',
    max: ANY,
    meaning:
      'Largest count of each kind of token one span may report; beyond it the span is rejected.',
  },
  {
    path: 'limits.images_per_call',
    group: 'Limits of one call',
    kind: 'whole',
    max: ANY,
    meaning: 'Largest count of images one span may report; beyond it the span is rejected.',
  },
  {
    path: 'limits.video_seconds_per_call',
    group: 'Limits of one call',
    kind: 'positive',
    meaning: 'Longest video one span may report, in seconds; beyond it the span is rejected.',
  },
  {
    path: 'limits.cost_usd_per_call',
    group: 'Limits of one call',
    kind: 'positive',
    meaning:
      'Largest cost of one call in USD; a call that prices beyond it is stored unpriced. The default keeps every cost exact in pico-dollars.',
  },
  // Content.
  {
    path: 'content.keep',
    group: 'Message content',
    kind: 'boolean',
    meaning:
      'Keep prompts, answers, tool arguments and results that spans carry (any convention); off, they are dropped at ingest.',
  },
  {
    path: 'content.max_chars',
    group: 'Message content',
    kind: 'whole',
    max: 1_000_000,
    meaning: 'Longest content value kept when `content.keep` is true; longer ones are cut.',
  },
  // /metrics.
  {
    path: 'label_caps',
    group: '/metrics',
    kind: 'caps',
    max: 100_000,
    defaultText:
      'none here; built in: model 200, project 100, provider 50, error_type 50, others 200',
    meaning:
      'Distinct values kept per /metrics label (`{ model: 500 }`); later values are counted under `__other__`.',
  },
  {
    path: 'max_label_length',
    group: '/metrics',
    kind: 'whole',
    max: 10_000,
    meaning: 'Longest /metrics label value; a longer one is cut and ends in `…`.',
  },
  {
    path: 'max_series_per_metric',
    group: '/metrics',
    kind: 'whole',
    max: 10_000_000,
    meaning:
      'Label sets per /metrics family; past it, new combinations are counted under `__other__`.',
  },
  // Budgets: a list, each item with these fields (validated by parseBudgets).
  {
    path: 'budgets',
    group: 'Budgets',
    kind: 'list',
    meaning:
      'Spending limits per calendar period, each with thresholds that POST a message to webhooks.',
  },
  {
    path: 'budgets[].name',
    group: 'Budgets',
    kind: 'budget-text',
    allowed: "1 to 64 letters, digits, '_', '.', ':', '-'; unique",
    defaultText: 'required',
    meaning: 'The budget’s name: the `budget` label of the budget gauges and the messages.',
  },
  ...(['project', 'user', 'account', 'provider', 'model'] as const).map(
    (field): Setting => ({
      path: `budgets[].${field}`,
      group: 'Budgets',
      kind: 'budget-text',
      allowed: 'non-empty text',
      defaultText: 'any',
      meaning: `Count only the calls of this ${field}${field === 'model' ? ' (the response model, else the request model)' : ''}.`,
    }),
  ),
  {
    path: 'budgets[].period',
    group: 'Budgets',
    kind: 'budget-text',
    allowed: '`day`, `week` (from Monday) or `month`',
    meaning: 'The calendar period the spend is counted over.',
  },
  {
    path: 'budgets[].timezone',
    group: 'Budgets',
    kind: 'budget-text',
    allowed: 'an IANA time zone such as Europe/Paris',
    meaning: 'The zone in which the periods start at midnight.',
  },
  {
    path: 'budgets[].limit_usd',
    group: 'Budgets',
    kind: 'budget-text',
    allowed: 'a number of dollars above 0',
    defaultText: 'required',
    meaning: 'The limit of the period’s spend, in USD.',
  },
  {
    path: 'budgets[].alert_at',
    group: 'Budgets',
    kind: 'budget-text',
    allowed: 'a non-empty list of fractions above 0, at most 10',
    meaning:
      'Fractions of the limit whose crossing sends one message per period (a forecast past the limit sends one too).',
  },
  {
    path: 'budgets[].notify',
    group: 'Budgets',
    kind: 'budget-text',
    allowed: 'a list of http or https URLs',
    meaning:
      'Webhooks each message is POSTed to as JSON (a Slack or Teams incoming webhook shows its `text`).',
  },
];

/** The setting at `path`; throws for a path no setting has, so a typo cannot pass. */
export function setting(path: string): Setting {
  const s = SETTINGS.find((x) => x.path === path);
  if (!s) throw new Error(`no setting ${path} in SETTINGS`);
  return s;
}

/** The largest value of a whole-number setting (or of each number of a `caps` one). */
export function maxOf(path: string): number {
  const { max } = setting(path);
  if (max === undefined) throw new Error(`setting ${path} has no largest value`);
  return max;
}
