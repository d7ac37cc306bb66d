import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { formatUsd, OverrideFileError, pusdToUsd } from '@costlens/pricing';
import { ConfigError, loadConfig } from '../service/config.js';
import { buildCatalogue } from '../service/parts.js';
import { type RepriceFilter, Repricer, type RepriceTotals } from '../store/recompute.js';
import { Store } from '../store/store.js';
import { date, parse } from './args.js';
import { stoppable, turn } from './database.js';
import { EXIT, type Io, UsageError } from './io.js';
import { Progress } from './progress.js';

export const RECOMPUTE_HELP = `costlens recompute: re-price stored calls with today's prices

Usage: costlens recompute [--from DATE] [--to DATE] [--model M] [--provider P]
                          [--config FILE] [--db PATH] [--prices FILE] [--restart] [--quiet]

Prices every stored call again with the catalogue of this costlens and your price
file (--prices, or prices: in the config), at the time each call was made, and moves
the hourly rollups by the same amounts. Calls that failed without usage stay at $0.
It runs beside a running collector in short transactions; restart the collector (or
wait for its next start) for /metrics to count the new prices.

  --from, --to   only calls that started in [from, to) (ISO dates or date-times)
  --model        only calls of this model (the response model, else the request one)
  --provider     only calls of this provider (gen_ai.provider.name)
  --restart      start over instead of resuming a run that was stopped
  --quiet        no progress line on a terminal

Ctrl-C stops after the current chunk; the same command then resumes where it stopped.
Prints what changed: calls re-priced, calls now priced or unpriced, old and new totals.
`;

const NOTHING: RepriceTotals = {
  calls: 0,
  changed: 0,
  kept: 0,
  newlyPriced: 0,
  newlyUnpriced: 0,
  beforePusd: 0n,
  afterPusd: 0n,
};

/** What a stopped run left, next to the database, to resume from. */
interface Checkpoint {
  filter: RepriceFilter;
  catalogue: string;
  lastRowid: number;
  totals: Record<keyof RepriceTotals, string | number>;
}

export async function recomputeCommand(args: string[], io: Io): Promise<number> {
  const v = parse('recompute', args, {
    from: { type: 'string' },
    to: { type: 'string' },
    model: { type: 'string' },
    provider: { type: 'string' },
    config: { type: 'string' },
    db: { type: 'string' },
    prices: { type: 'string' },
    restart: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  const filter: RepriceFilter = {};
  const from = date('from', v.from);
  const to = date('to', v.to);
  if (from) filter.from = from.getTime();
  if (to) filter.to = to.getTime();
  if (from && to && from >= to) throw new UsageError('recompute: --from must be before --to.');
  if (v.model !== undefined) filter.model = v.model;
  if (v.provider !== undefined) filter.provider = v.provider;

  let config: ReturnType<typeof loadConfig>;
  let catalogue: ReturnType<typeof buildCatalogue>;
  try {
    config = loadConfig({
      file: v.config,
      env: io.env,
      flags: {
        ...(v.db !== undefined ? { db: v.db } : {}),
        ...(v.prices !== undefined ? { prices: v.prices } : {}),
      },
    });
    catalogue = buildCatalogue(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`recompute: ${err.message}.`);
    if (err instanceof OverrideFileError)
      throw new UsageError(`recompute: price file ${err.message}`);
    throw err;
  }
  if (!existsSync(config.db)) {
    throw new UsageError(`recompute: there is no database at ${config.db}; pass --db or --config.`);
  }

  const store = new Store(config.db);
  const checkpointFile = `${config.db}.recompute.json`;
  try {
    const repricer = new Repricer(store.db, catalogue, config.limits);
    const resumed = v.restart ? null : readCheckpoint(checkpointFile, filter, catalogue.version);
    const after = resumed?.lastRowid ?? 0;
    const total = repricer.count(filter, after);
    if (resumed)
      io.stderr.write(`resuming a stopped run: ${total.toLocaleString('en-US')} calls left\n`);
    const progress = new Progress(io.stderr, { verb: 're-priced', unit: 'calls', quiet: v.quiet });
    let last: { lastRowid: number; totals: RepriceTotals } | null = null;
    // A chunk at a time with the event loop's turn between: Ctrl-C is seen after the
    // chunk it comes in, not after the whole run.
    const stopped = await stoppable(async (stop) => {
      for (const p of repricer.chunks(filter, { after })) {
        last = p;
        progress.update(p.totals.calls, Math.max(total, p.totals.calls));
        await turn();
        if (stop()) return true;
      }
      return false;
    });
    progress.done();
    const totals = (last as { totals: RepriceTotals } | null)?.totals ?? NOTHING;
    const all = resumed ? add(fromJson(resumed.totals), totals) : totals;
    if (stopped && last !== null && totals.calls < total) {
      writeCheckpoint(
        checkpointFile,
        filter,
        catalogue.version,
        (last as { lastRowid: number }).lastRowid,
        all,
      );
      io.stderr.write(
        `stopped after ${all.calls.toLocaleString('en-US')} calls; run the same command again to resume (or add --restart)\n`,
      );
      return 130;
    }
    rmSync(checkpointFile, { force: true });
    io.stdout.write(report(all, catalogue.version, config.prices));
    return EXIT.ok;
  } finally {
    store.close();
  }
}

const usd = (pusd: bigint) => `$${formatUsd(pusdToUsd(Number(pusd)))}`;

function report(t: RepriceTotals, version: string, prices: string | null): string {
  const n = (x: number) => x.toLocaleString('en-US').padStart(10);
  return `re-priced ${t.calls.toLocaleString('en-US')} calls with catalogue ${version}${prices ? ` and ${prices}` : ''}
  changed      ${n(t.changed)}
  now priced   ${n(t.newlyPriced)}   (were unpriced)
  now unpriced ${n(t.newlyUnpriced)}
  kept         ${n(t.kept)}   (their cost rests on counts the record does not keep)
  total        ${usd(t.beforePusd)} -> ${usd(t.afterPusd)}
`;
}

function readCheckpoint(file: string, filter: RepriceFilter, catalogue: string): Checkpoint | null {
  if (!existsSync(file)) return null;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
    // Only the same run resumes: another filter or catalogue starts over.
    if (c.catalogue !== catalogue || JSON.stringify(c.filter) !== JSON.stringify(filter))
      return null;
    return c;
  } catch {
    return null;
  }
}

function writeCheckpoint(
  file: string,
  filter: RepriceFilter,
  catalogue: string,
  lastRowid: number,
  totals: RepriceTotals,
): void {
  const shown = Object.fromEntries(
    Object.entries(totals).map(([k, x]) => [k, typeof x === 'bigint' ? x.toString() : x]),
  ) as Checkpoint['totals'];
  writeFileSync(
    file,
    JSON.stringify({ filter, catalogue, lastRowid, totals: shown } satisfies Checkpoint),
  );
}

function fromJson(t: Checkpoint['totals']): RepriceTotals {
  return {
    calls: Number(t.calls),
    changed: Number(t.changed),
    kept: Number(t.kept),
    newlyPriced: Number(t.newlyPriced),
    newlyUnpriced: Number(t.newlyUnpriced),
    beforePusd: BigInt(t.beforePusd),
    afterPusd: BigInt(t.afterPusd),
  };
}

function add(a: RepriceTotals, b: RepriceTotals): RepriceTotals {
  return {
    calls: a.calls + b.calls,
    changed: a.changed + b.changed,
    kept: a.kept + b.kept,
    newlyPriced: a.newlyPriced + b.newlyPriced,
    newlyUnpriced: a.newlyUnpriced + b.newlyUnpriced,
    beforePusd: a.beforePusd + b.beforePusd,
    afterPusd: a.afterPusd + b.afterPusd,
  };
}
