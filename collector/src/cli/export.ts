import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BATCH, exportHead, exportLines, FORMATS, type Format } from '../api/export.js';
import { CALL_TYPES, STATUSES } from '../api/params.js';
import { callSpan, countCalls } from '../store/info.js';
import { Queries, type QueryFilter, type SortBy } from '../store/queries.js';
import { oneOf, parse } from './args.js';
import { configOf, openReadOnly, stoppable, timeFlag, turn } from './database.js';
import { EXIT, type Io, UsageError } from './io.js';
import { Progress } from './progress.js';

export const EXPORT_HELP = `costlens export: the stored calls as CSV or NDJSON

Usage: costlens export [--format csv|ndjson] [--out FILE] [filters] [--sort S] [--order O]
                       [--config FILE] [--db PATH] [--quiet]

Writes every stored call the filters match, with the columns and bytes of the API's
GET /api/v1/export, to stdout or --out. It reads the database directly (read-only,
beside a running collector) a few hundred calls at a time, so any number of calls
takes the memory of a few hundred.

  --format F       csv (default; RFC 4180, a header row, CRLF line ends) or ndjson
                   (one JSON object per call); --out FILE.ndjson or .jsonl means ndjson
  --out FILE       write FILE (through FILE.partial, renamed when complete, so a cut
                   export never looks whole) instead of stdout
  --from, --to     only calls that started in [from, to): ISO-8601 (2026-12-01 or
                   2026-12-01T10:00:00Z; UTC unless it has an offset) or epoch ms.
                   Default: every stored call (the API's default is the last 24 hours)
  --project P      only this project's calls; also --user, --account, --provider,
                   --model (the response model, else the request one),
                   --call-type (${CALL_TYPES.join(', ')}), --status (${STATUSES.join(', ')})
  --sort S         time (default), cost or latency
  --order O        desc (default: newest, dearest or slowest first) or asc
  --db PATH        the database (default: db: in --config, COSTLENS_DB, ./data/costlens.db)
  --quiet          no progress line on a terminal

On a terminal it shows how many calls are written; in a script it writes only the data.
Exit status: 0 written, 1 failed, 2 bad arguments, 130 stopped by Ctrl-C (--out: nothing written).
`;

/** The flags that filter by a field, and the field of the API's filter each sets. */
const FIELDS = {
  project: 'project',
  user: 'user',
  account: 'account',
  provider: 'provider',
  model: 'model',
  'call-type': 'call_type',
  status: 'status',
} as const;

/** Where the export goes: stdout, waiting when the reader is slower, or a file written whole or not at all. */
interface Sink {
  write(chunk: string): Promise<void> | undefined;
  /** Done: the file takes its name. */
  finish(): void;
  /** Stopped or failed: the partial file is removed. */
  abandon(): void;
}

function stdoutSink(stdout: Io['stdout']): Sink {
  const pipe = stdout as Io['stdout'] & { once?: (event: string, fn: () => void) => unknown };
  return {
    write(chunk) {
      // A pipe to a slower reader: wait for it rather than hold the whole export in memory.
      if (stdout.write(chunk) === false && pipe.once) {
        return new Promise<void>((resolve) => pipe.once!('drain', resolve));
      }
      return undefined;
    },
    finish() {},
    abandon() {},
  };
}

function fileSink(path: string): Sink {
  const partial = join(dirname(path), `${basename(path)}.partial`);
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (err) {
    throw new UsageError(`export: cannot write ${partial}: ${(err as Error).message}.`);
  }
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    write(chunk) {
      writeSync(fd, chunk);
      return undefined;
    },
    finish() {
      close();
      renameSync(partial, path);
    },
    abandon() {
      close();
      rmSync(partial, { force: true });
    },
  };
}

/** args.ts's oneOf, its message naming the command. */
function choice(
  flag: string,
  raw: string | undefined,
  allowed: readonly string[],
): string | undefined {
  try {
    return oneOf(flag, raw, [...allowed]);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`export: ${err.message}`);
    throw err;
  }
}

function filterOf(v: Record<string, string | boolean | undefined>): QueryFilter {
  const f: QueryFilter = { from: 0, to: 0 };
  for (const [flag, field] of Object.entries(FIELDS)) {
    const raw = v[flag] as string | undefined;
    if (raw === undefined) continue;
    if (raw.trim() === '') {
      throw new UsageError(`export: --${flag} is empty; leave it out to export every ${flag}.`);
    }
    if (field === 'status') f.status = choice(flag, raw, STATUSES);
    else if (field === 'call_type') f.call_type = choice(flag, raw, CALL_TYPES);
    else f[field] = raw;
  }
  return f;
}

export async function exportCommand(args: string[], io: Io): Promise<number> {
  const v = parse('export', args, {
    format: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    ...Object.fromEntries(Object.keys(FIELDS).map((k) => [k, { type: 'string' as const }])),
    sort: { type: 'string' },
    order: { type: 'string' },
    config: { type: 'string' },
    db: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const format = (choice('format', v.format, FORMATS) ??
    (v.out && /\.(ndjson|jsonl)$/i.test(v.out) ? 'ndjson' : 'csv')) as Format;
  const sort = (choice('sort', v.sort, ['time', 'cost', 'latency']) ?? 'time') as SortBy;
  const desc = (choice('order', v.order, ['desc', 'asc']) ?? 'desc') === 'desc';
  const f = filterOf(v);
  const from = v.from === undefined ? undefined : timeFlag('export', 'from', v.from);
  const to = v.to === undefined ? undefined : timeFlag('export', 'to', v.to);
  if (from !== undefined && to !== undefined && from >= to) {
    throw new UsageError(
      `export: --from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()}).`,
    );
  }
  if (v.out !== undefined && v.out.trim() === '') {
    throw new UsageError('export: --out is empty; leave it out to write to stdout.');
  }
  const config = configOf('export', io, v);
  const db = openReadOnly('export', config.db);
  try {
    // The window defaults to every stored call: from the first to the last one now
    // stored (calls stored while the export runs are not in it).
    const span = callSpan(db);
    f.from = from ?? span.first ?? 0;
    f.to = to ?? (span.last === null ? 0 : span.last + 1);
    const queries = new Queries(db);
    const sink = v.out === undefined ? stdoutSink(io.stdout) : fileSink(v.out);
    // Calls written to the terminal show themselves; a progress line would only cut into them.
    const onScreen = v.out === undefined && (io.stdout as { isTTY?: boolean }).isTTY === true;
    const progress = new Progress(io.stderr, {
      verb: 'exported',
      unit: 'calls',
      quiet: v.quiet || onScreen,
    });
    // Counted only for the progress line: a script does not wait for it.
    const total = progress.shown && f.from < f.to ? countCalls(db, f) : 0;
    let written = 0;
    let stopped = false;
    try {
      stopped = await stoppable(async (stop) => {
        const head = exportHead(format);
        if (head) await sink.write(head);
        if (f.from >= f.to) return false;
        for (const rows of queries.batches(f, sort, desc, BATCH)) {
          const waiting = sink.write(exportLines(rows, format));
          written += rows.length;
          progress.update(written, Math.max(total, written));
          await (waiting ?? turn());
          if (stop()) return true;
        }
        return false;
      });
    } catch (err) {
      progress.done();
      sink.abandon();
      throw err;
    }
    progress.done();
    if (stopped) {
      sink.abandon();
      io.stderr.write(
        v.out === undefined
          ? `export: stopped after ${written.toLocaleString('en-US')} calls; the output is incomplete.\n`
          : `export: stopped after ${written.toLocaleString('en-US')} calls; nothing written to ${v.out}.\n`,
      );
      return 130;
    }
    sink.finish();
    const what = `${written.toLocaleString('en-US')} ${written === 1 ? 'call' : 'calls'}`;
    if (v.out !== undefined) {
      io.stdout.write(`wrote ${what} to ${v.out} (${format}, ${bytes(statSync(v.out).size)})\n`);
    } else if (progress.shown) {
      io.stderr.write(`exported ${what}\n`);
    }
    return EXIT.ok;
  } finally {
    db.close();
  }
}

/** A size for people: 1.2 MB. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let x = n;
  let u = -1;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${units[u]}`;
}
