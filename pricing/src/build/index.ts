import { createHash } from 'node:crypto';
import type { CatalogueData, ModelEntry, PriceSet } from '../types.js';
import { convertGenaiPrices } from './genai-prices.js';
import { convertLitellm } from './litellm.js';
import { mergeSources } from './merge.js';
import { applyOverlay, fillAnthropicCache, type Overlay } from './overlay.js';

export { type CatalogueDiff, diffCatalogues } from './diff.js';
export { convertGenaiPrices } from './genai-prices.js';
export { convertLitellm } from './litellm.js';
export type { Overlay, OverlayRow } from './overlay.js';
export { type ConvertResult, SourceFormatError } from './providers.js';

export const BUNDLED_OVERLAY_PATH = new URL('../../data/overlay.json', import.meta.url);

export const LITELLM_NOTICE =
  "LiteLLM's model_prices_and_context_window.json (BerriAI/litellm), MIT License, Copyright (c) 2023 Berri AI";
export const GENAI_PRICES_NOTICE =
  'pydantic/genai-prices prices/new_data/v2/data.json, MIT License, Copyright (c) Pydantic Services Inc. 2025 to present';

export interface BuildInput {
  /** Parsed LiteLLM price file. */
  litellm: unknown;
  /** Parsed genai-prices data file, if any. */
  genaiPrices?: unknown;
  overlay: Overlay;
  /** As-of dates of the source files, `YYYY-MM-DD`. */
  litellmAsOf: string;
  genaiPricesAsOf?: string;
}

export interface BuildResult {
  data: CatalogueData;
  skipped: { source: string; key: string; reason: string }[];
}

function checkPrices(m: ModelEntry): void {
  const bad = (v: unknown) => typeof v === 'number' && (!Number.isFinite(v) || v < 0);
  const visit = (p: PriceSet) => {
    for (const [k, v] of Object.entries(p)) {
      if (bad(v)) throw new RangeError(`${m.provider} ${m.id}: price ${k} is ${String(v)}`);
    }
    for (const t of p.tiers ?? []) visit(t);
  };
  for (const d of m.prices) visit(d.prices);
}

/** Sources + overlay -> catalogue data; the same inputs give the same bytes. */
export function buildCatalogue(input: BuildInput): BuildResult {
  const lite = convertLitellm(input.litellm);
  const genai =
    input.genaiPrices === undefined
      ? { models: [], skipped: [] }
      : convertGenaiPrices(input.genaiPrices);
  let models = mergeSources(genai.models, lite.models);
  models = fillAnthropicCache(applyOverlay(models, input.overlay), input.overlay);
  models.sort((a, b) => a.provider.localeCompare(b.provider) || a.id.localeCompare(b.id));
  models.forEach(checkPrices);
  const count = (s: string) => models.filter((m) => m.source === s).length;
  const sources: CatalogueData['sources'] = [
    { name: 'litellm', as_of: input.litellmAsOf, models: count('litellm'), notice: LITELLM_NOTICE },
  ];
  if (input.genaiPrices !== undefined) {
    sources.push({
      name: 'genai-prices',
      as_of: input.genaiPricesAsOf ?? input.litellmAsOf,
      models: count('genai-prices'),
      notice: GENAI_PRICES_NOTICE,
    });
  }
  sources.push({
    name: 'overlay',
    as_of: input.overlay.as_of,
    models: count('overlay'),
    notice: 'costlens, hand-kept',
  });
  const hash = createHash('sha256').update(JSON.stringify(models)).digest('hex').slice(0, 8);
  // Dated by its data, not by when it was built, so a rebuild of the same sources is byte-identical.
  const date = [input.litellmAsOf, input.genaiPricesAsOf ?? '', input.overlay.as_of].sort().at(-1)!;
  return {
    data: { version: `${date.replaceAll('-', '.')}-${hash}`, date, sources, models },
    skipped: [
      ...lite.skipped.map((s) => ({ source: 'litellm', ...s })),
      ...genai.skipped.map((s) => ({ source: 'genai-prices', ...s })),
    ],
  };
}
