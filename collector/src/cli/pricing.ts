import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BUNDLED_CATALOGUE_PATH,
  type CatalogueData,
  describePrices,
  loadCatalogue,
  type PriceKind,
  pricesAt,
} from '@costlens/pricing';
import {
  BUNDLED_OVERLAY_PATH,
  buildCatalogue,
  diffCatalogues,
  type Overlay,
  SourceFormatError,
} from '@costlens/pricing/build';
import { parse } from './args.js';
import { openCatalogue } from './catalogue.js';
import { EXIT, type Io, UsageError } from './io.js';
import { Progress } from './progress.js';

export const PRICING_HELP = `costlens pricing: the price catalogue

Usage:
  costlens pricing list [--provider P] [--search TEXT] [--prices FILE] [--catalogue FILE] [--json]
  costlens pricing update --litellm FILE [--genai-prices FILE] [--out FILE] [--dry-run] [--force]

list     shows what the catalogue knows (USD per 1M tokens; media per image or second)
update   rebuilds the catalogue from newer copies of LiteLLM's and genai-prices' price
         files: validates them, refuses a rebuild that loses more than 30% of the
         models (--force overrides), prints what changed, writes --out (default: the
         bundled catalogue)

Run 'costlens help pricing list' or 'costlens help pricing update' for their options.
`;

export const PRICING_LIST_HELP = `costlens pricing list: what the price catalogue knows

Usage: costlens pricing list [--provider P] [--search TEXT] [--prices FILE] [--catalogue FILE] [--json]

  --provider P       only this provider's models: openai, anthropic, gcp.gemini, ...
  --search TEXT      only models whose id or an alias contains TEXT
  --prices FILE      a price override file (JSON or YAML) laid over the catalogue
  --catalogue FILE   a catalogue other than the bundled one
  --json             the catalogue version and its models as one JSON object

Prices in force now: tokens in USD per 1M, images in USD each, video in USD per second.
`;

export const PRICING_UPDATE_HELP = `costlens pricing update: rebuild the catalogue from newer price sources

Usage: costlens pricing update --litellm FILE [--genai-prices FILE] [--out FILE] [--dry-run] [--force]

  --litellm FILE               LiteLLM's model_prices_and_context_window.json (required)
  --genai-prices FILE          genai-prices' prices/new_data/v2/data.json
  --litellm-as-of DATE         the day the LiteLLM file was taken, like 2026-07-24 (default: today)
  --genai-prices-as-of DATE    the day the genai-prices file was taken (default: today)
  --overlay FILE               hand-kept prices laid over the sources (default: the bundled overlay)
  --out FILE                   the catalogue to write (default: the bundled one)
  --dry-run                    print what would change, write nothing
  --force                      write even if the new sources lose more than 30% of the models
  --quiet                      no progress line on a terminal

Validates the files, prints the models added, removed and repriced, then writes --out.
Exit status: 0 written (or a dry run), 1 refused or unusable sources, 2 bad arguments.
`;

/** A rebuild that would lose more than this share of the models is refused. */
export const MAX_LOSS = 0.3;

const money = (v: number | undefined) => (v === undefined ? '-' : String(v));

/** What the "other prices" column shows: cache, long-context and media prices (input and output have columns). */
const OTHER_PRICES = [
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'tiers',
  'images',
  'video',
] as const satisfies readonly PriceKind[];

/** costlens pricing list */
export function pricingList(args: string[], io: Io): number {
  const v = parse('pricing list', args, {
    provider: { type: 'string' },
    search: { type: 'string' },
    prices: { type: 'string' },
    catalogue: { type: 'string' },
    json: { type: 'boolean' },
  });
  const catalogue = openCatalogue({ catalogue: v.catalogue, prices: v.prices });
  const models = catalogue.list({ provider: v.provider, search: v.search });
  if (v.json) {
    io.stdout.write(`${JSON.stringify({ version: catalogue.version, models })}\n`);
    return EXIT.ok;
  }
  const now = Date.now();
  const rows = models.map((m) => {
    const p = pricesAt(m, now, { daily: false });
    return [
      m.provider,
      m.id,
      m.mode,
      money(p?.input),
      money(p?.output),
      describePrices(p, OTHER_PRICES),
      m.source,
    ];
  });
  const head = ['provider', 'model', 'mode', 'input/1M', 'output/1M', 'other prices', 'source'];
  const widths = head.map((h, i) =>
    Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
  io.stdout.write(`${models.length} of ${catalogue.size} models, catalogue ${catalogue.version}\n`);
  return EXIT.ok;
}

function readJson(flag: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(err as Error).message}.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${flag}: ${path} is not valid JSON (${(err as Error).message}).`);
  }
}

/** costlens pricing update */
export function pricingUpdate(args: string[], io: Io): number {
  const v = parse('pricing update', args, {
    litellm: { type: 'string' },
    'genai-prices': { type: 'string' },
    overlay: { type: 'string' },
    out: { type: 'string' },
    'litellm-as-of': { type: 'string' },
    'genai-prices-as-of': { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (!v.litellm)
    throw new UsageError(
      "pricing update: --litellm FILE is required (LiteLLM's model_prices_and_context_window.json).",
    );
  const today = new Date().toISOString().slice(0, 10);
  for (const flag of ['litellm-as-of', 'genai-prices-as-of'] as const) {
    const d = v[flag];
    if (d !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d)))) {
      throw new UsageError(`--${flag} must be a date like 2026-07-24, got "${d}".`);
    }
  }
  const out = v.out ?? fileURLToPath(BUNDLED_CATALOGUE_PATH);
  // Its steps, on a terminal: the build has no counts to show, so each step says what it is doing.
  const progress = new Progress(io.stderr, { verb: 'built', unit: 'steps', quiet: v.quiet });
  let built: ReturnType<typeof buildCatalogue>;
  let before: CatalogueData | undefined;
  try {
    const overlay = readJson(
      'overlay',
      v.overlay ?? fileURLToPath(BUNDLED_OVERLAY_PATH),
    ) as Overlay;
    progress.say(`reading ${v.litellm}`);
    const litellm = readJson('litellm', v.litellm);
    const genai = v['genai-prices'];
    if (genai) progress.say(`reading ${genai}`);
    const genaiPrices = genai ? readJson('genai-prices', genai) : undefined;
    progress.say('building the catalogue');
    try {
      built = buildCatalogue({
        litellm,
        ...(genaiPrices !== undefined ? { genaiPrices } : {}),
        overlay,
        litellmAsOf: v['litellm-as-of'] ?? today,
        ...(genaiPrices !== undefined ? { genaiPricesAsOf: v['genai-prices-as-of'] ?? today } : {}),
      });
    } catch (err) {
      if (err instanceof SourceFormatError || err instanceof RangeError) {
        progress.done();
        io.stderr.write(`pricing update: the new sources are not usable: ${err.message}\n`);
        return EXIT.failed;
      }
      throw err;
    }
    progress.say(`comparing with ${out}`);
    try {
      before = loadCatalogue(out).data;
    } catch {
      before = undefined; // first build: nothing to compare with
    }
  } finally {
    progress.done();
  }
  const next = built.data;
  if (before) {
    const diff = diffCatalogues(before, next);
    const lost = diff.removed.length / Math.max(before.models.length, 1);
    io.stdout.write(
      `catalogue ${before.version} -> ${next.version}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.repriced.length} repriced (${before.models.length} -> ${next.models.length} models)\n`,
    );
    for (const a of diff.added.slice(0, 50)) io.stdout.write(`  + ${a}\n`);
    for (const r of diff.removed.slice(0, 50)) io.stdout.write(`  - ${r}\n`);
    for (const r of diff.repriced.slice(0, 50))
      io.stdout.write(`  ~ ${r.model}: ${r.before} -> ${r.after}\n`);
    const more =
      Math.max(diff.added.length - 50, 0) +
      Math.max(diff.removed.length - 50, 0) +
      Math.max(diff.repriced.length - 50, 0);
    if (more > 0) io.stdout.write(`  ... and ${more} more\n`);
    if (lost > MAX_LOSS && !v.force) {
      io.stderr.write(
        `pricing update: refused: the new sources lose ${diff.removed.length} of ${before.models.length} models (${Math.round(lost * 100)}%, more than ${MAX_LOSS * 100}%); check the files, or pass --force if that is intended. Nothing was written.\n`,
      );
      return EXIT.failed;
    }
  } else {
    io.stdout.write(`catalogue ${next.version}: ${next.models.length} models (new)\n`);
  }
  if (built.skipped.length)
    io.stdout.write(`${built.skipped.length} source entries skipped (no price costlens models)\n`);
  if (v['dry-run']) {
    io.stdout.write('dry run: nothing written\n');
    return EXIT.ok;
  }
  // Write then rename, so a crash never leaves half a catalogue behind.
  writeFileSync(`${out}.tmp`, `${JSON.stringify(next, null, 1)}\n`);
  renameSync(`${out}.tmp`, out);
  io.stdout.write(`wrote ${out}\n`);
  return EXIT.ok;
}
