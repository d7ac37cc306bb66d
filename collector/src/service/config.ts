import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface ApiKey {
  key: string;
  /** Records ingested with this key belong to this project, whatever the spans say. */
  project?: string;
}

/** Every setting and its default, in one place. */
export interface Config {
  host: string;
  port: number;
  db: string;
  /** A price override file (JSON or YAML) laid over the catalogue. */
  prices: string | null;
  /** Largest request body accepted, compressed or not. */
  max_body_bytes: number;
  /** Export requests handled at once; more get 503 with Retry-After. */
  max_inflight: number;
  keys: { ingest: ApiKey[]; read: ApiKey[]; admin: ApiKey[] };
  retention: { calls_days: number };
  label_caps: Record<string, number>;
}

export const DEFAULT_CONFIG: Config = {
  host: '127.0.0.1',
  port: 4318,
  db: './data/costlens.db',
  prices: null,
  max_body_bytes: 16 * 1024 * 1024,
  max_inflight: 64,
  keys: { ingest: [], read: [], admin: [] },
  retention: { calls_days: 90 },
  label_caps: {},
};

/** A setting that is wrong: the message names it and says what it must be. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ENV: Record<string, keyof Config> = {
  COSTLENS_HOST: 'host',
  COSTLENS_PORT: 'port',
  COSTLENS_DB: 'db',
  COSTLENS_PRICES: 'prices',
  COSTLENS_MAX_BODY_BYTES: 'max_body_bytes',
  COSTLENS_MAX_INFLIGHT: 'max_inflight',
};

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

function keys(v: unknown, where: string): ApiKey[] {
  if (!Array.isArray(v)) throw new ConfigError(`${where} must be a list of { key, project? }`);
  return v.map((k, i) => {
    const w = `${where}[${i}]`;
    if (typeof k === 'string') return { key: text(k, w) };
    if (!isObj(k)) throw new ConfigError(`${w} must be a key string or { key, project }`);
    known(k, ['key', 'project'], w);
    const key = text(k.key, `${w}.key`);
    if (key.length < 16)
      throw new ConfigError(`${w}.key is too short: use at least 16 random characters`);
    return k.project === undefined ? { key } : { key, project: text(k.project, `${w}.project`) };
  });
}

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
  for (const [k, v] of Object.entries(opts.flags ?? {})) {
    if (v === undefined) continue;
    raw[k] = v;
    from.set(k, `--${k.replaceAll('_', '-')}`);
  }
  const at = (key: string) => from.get(key) ?? `${where}: ${key}`;

  known(raw, Object.keys(DEFAULT_CONFIG), where);
  const c: Config = structuredClone(DEFAULT_CONFIG);
  if (raw.host !== undefined) c.host = text(raw.host, at('host'));
  if (raw.port !== undefined) c.port = positiveInt(raw.port, at('port'), 65_535);
  if (raw.db !== undefined) c.db = text(raw.db, at('db'));
  if (raw.prices !== undefined && raw.prices !== null) c.prices = text(raw.prices, at('prices'));
  if (raw.max_body_bytes !== undefined)
    c.max_body_bytes = positiveInt(raw.max_body_bytes, at('max_body_bytes'));
  if (raw.max_inflight !== undefined)
    c.max_inflight = positiveInt(raw.max_inflight, at('max_inflight'), 10_000);
  if (raw.keys !== undefined) {
    if (!isObj(raw.keys))
      throw new ConfigError(`${at('keys')} must have ingest, read and/or admin lists`);
    known(raw.keys, ['ingest', 'read', 'admin'], at('keys'));
    for (const kind of ['ingest', 'read', 'admin'] as const) {
      if (raw.keys[kind] !== undefined)
        c.keys[kind] = keys(raw.keys[kind], `${at('keys')}.${kind}`);
    }
  }
  if (raw.retention !== undefined) {
    if (!isObj(raw.retention)) throw new ConfigError(`${at('retention')} must be { calls_days }`);
    known(raw.retention, ['calls_days'], at('retention'));
    if (raw.retention.calls_days !== undefined) {
      c.retention.calls_days = positiveInt(
        raw.retention.calls_days,
        `${at('retention')}.calls_days`,
      );
    }
  }
  if (raw.label_caps !== undefined) {
    if (!isObj(raw.label_caps))
      throw new ConfigError(`${at('label_caps')} must map label names to numbers`);
    for (const [label, n] of Object.entries(raw.label_caps)) {
      c.label_caps[label] = positiveInt(n, `${at('label_caps')}.${label}`, 100_000);
    }
  }
  return c;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Without keys the collector serves loopback only: anything else would let anyone write costs. */
export function checkExposure(c: Config): void {
  const anyKeys = c.keys.ingest.length + c.keys.read.length + c.keys.admin.length > 0;
  if (!anyKeys && !isLoopback(c.host)) {
    throw new ConfigError(
      `host ${c.host} would expose the collector without keys: configure keys.ingest and keys.read in the config file, or keep host 127.0.0.1`,
    );
  }
}
