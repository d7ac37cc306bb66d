/** Reading span attributes of any instrumentation: values arrive as OTLP decoded them. */
export type Attrs = Record<string, unknown>;

// Each reader takes up to five names, tried in order: fixed parameters, not a rest
// array, because they run some thirty times per span.

/** The first of the named attributes that `read` accepts, or null. */
function first<T>(
  read: (v: unknown) => T | null,
  a: Attrs,
  k1: string,
  k2?: string,
  k3?: string,
  k4?: string,
  k5?: string,
): T | null {
  let v = read(a[k1]);
  if (v !== null || k2 === undefined) return v;
  v = read(a[k2]);
  if (v !== null || k3 === undefined) return v;
  v = read(a[k3]);
  if (v !== null || k4 === undefined) return v;
  v = read(a[k4]);
  if (v !== null || k5 === undefined) return v;
  return read(a[k5]);
}

/** A non-empty string. */
export function str(
  a: Attrs,
  k1: string,
  k2?: string,
  k3?: string,
  k4?: string,
  k5?: string,
): string | null {
  return first(strOf, a, k1, k2, k3, k4, k5);
}

function strOf(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** An OTLP number: a number, a bigint (int64) or, from JSON, a decimal string; NaN otherwise. */
function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v))
    return Number(v);
  return Number.NaN;
}

const shown = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);

/**
 * A whole count from 0 to `max`, from the first of the named attributes that is
 * present; null when none is. A present value that is not such a count (negative,
 * fractional, NaN, infinite, text, beyond `max`) is no count at all: RangeError
 * naming the attribute, so the span is refused rather than billed on a guess.
 */
export function count(
  a: Attrs,
  max: number,
  k1: string,
  k2?: string,
  k3?: string,
  k4?: string,
  k5?: string,
): number | null {
  if (a[k1] !== undefined) return countOf(a, k1, max);
  if (k2 === undefined) return null;
  if (a[k2] !== undefined) return countOf(a, k2, max);
  if (k3 === undefined) return null;
  if (a[k3] !== undefined) return countOf(a, k3, max);
  if (k4 === undefined) return null;
  if (a[k4] !== undefined) return countOf(a, k4, max);
  if (k5 === undefined || a[k5] === undefined) return null;
  return countOf(a, k5, max);
}

function countOf(a: Attrs, k: string, max: number): number {
  const v = a[k];
  const n = numberOf(v);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${k} must be a whole number from 0 to ${max}, got ${shown(v)}`);
  }
  return n;
}

/** A finite amount from 0 to `max` (seconds, USD); null when absent; RangeError naming the attribute otherwise. */
export function amount(a: Attrs, max: number, k: string): number | null {
  const v = a[k];
  if (v === undefined) return null;
  const n = numberOf(v);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new RangeError(`${k} must be a number from 0 to ${max}, got ${shown(v)}`);
  }
  return n;
}

/** A finite number, or null when absent or not one. */
export function num(a: Attrs, k1: string): number | null {
  const v = a[k1];
  if (v === undefined) return null;
  const n = numberOf(v);
  return Number.isFinite(n) ? n : null;
}

export function bool(a: Attrs, k1: string): boolean | null {
  const v = a[k1];
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  return null;
}

export function truncate(s: string | null, max: number): string | null {
  if (s === null || s.length <= max) return s;
  return `${s.slice(0, max - 1)}…`;
}

/** Keys that may carry a credential: never stored, whatever instrumentation sent them. */
const SECRET =
  /(authorization|api[_-]?key|apikey|secret|password|passwd|cookie|(^|[._])(access_|auth_|bearer_)?token$)/i;

export function isSecretKey(key: string): boolean {
  return SECRET.test(key);
}
