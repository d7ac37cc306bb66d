import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { type BudgetConfig, parseBudgets } from '../budgets/config.js';
import { type ContentPolicy, DEFAULT_CONTENT } from '../records/content.js';
import { type CallLimits, DEFAULT_LIMITS } from '../records/limits.js';
import { maxOf, SETTINGS, setting } from './settings.js';

export interface ApiKey {
  key: string;
  /**
   * An ingest key: records sent with it belong to this project, whatever the spans say.
   * A read key: it sees only this project's calls, on every endpoint and the page.
   */
  project?: string;
  /** A read key: it sees only this user's calls. */
  user?: string;
}

/**
 * Every setting; defaults in DEFAULT_CONFIG, descriptions, variables and bounds in
 * SETTINGS (settings.ts), from which docs/configuration.md is generated.
 */
export interface Config {
  host: string;
  port: number;
  db: string;
  /** A price override file (JSON or YAML) laid over the catalogue. */
  prices: string | null;
  /** Largest request body accepted, compressed or not. */
  max_body_bytes: number;
  /** Export requests handled at once (counted once their body is read); more get 503 with Retry-After. */
  max_inflight: number;
  /** Spans in one export request; a larger request gets 413 and is not stored. */
  max_spans_per_request: number;
  /** Time a request has to send its whole body; a slower one gets 408 and frees its connection. */
  body_timeout_ms: number;
  /** Open connections from one address; more are closed at once. */
  max_connections_per_client: number;
  /** With keys: export requests one key may have in progress (reading or storing); more get 503. */
  max_inflight_per_key: number;
  keys: { ingest: ApiKey[]; read: ApiKey[]; admin: ApiKey[] };
  retention: { calls_days: number };
  /** What one call can plausibly report; a span beyond it is rejected, naming the attribute. */
  limits: CallLimits;
  /** Message content (prompts, answers, tool calls) spans carry: dropped at ingest unless `keep`. */
  content: ContentPolicy;
  /** Spending limits per period, with thresholds that POST to webhooks. */
  budgets: BudgetConfig[];
  /** Distinct values per /metrics label before `__other__`. */
  label_caps: Record<string, number>;
  /** Longest /metrics label value; a longer one is cut and marked with `…`. */
  max_label_length: number;
  /** Label sets per /metrics family; past it, new combinations are counted under `__other__`. */
  max_series_per_metric: number;
}

export const DEFAULT_CONFIG: Config = {
  host: '127.0.0.1',
  port: 4318,
  db: './data/costlens.db',
  prices: null,
  max_body_bytes: 16 * 1024 * 1024,
  max_inflight: 64,
  max_spans_per_request: 10_000,
  body_timeout_ms: 5_000,
  max_connections_per_client: 256,
  max_inflight_per_key: 16,
  keys: { ingest: [], read: [], admin: [] },
  retention: { calls_days: 90 },
  limits: { ...DEFAULT_LIMITS },
  content: { ...DEFAULT_CONTENT },
  budgets: [],
  label_caps: {},
  max_label_length: 128,
  max_series_per_metric: 10_000,
};

type WholeNumberSetting = {
  [K in keyof Config]: Config[K] extends number ? K : never;
}[keyof Config];

/** The settings that are whole numbers from 1, each with its largest value (from SETTINGS). */
const WHOLE_NUMBERS = SETTINGS.flatMap((s): [WholeNumberSetting, number][] =>
  s.kind === 'whole' && Object.hasOwn(DEFAULT_CONFIG, s.path)
    ? [[s.path as WholeNumberSetting, maxOf(s.path)]]
    : [],
);

/** A setting that is wrong: the message names it and says what it must be. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The COSTLENS_* variables of single settings (SETTINGS); the key lists have their own below. */
const ENV: Record<string, keyof Config> = Object.fromEntries(
  SETTINGS.flatMap((s): [string, keyof Config][] =>
    s.env !== undefined && Object.hasOwn(DEFAULT_CONFIG, s.path)
      ? [[s.env, s.path as keyof Config]]
      : [],
  ),
);

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

function known(raw: Raw, allowed: string[], where: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k))
      throw new ConfigError(`${where}: unknown key "${k}" (known: ${allowed.join(', ')})`);
  }
}

function positiveInt(v: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new ConfigError(
      `${where} must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

function text(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new ConfigError(`${where} must be a non-empty string`);
  return v;
}

/** A key, however it is written: at least 16 characters, so it cannot be guessed. */
function keyText(v: unknown, where: string): string {
  const key = text(v, where);
  if (key.length < 16)
    throw new ConfigError(`${where} is too short: use at least 16 random characters`);
  return key;
}

function positiveNumber(v: unknown, where: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new ConfigError(`${where} must be a number above 0, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** A list of keys; `scopes` are the fields a key of this kind may be bound by. */
function keys(v: unknown, where: string, scopes: readonly ('project' | 'user')[]): ApiKey[] {
  const shape = `{ key${scopes.map((s) => `, ${s}?`).join('')} }`;
  if (!Array.isArray(v)) throw new ConfigError(`${where} must be a list of ${shape}`);
  return v.map((k, i) => {
    const w = `${where}[${i}]`;
    if (typeof k === 'string') return { key: keyText(k, w) };
    if (!isObj(k)) throw new ConfigError(`${w} must be a key string or ${shape}`);
    known(k, ['key', ...scopes], w);
    const out: ApiKey = { key: keyText(k.key, `${w}.key`) };
    for (const s of scopes) if (k[s] !== undefined) out[s] = text(k[s], `${w}.${s}`);
    return out;
  });
}

/** What each kind of key may be bound to: ingest keys decide a project, read keys see one. */
const KEY_SCOPES = { ingest: ['project'], read: ['project', 'user'], admin: [] } as const;

/**
 * File (YAML or JSON) < COSTLENS_* environment < command-line flags; every value
 * validated, and a bad one named where it came from: `costlens.yaml: port`,
 * `COSTLENS_PORT` or `--port`.
 */
export function loadConfig(opts: {
  file?: string;
  env?: Record<string, string | undefined>;
  /** Command-line values by setting (`max_inflight` is the flag --max-inflight), validated like the file's. */
  flags?: Record<string, unknown>;
}): Config {
  let raw: Raw = {};
  const where = opts.file ?? 'config';
  if (opts.file !== undefined) {
    let body: string;
    try {
      body = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read the config file ${opts.file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(body) ?? {};
    } catch (err) {
      throw new ConfigError(
        `${opts.file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (!isObj(parsed)) throw new ConfigError(`${opts.file} must be a mapping of settings`);
    raw = parsed;
  }
  // Where each setting's value came from, for the message that refuses it.
  const from = new Map<string, string>();
  for (const [name, key] of Object.entries(ENV)) {
    const v = opts.env?.[name];
    if (v === undefined || v === '') continue;
    raw[key] = v;
    from.set(key, name);
  }
  // Keys from the environment (a container's secrets): a comma-separated list per
  // kind, in place of the file's list of that kind.
  for (const kind of ['ingest', 'read', 'admin'] as const) {
    const name = `COSTLENS_${kind.toUpperCase()}_KEYS`;
    const v = opts.env?.[name];
    if (v === undefined || v === '') continue;
    const list = v.split(',').map((k) => k.trim());
    raw.keys = { ...(isObj(raw.keys) ? raw.keys : {}), [kind]: list };
    from.set(`keys.${kind}`, name);
  }
  for (const [k, v] of Object.entries(opts.flags ?? {})) {
    if (v === undefined) continue;
    raw[k] = v;
    from.set(k, `--${k.replaceAll('_', '-')}`);
  }
  const at = (key: string) => from.get(key) ?? `${where}: ${key}`;

  known(raw, Object.keys(DEFAULT_CONFIG), where);
  const c: Config = structuredClone(DEFAULT_CONFIG);
  if (raw.host !== undefined) c.host = text(raw.host, at('host'));
  if (raw.db !== undefined) c.db = text(raw.db, at('db'));
  if (raw.prices !== undefined && raw.prices !== null) c.prices = text(raw.prices, at('prices'));
  for (const [key, max] of WHOLE_NUMBERS) {
    if (raw[key] !== undefined) c[key] = positiveInt(raw[key], at(key), max);
  }
  if (raw.limits !== undefined) {
    if (!isObj(raw.limits)) throw new ConfigError(`${at('limits')} must map limits to numbers`);
    known(raw.limits, Object.keys(DEFAULT_LIMITS), at('limits'));
    for (const k of Object.keys(DEFAULT_LIMITS) as (keyof CallLimits)[]) {
      const v = raw.limits[k];
      if (v === undefined) continue;
      const w = `${at('limits')}.${k}`;
      // Tokens and images are counted; seconds and dollars need not be whole.
      c.limits[k] =
        setting(`limits.${k}`).kind === 'whole'
          ? positiveInt(v, w, maxOf(`limits.${k}`))
          : positiveNumber(v, w);
    }
  }
  if (raw.content !== undefined) {
    const w = at('content');
    if (!isObj(raw.content)) throw new ConfigError(`${w} must be { keep, max_chars }`);
    known(raw.content, ['keep', 'max_chars'], w);
    const keep = raw.content.keep;
    if (keep !== undefined && typeof keep !== 'boolean')
      throw new ConfigError(`${w}.keep must be true or false, got ${JSON.stringify(keep)}`);
    if (keep !== undefined) c.content.keep = keep;
    if (raw.content.max_chars !== undefined)
      c.content.max_chars = positiveInt(
        raw.content.max_chars,
        `${w}.max_chars`,
        maxOf('content.max_chars'),
      );
  }
  if (raw.keys !== undefined) {
    if (!isObj(raw.keys))
      throw new ConfigError(`${at('keys')} must have ingest, read and/or admin lists`);
    known(raw.keys, ['ingest', 'read', 'admin'], at('keys'));
    for (const kind of ['ingest', 'read', 'admin'] as const) {
      if (raw.keys[kind] !== undefined)
        c.keys[kind] = keys(raw.keys[kind], at(`keys.${kind}`), KEY_SCOPES[kind]);
    }
  }
  if (raw.retention !== undefined) {
    if (!isObj(raw.retention)) throw new ConfigError(`${at('retention')} must be { calls_days }`);
    known(raw.retention, ['calls_days'], at('retention'));
    if (raw.retention.calls_days !== undefined) {
      c.retention.calls_days = positiveInt(
        raw.retention.calls_days,
        `${at('retention')}.calls_days`,
        maxOf('retention.calls_days'),
      );
    }
  }
  if (raw.budgets !== undefined) {
    c.budgets = parseBudgets(raw.budgets, at('budgets'), (m) => {
      throw new ConfigError(m);
    });
  }
  if (raw.label_caps !== undefined) {
    if (!isObj(raw.label_caps))
      throw new ConfigError(`${at('label_caps')} must map label names to numbers`);
    for (const [label, n] of Object.entries(raw.label_caps)) {
      c.label_caps[label] = positiveInt(n, `${at('label_caps')}.${label}`, maxOf('label_caps'));
    }
  }
  return c;
}

/**
 * Whether `host` is a loopback address written literally (127.0.0.0/8, ::1) or
 * `localhost`. A name that only begins like one (`127.attacker.example`) is not.
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  return isIPv4(h) && h.startsWith('127.');
}

/** Whether any key is configured: without one, anyone who can reach the collector may send and read. */
export function hasKeys(c: Config): boolean {
  return c.keys.ingest.length + c.keys.read.length + c.keys.admin.length > 0;
}

/** Without keys the collector serves loopback only: anything else would let anyone write costs. */
export function checkExposure(c: Config): void {
  if (!hasKeys(c) && !isLoopback(c.host)) {
    throw new ConfigError(
      `host ${c.host} would expose the collector without keys: configure keys.ingest and keys.read in the config file, or keep host 127.0.0.1`,
    );
  }
}
