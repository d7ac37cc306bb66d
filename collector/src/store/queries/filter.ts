import type Database from 'better-sqlite3';

/**
 * What a query is over (a window and fields to match), and the reads every part of
 * the query API shares: prepared statements, text ids, and the WHERE of a filter.
 * Every value from a request is a bound parameter; only names from the fixed lists
 * below are ever written into SQL.
 */

export const HOUR_MS = 3_600_000;

/** Calls that started in [from, to) (epoch ms) and match every field given. */
export interface QueryFilter {
  from: number;
  to: number;
  project?: string;
  user?: string;
  account?: string;
  provider?: string;
  /** The response model, else the request model: the rollups' `model`. */
  model?: string;
  call_type?: string;
  status?: string;
}

export const DIMENSIONS = [
  'project',
  'user',
  'account',
  'provider',
  'model',
  'call_type',
  'status',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** What totals can be grouped by: a rollup field, or the error type (read from the failed calls). */
export type GroupBy = Dimension | 'error_type';

/** The same field in the calls table, where text is an id into `strings`. */
export const CALL_FIELD: Record<GroupBy, string> = {
  project: 'c.project',
  user: 'c.user',
  account: 'c.account',
  provider: 'c.provider',
  model: 'coalesce(c.response_model, c.request_model)',
  call_type: 'c.call_type',
  status: 'c.status',
  error_type: 'c.error_type',
};

/** The whole hours of [from, to), and the partial hours at its edges (each inside one hour). */
export function splitWindow(
  from: number,
  to: number,
): { hours: [number, number] | null; edges: [number, number][] } {
  const h0 = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const h1 = Math.floor(to / HOUR_MS) * HOUR_MS;
  if (h0 >= h1) {
    if (from >= to) return { hours: null, edges: [] };
    // No whole hour, but maybe the start of one: a part on each side of it.
    return {
      hours: null,
      edges:
        from < h0 && h0 < to
          ? [
              [from, h0],
              [h0, to],
            ]
          : [[from, to]],
    };
  }
  const edges: [number, number][] = [];
  if (from < h0) edges.push([from, h0]);
  if (h1 < to) edges.push([h1, to]);
  return { hours: [h0, h1], edges };
}

/** Ids remembered per direction before the caches start over. */
const CACHE_LIMIT = 50_000;

/** A reading connection's statements and text ids, and the filters written over it. */
export class Reader {
  readonly #statements = new Map<string, Database.Statement>();
  readonly #ids = new Map<string, number>();
  readonly #values = new Map<number, string>();
  readonly #idOf: Database.Statement;
  readonly #valueOf: Database.Statement;
  /** The start of the oldest stored call (null when there is none). */
  readonly oldest: Database.Statement;
  /** The start of the newest stored call (null when there is none). */
  readonly newest: Database.Statement;

  constructor(readonly db: Database.Database) {
    this.#idOf = db.prepare('SELECT id FROM strings WHERE value = ?').pluck();
    this.#valueOf = db.prepare('SELECT value FROM strings WHERE id = ?').pluck();
    this.oldest = db.prepare('SELECT min(started_at) FROM calls').pluck();
    this.newest = db.prepare('SELECT max(started_at) FROM calls').pluck();
  }

  prepare(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** The strings id of a value; -1 (no row has it) when the value was never stored. */
  id(value: string): number {
    const cached = this.#ids.get(value);
    if (cached !== undefined) return cached;
    const id = this.#idOf.get(value) as number | undefined;
    // A value not stored yet may be by the next export: only ids found are kept.
    if (id === undefined) return -1;
    if (this.#ids.size >= CACHE_LIMIT) this.#ids.clear();
    this.#ids.set(value, id);
    return id;
  }

  value(id: number | null): string | null {
    if (id === null) return null;
    let v = this.#values.get(id);
    if (v === undefined) {
      v = (this.#valueOf.get(id) as string | undefined) ?? '';
      if (this.#values.size >= CACHE_LIMIT) this.#values.clear();
      this.#values.set(id, v);
    }
    return v;
  }

  /** `AND field = @field` for each field the filter gives, on the rollups (text) or the calls (ids). */
  where(f: QueryFilter, on: 'rollups' | 'calls', params: Record<string, unknown>): string {
    let sql = '';
    for (const d of DIMENSIONS) {
      const v = f[d];
      if (v === undefined) continue;
      if (on === 'rollups') {
        sql += ` AND r.${d} = @${d}`;
        params[d] = v;
      } else {
        sql += ` AND ${CALL_FIELD[d]} = @${d}`;
        params[d] = this.id(v);
      }
    }
    return sql;
  }
}
