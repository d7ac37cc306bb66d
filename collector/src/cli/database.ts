import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { parseTime } from '../api/params.js';
import { HttpError } from '../service/body.js';
import { type Config, ConfigError, loadConfig } from '../service/config.js';
import { schemaVersion } from '../store/info.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { UsageError } from './io.js';

/**
 * The database a command works on, found as `costlens start` finds it: --db, else
 * COSTLENS_DB, else `db:` in --config, else ./data/costlens.db. A command that
 * reads or deletes never creates one: a database that is not there is a usage error.
 */
export function configOf(
  command: string,
  io: { env: Record<string, string | undefined> },
  v: { config?: string; db?: string },
): Config {
  let config: Config;
  try {
    config = loadConfig({
      file: v.config,
      env: io.env,
      flags: v.db !== undefined ? { db: v.db } : {},
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${command}: ${err.message}.`);
    throw err;
  }
  if (!existsSync(config.db)) {
    throw new UsageError(
      `${command}: there is no database at ${config.db}; pass --db or --config.`,
    );
  }
  return config;
}

/**
 * A read-only connection: it cannot change the file, it never waits for the
 * collector's writes (WAL lets a reader run beside the writer), and it works on a
 * copy that cannot be written to. The schema is checked rather than migrated.
 */
export function openReadOnly(command: string, path: string): Database.Database {
  let db: Database.Database;
  let version: number | null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new UsageError(`${command}: cannot open ${path}: ${(err as Error).message}.`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    version = schemaVersion(db);
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new UsageError(
        `${command}: ${path} is not a SQLite database; pass --db with costlens's database.`,
      );
    }
    throw err;
  }
  if (version === null) {
    db.close();
    throw new UsageError(
      `${command}: ${path} is not a costlens database (it has no schema_migrations table).`,
    );
  }
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new UsageError(
      `${command}: the database is at schema version ${version}, newer than this costlens (${SCHEMA_VERSION}); upgrade costlens.`,
    );
  }
  return db;
}

/** A time flag as the API takes it: ISO-8601 (UTC unless it has an offset) or epoch milliseconds. */
export function timeFlag(command: string, flag: string, raw: string): number {
  try {
    return parseTime(`--${flag}`, raw);
  } catch (err) {
    if (err instanceof HttpError) throw new UsageError(`${command}: ${err.message}.`);
    throw err;
  }
}

/** Runs `fn` with Ctrl-C (and SIGTERM) asking it to stop at its next check instead of killing the process. */
export async function stoppable<T>(fn: (stopped: () => boolean) => Promise<T>): Promise<T> {
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(() => stop);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Gives the event loop its turn (a signal, a drained pipe) between chunks of work. */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
