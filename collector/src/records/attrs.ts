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

/** A count: OTLP ints may arrive as number, bigint or (JSON) decimal string. */
export function int(
  a: Attrs,
  k1: string,
  k2?: string,
  k3?: string,
  k4?: string,
  k5?: string,
): number | null {
  return first(intOf, a, k1, k2, k3, k4, k5);
}

function intOf(v: unknown): number | null {
  if (v === undefined) return null;
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && v !== '' ? Math.trunc(n) : null;
}

export function num(a: Attrs, k1: string): number | null {
  const v = a[k1];
  if (v === undefined) return null;
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
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
