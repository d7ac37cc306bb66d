/** Reading span attributes of any instrumentation: values arrive as OTLP decoded them. */
export type Attrs = Record<string, unknown>;

export function str(a: Attrs, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = a[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/** A count: OTLP ints may arrive as number, bigint or (JSON) decimal string. */
export function int(a: Attrs, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = a[k];
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0 && v !== '') return Math.trunc(n);
  }
  return null;
}

export function num(a: Attrs, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = a[k];
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v !== '' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
  }
  return null;
}

export function bool(a: Attrs, ...keys: string[]): boolean | null {
  for (const k of keys) {
    const v = a[k];
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
  }
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
