import { createInterface } from 'node:readline';
import { deleteBefore } from '../store/delete-before.js';
import { countBefore, databaseInfo, fileSizes } from '../store/info.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { Queries } from '../store/queries.js';
import { Store } from '../store/store.js';
import { parse } from './args.js';
import { configOf, openReadOnly, stoppable, timeFlag } from './database.js';
import { bytes } from './export.js';
import { EXIT, type Io, UsageError } from './io.js';
import { Progress } from './progress.js';

export const DB_HELP = `costlens db: the collector's database

Usage:
  costlens db info [--json] [--config FILE] [--db PATH]
  costlens db clear --before TIME [--yes] [--config FILE] [--db PATH] [--quiet]
  costlens db vacuum [--config FILE] [--db PATH]

info     where the database is, its size, schema, calls, rollups and budget messages
clear    deletes the calls that started before a time, as DELETE /api/v1/calls does
vacuum   gives the space of deleted calls back to the file system

Run 'costlens help db info', 'costlens help db clear' or 'costlens help db vacuum' for their options.
`;

export const DB_INFO_HELP = `costlens db info: the database at a glance

Usage: costlens db info [--json] [--config FILE] [--db PATH]

Prints the database's path, its size (file and write-ahead log), schema version,
the calls stored with the first and last one's start, the hourly rollup rows and
the hours they cover, budget messages not delivered yet, free space inside the file
and the retention setting. It opens the database read-only, beside a running collector.

  --json         one JSON object instead of text (times as ISO-8601, sizes in bytes)
  --db PATH      the database (default: db: in --config, COSTLENS_DB, ./data/costlens.db)
  --config FILE  the collector's config file (for db: and retention:)
`;

export const DB_CLEAR_HELP = `costlens db clear: delete the calls before a time

Usage: costlens db clear --before TIME [--yes] [--config FILE] [--db PATH] [--quiet]

Deletes the raw calls that started before TIME and the rollup rows of the hours that
ended at or before it, exactly as DELETE /api/v1/calls does: 5,000 calls per
transaction, so a running collector goes on storing exports meanwhile. The hour TIME
falls in keeps its rollups, so totals over whole hours still count its calls. Says
what it will delete and asks first; a running collector's budgets count the change
within 10 minutes (DELETE /api/v1/calls makes them count it at once).

  --before TIME  ISO-8601 (2026-06-01, 2026-06-01T12:00:00Z; UTC unless it has an
                 offset) or epoch ms (required)
  --yes          do not ask (needed when stdin is not a terminal, as in a script)
  --db PATH      the database (default: db: in --config, COSTLENS_DB, ./data/costlens.db)
  --quiet        no progress line on a terminal

The file keeps its size: SQLite reuses the space; 'costlens db vacuum' gives it back.
Exit status: 0 deleted (or nothing to delete), 1 not confirmed or failed, 2 bad
arguments, 130 stopped by Ctrl-C (what was deleted stays deleted).
`;

export const DB_VACUUM_HELP = `costlens db vacuum: give the space of deleted calls back

Usage: costlens db vacuum [--config FILE] [--db PATH]

Rewrites the database without its free pages (SQLite's VACUUM) and prints the size
before and after. It needs about the database's size again in free disk space, and
holds the database for its whole run: stop the collector first, or its exports wait
and are refused (503) after 5 seconds, and exporters retry them.
`;

const n = (x: number) => x.toLocaleString('en-US');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function dbInfo(args: string[], io: Io): number {
  const v = parse('db info', args, {
    json: { type: 'boolean' },
    config: { type: 'string' },
    db: { type: 'string' },
  });
  const config = configOf('db info', io, v);
  const db = openReadOnly('db info', config.db);
  let info: ReturnType<typeof databaseInfo>;
  try {
    info = databaseInfo(db);
  } finally {
    db.close();
  }
  const size = fileSizes(config.db);
  const json = {
    path: config.db,
    db_bytes: size.db_bytes,
    wal_bytes: size.wal_bytes,
    free_bytes: info.free_bytes,
    schema_version: info.schema_version,
    calls: info.calls,
    first_call_at: iso(info.first_call_at),
    last_call_at: iso(info.last_call_at),
    rollup_rows: info.rollup_rows,
    first_rollup_hour: iso(info.first_rollup_hour),
    last_rollup_hour: iso(info.last_rollup_hour),
    budget_messages_pending: info.budget_messages_pending,
    retention_days: config.retention.calls_days,
  };
  if (v.json) {
    io.stdout.write(`${JSON.stringify(json)}\n`);
    return EXIT.ok;
  }
  const schema =
    info.schema_version === SCHEMA_VERSION
      ? `version ${info.schema_version}`
      : `version ${info.schema_version} (this costlens: ${SCHEMA_VERSION}; its next start upgrades it)`;
  const calls =
    info.calls === 0
      ? 'none'
      : `${n(info.calls)}, ${json.first_call_at} .. ${json.last_call_at} (first and last start)`;
  const rollups =
    info.rollup_rows === 0
      ? 'none'
      : `${n(info.rollup_rows)} rows, hours ${json.first_rollup_hour} .. ${json.last_rollup_hour}`;
  const lines: [string, string][] = [
    ['database', config.db],
    [
      'size',
      `${bytes(size.db_bytes + size.wal_bytes)} (file ${bytes(size.db_bytes)}, write-ahead log ${bytes(size.wal_bytes)}; ${bytes(info.free_bytes)} free inside)`,
    ],
    ['schema', schema],
    ['calls', calls],
    ['rollups', rollups],
    ['budget messages', `${n(info.budget_messages_pending)} not delivered yet`],
    ['retention', `raw calls kept ${config.retention.calls_days} days; rollups kept`],
  ];
  io.stdout.write(lines.map(([k, x]) => `${k.padEnd(16)} ${x}\n`).join(''));
  return EXIT.ok;
}

/** Asks a yes-or-no question on the terminal; anything but y or yes (or end of input) is no. */
async function confirm(io: Io, question: string): Promise<boolean> {
  const stdin = io.stdin!;
  io.stderr.write(question);
  const rl = createInterface({ input: stdin as NodeJS.ReadableStream, terminal: false });
  try {
    const answer = await new Promise<string | null>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(null));
    });
    if (answer === null) io.stderr.write('\n');
    return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

export async function dbClear(args: string[], io: Io): Promise<number> {
  const v = parse('db clear', args, {
    before: { type: 'string' },
    yes: { type: 'boolean' },
    config: { type: 'string' },
    db: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (v.before === undefined) {
    throw new UsageError(
      'db clear: --before TIME is required: the time before which calls are deleted, like --before 2026-06-01.',
    );
  }
  const before = timeFlag('db clear', 'before', v.before);
  const at = new Date(before).toISOString();
  const config = configOf('db clear', io, v);
  const store = new Store(config.db);
  try {
    const planned = countBefore(store.db, before);
    if (planned.calls === 0 && planned.rollup_rows === 0) {
      io.stdout.write(`nothing to delete: no calls or rollup rows before ${at}\n`);
      return EXIT.ok;
    }
    const what = `${n(planned.calls)} calls that started before ${at} and ${n(planned.rollup_rows)} rollup rows of the hours before it`;
    if (!v.yes) {
      if (io.stdin?.isTTY !== true) {
        throw new UsageError(
          `db clear: stdin is not a terminal, so no one can confirm; add --yes to delete ${what}.`,
        );
      }
      if (!(await confirm(io, `delete ${what} from ${config.db}? This cannot be undone. [y/N] `))) {
        io.stderr.write('nothing deleted\n');
        return EXIT.failed;
      }
    }
    const queries = new Queries(store.db);
    const progress = new Progress(io.stderr, { verb: 'deleted', unit: 'calls', quiet: v.quiet });
    // The rollups' line starts with their first hour, so its time left is theirs alone.
    let rollupProgress: Progress | undefined;
    const { calls, rollupRows, stopped } = await stoppable((stop) =>
      deleteBefore(store, queries, before, {
        onCalls: (done) => progress.update(done, Math.max(planned.calls, done)),
        onRollupRows: (done) => {
          rollupProgress ??= new Progress(io.stderr, {
            verb: 'deleted',
            unit: 'rollup rows',
            quiet: v.quiet,
          });
          rollupProgress.update(done, Math.max(planned.rollup_rows, done));
        },
        stop,
      }),
    );
    progress.done();
    const done = `deleted ${n(calls)} calls and ${n(rollupRows)} rollup rows before ${at}`;
    if (stopped) {
      io.stderr.write(`db clear: stopped: ${done}; the same command deletes the rest.\n`);
      return 130;
    }
    io.stdout.write(`${done}\n`);
    return EXIT.ok;
  } finally {
    store.close();
  }
}

export function dbVacuum(args: string[], io: Io): number {
  const v = parse('db vacuum', args, {
    config: { type: 'string' },
    db: { type: 'string' },
  });
  const config = configOf('db vacuum', io, v);
  const sizeNow = () => {
    const s = fileSizes(config.db);
    return s.db_bytes + s.wal_bytes;
  };
  const store = new Store(config.db);
  const before = sizeNow();
  try {
    store.db.exec('VACUUM');
    // The rewritten pages went through the log: fold it into the file so the size shown is what is on disk.
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(
        'db vacuum: the database is busy (a collector is writing to it); stop the collector and run it again',
      );
    }
    throw err;
  } finally {
    store.close();
  }
  io.stdout.write(`${config.db}: ${bytes(before)} -> ${bytes(sizeNow())}\n`);
  return EXIT.ok;
}
