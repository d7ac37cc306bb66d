import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { HOUR_MS, type QueryFilter, Reader } from './queries/filter.js';

/**
 * What `costlens db` reads about a database, on any connection (a read-only one
 * too): plain reads that use the tables' indexes, so a database of millions of
 * calls answers in milliseconds, beside a running collector.
 */

export interface DatabaseInfo {
  /** The newest step of schema_migrations applied. */
  schema_version: number;
  calls: number;
  /** The start of the first and last stored call (epoch ms), null when there are none. */
  first_call_at: number | null;
  last_call_at: number | null;
  rollup_rows: number;
  /** The first and last hour the rollups hold (epoch ms), null when there are none. */
  first_rollup_hour: number | null;
  last_rollup_hour: number | null;
  /** Budget messages not delivered yet (their webhook is being retried, or is due). */
  budget_messages_pending: number;
  /** Bytes inside the file that hold nothing (after deletes): VACUUM gives them back. */
  free_bytes: number;
}

/** The newest schema step applied; null when the file has no costlens schema. */
export function schemaVersion(db: Database.Database): number | null {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (table === undefined) return null;
  return db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null;
}

/** The first and last stored call's start, from the started_at index. */
export function callSpan(db: Database.Database): { first: number | null; last: number | null } {
  return db
    .prepare('SELECT min(started_at) AS first, max(started_at) AS last FROM calls')
    .get() as { first: number | null; last: number | null };
}

export function databaseInfo(db: Database.Database): DatabaseInfo {
  const version = schemaVersion(db);
  if (version === null) throw new Error('the database has no costlens schema');
  const span = callSpan(db);
  const rollups = db
    .prepare('SELECT count(*) AS n, min(hour) AS first, max(hour) AS last FROM rollups_hourly')
    .get() as { n: number; first: number | null; last: number | null };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const freePages = db.pragma('freelist_count', { simple: true }) as number;
  return {
    schema_version: version,
    calls: db.prepare('SELECT count(*) FROM calls').pluck().get() as number,
    first_call_at: span.first,
    last_call_at: span.last,
    rollup_rows: rollups.n,
    first_rollup_hour: rollups.first,
    last_rollup_hour: rollups.last,
    budget_messages_pending: db
      .prepare('SELECT count(*) FROM budget_messages WHERE delivered_at IS NULL')
      .pluck()
      .get() as number,
    free_bytes: pageSize * freePages,
  };
}

/**
 * What a delete before `before` removes (Store.pruneCalls and
 * Queries.deleteRollupsBefore): the calls that started before it, and the rollup
 * rows of the hours that ended at or before it.
 */
export function countBefore(
  db: Database.Database,
  before: number,
): { calls: number; rollup_rows: number } {
  const hour = Math.floor(before / HOUR_MS) * HOUR_MS;
  return {
    calls: db
      .prepare('SELECT count(*) FROM calls WHERE started_at < ?')
      .pluck()
      .get(before) as number,
    rollup_rows: db
      .prepare('SELECT count(*) FROM rollups_hourly WHERE hour < ?')
      .pluck()
      .get(hour) as number,
  };
}

/**
 * How many stored calls the filter matches, counted on the calls themselves (an
 * index walk): what a progress line needs before the first call is read, and no
 * slower when the rollups hold many rows per hour.
 */
export function countCalls(db: Database.Database, f: QueryFilter): number {
  const params: Record<string, unknown> = { from: f.from, to: f.to };
  const where = new Reader(db).where(f, 'calls', params);
  return db
    .prepare(
      `SELECT count(*) FROM calls AS c WHERE c.started_at >= @from AND c.started_at < @to${where}`,
    )
    .pluck()
    .get(params) as number;
}

/** The database file's size and its write-ahead log's, in bytes (0 for a file that is not there). */
export function fileSizes(path: string): { db_bytes: number; wal_bytes: number } {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return { db_bytes: size(path), wal_bytes: size(`${path}-wal`) };
}
