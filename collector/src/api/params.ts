import { HttpError } from '../service/body.js';
import { DIMENSIONS, type Dimension, type QueryFilter } from '../store/queries.js';
import type { Scope } from './access.js';

/** A request's query string: each parameter once, as text. */
export type Params = Record<string, string>;

const DAY_MS = 86_400_000;
/** The longest value a filter may have: longer than any name costlens keeps. */
const MAX_VALUE_LENGTH = 1_000;
/** Latest time accepted: the end of year 9999. */
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export const FILTERS = ['from', 'to', ...DIMENSIONS] as const;
export const CALL_TYPES = ['text', 'embedding', 'image', 'video', 'audio', 'other'] as const;
export const STATUSES = ['success', 'error'] as const;

export const badRequest = (message: string) => new HttpError(400, message);

/**
 * The query string with every parameter known to the endpoint and given once; a
 * misspelt one is refused rather than ignored, so a filter never silently does nothing.
 */
export function readParams(query: unknown, known: readonly string[]): Params {
  const out: Params = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (!known.includes(name)) {
      throw badRequest(
        known.length === 0
          ? `unknown parameter ${name}: this endpoint takes none`
          : `unknown parameter ${name} (known: ${known.join(', ')})`,
      );
    }
    if (typeof value !== 'string') throw badRequest(`${name} must be given once`);
    out[name] = value;
  }
  return out;
}

/** A time as ISO-8601 (a date, or a date and time; UTC unless it has an offset) or epoch milliseconds. */
export function parseTime(name: string, value: string): number {
  let ms = Number.NaN;
  if (/^\d{1,16}$/.test(value)) ms = Number(value);
  else {
    const m =
      /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(
        value,
      );
    if (m) {
      const [, date, time = '00:00:00', fraction = '', zone = 'Z'] = m;
      // Beyond milliseconds a fraction is dropped: JavaScript times are whole milliseconds.
      const iso = `${date}T${time}${fraction.slice(0, 4)}${zone.toUpperCase()}`;
      ms = Date.parse(iso);
    }
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME) {
    throw badRequest(
      `${name} must be an ISO-8601 time (2026-12-02T10:00:00Z) or epoch milliseconds, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** One of a fixed list of words; `fallback` when the parameter is absent. */
export function oneOf<T extends string>(
  params: Params,
  name: string,
  allowed: readonly T[],
  fallback?: T,
): T {
  const v = params[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw badRequest(`${name} is required: one of ${allowed.join(', ')}`);
  }
  if (!(allowed as readonly string[]).includes(v)) {
    throw badRequest(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** A whole number in [min, max]; `fallback` when absent. */
export function wholeNumber(
  params: Params,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const v = params[name];
  if (v === undefined || v === '') return fallback;
  const n = /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw badRequest(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

/**
 * The filter every endpoint takes: the window (default the last 24 hours) and the
 * fields, with the key's scope ANDed in. A field naming another scope than the key's
 * is a 403: a bound key never reads past its project or user.
 */
export function filterOf(params: Params, scope: Scope, now: number): QueryFilter {
  const to = params.to ? parseTime('to', params.to) : now;
  const from = params.from ? parseTime('from', params.from) : to - DAY_MS;
  if (from >= to) {
    throw badRequest(
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
    );
  }
  const f: QueryFilter = { from, to };
  for (const d of DIMENSIONS) {
    const v = params[d];
    // An empty value is no filter, as if the parameter were absent.
    if (v === undefined || v === '') continue;
    if (v.length > MAX_VALUE_LENGTH) {
      throw badRequest(`${d} is longer than ${MAX_VALUE_LENGTH} characters`);
    }
    f[d] = v;
  }
  if (f.call_type !== undefined) oneOf(params, 'call_type', CALL_TYPES);
  if (f.status !== undefined) oneOf(params, 'status', STATUSES);
  return withScope(f, scope);
}

/** The filter with the key's project and user: a different one asked for is refused. */
export function withScope<T extends Partial<Record<Dimension, string>>>(f: T, scope: Scope): T {
  for (const d of ['project', 'user'] as const) {
    const bound = scope[d];
    if (bound === undefined) continue;
    if (f[d] !== undefined && f[d] !== bound) {
      throw new HttpError(
        403,
        `this key reads ${d} ${JSON.stringify(bound)} only: leave ${d} out or set it to ${JSON.stringify(bound)}`,
      );
    }
    f[d] = bound;
  }
  return f;
}
