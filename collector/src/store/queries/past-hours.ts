import type Database from 'better-sqlite3';
import { HOUR_MS, type Reader } from './filter.js';
import { mergeParts, type Part, type SumRow } from './totals.js';

/**
 * An hour is settled this long after its start: rollup_changes counts every later
 * change to it (its triggers leave out the current hour only, by a clock read to the
 * second; a minute more spares exports that straddle the hour a recount).
 */
const KEEP_AFTER_MS = HOUR_MS + 60_000;

/** Queries whose merged settled hours are kept. */
const MERGED_LIMIT = 500;

/**
 * The sums of past hours, kept between requests: per hour (HourCache), and for a
 * query without buckets its settled hours merged into one part per key.
 */
export class PastHours {
  readonly #cache: HourCache;
  /** Per query: its settled hours merged, with the hours and versions they were merged at. */
  readonly #merged = new Map<string, { stamp: string; parts: Part[] }>();
  readonly #versions: Database.Statement;

  constructor(
    readonly r: Reader,
    readonly options: { now?: () => number; cacheBytes?: number },
  ) {
    this.#cache = new HourCache(options.cacheBytes ?? 64 * 1024 * 1024);
    this.#versions = r.db.prepare(
      'SELECT hour, version FROM rollup_changes WHERE hour >= ? AND hour < ?',
    );
  }

  /**
   * Parts of the whole hours [h0, h1) from `sql` (which groups by hour as `b`): hours
   * from `keepFrom` that are over are kept per query (its SQL and parameters) and
   * reused while rollup_changes says their rows did not change (see migrations.ts).
   */
  hourly(
    sql: string,
    params: Record<string, unknown>,
    [h0, h1]: [number, number],
    fromRollups: boolean,
    keepFrom: number,
    byHour: boolean,
    parse: (row: SumRow, fromRollups: boolean) => Part,
  ): Part[] {
    const statement = this.r.prepare(sql);
    const read = (a: number, b: number) =>
      (statement.all({ ...params, h0: a, h1: b }) as SumRow[]).map((r) => parse(r, fromRollups));
    const now = (this.options.now ?? Date.now)();
    const settled = Math.min(h1, Math.floor((now - KEEP_AFTER_MS) / HOUR_MS) * HOUR_MS + HOUR_MS);
    const first = Math.max(h0, keepFrom);
    if (settled <= first) return read(h0, h1);
    const signature = `${sql}\u0000${JSON.stringify(params)}`;
    // Versions first: a change that lands while the rows are read leaves them marked stale.
    const rows = this.#versions.all(first, settled) as { hour: number; version: number }[];
    const versions = new Map(rows.map((v) => [v.hour, v.version]));
    const out: Part[] = h0 < first ? read(h0, first) : [];
    const tail = () => (settled < h1 ? read(settled, h1) : []);
    // Without buckets, the settled hours' parts are also kept merged into one per key: a
    // repeated request (the page refreshing) merges nothing.
    const stamp = `${first}:${settled}:${rows.map((v) => `${v.hour}=${v.version}`).join(',')}`;
    if (!byHour) {
      const merged = this.#merged.get(signature);
      if (merged?.stamp === stamp) {
        this.#merged.delete(signature);
        this.#merged.set(signature, merged);
        return [...out, ...merged.parts, ...tail()];
      }
    }
    const kept: Part[] = [];
    let missingFrom: number | null = null;
    const fill = (end: number) => {
      if (missingFrom === null) return;
      const fresh = new Map<number, Part[]>();
      for (const part of read(missingFrom, end)) {
        kept.push(part);
        fresh.set(part.b!, [...(fresh.get(part.b!) ?? []), part]);
      }
      for (let h = missingFrom; h < end; h += HOUR_MS) {
        this.#cache.set(signature, h, versions.get(h) ?? 0, fresh.get(h) ?? []);
      }
      missingFrom = null;
    };
    for (let h = first; h < settled; h += HOUR_MS) {
      const parts = this.#cache.get(signature, h, versions.get(h) ?? 0);
      if (parts === undefined) missingFrom ??= h;
      else {
        fill(h);
        for (const part of parts) kept.push(part);
      }
    }
    fill(settled);
    if (byHour) return [...out, ...kept, ...tail()];
    const merged = mergeParts(kept, first);
    this.#merged.set(signature, { stamp, parts: merged });
    for (const k of this.#merged.keys()) {
      if (this.#merged.size <= MERGED_LIMIT) break;
      this.#merged.delete(k);
    }
    return [...out, ...merged, ...tail()];
  }

  /** Forgets every kept hour (their rows are being deleted). */
  clear(): void {
    this.#cache.clear();
    this.#merged.clear();
  }
}

/**
 * Sums of past hours per query (its SQL and parameters), each with the version of the
 * hour it was read at; the least recently used go first past `limit` bytes (roughly:
 * the latency text they hold and a few hundred bytes a row).
 */
class HourCache {
  readonly #entries = new Map<string, { version: number; rows: Part[]; bytes: number }>();
  #bytes = 0;

  constructor(readonly limit: number) {}

  get(signature: string, hour: number, version: number): Part[] | undefined {
    const id = `${hour}\u0000${signature}`;
    const e = this.#entries.get(id);
    if (e === undefined) return undefined;
    this.#entries.delete(id);
    if (e.version !== version) {
      this.#bytes -= e.bytes;
      return undefined;
    }
    this.#entries.set(id, e);
    return e.rows;
  }

  set(signature: string, hour: number, version: number, rows: Part[]): void {
    const id = `${hour}\u0000${signature}`;
    const old = this.#entries.get(id);
    if (old !== undefined) {
      this.#entries.delete(id);
      this.#bytes -= old.bytes;
    }
    let bytes = 256 + signature.length;
    for (const r of rows) {
      bytes += 400 + 8 * (r.latency?.span ?? 0);
      for (const names of r.distinct ?? []) for (const n of names) bytes += 40 + 2 * n.length;
    }
    if (bytes > this.limit) return;
    this.#entries.set(id, { version, rows, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.limit) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
