import { readFileSync } from 'node:fs';
import { checkUsage, compute, scale, total } from './calculate.js';
import { candidateNames, normalizeProvider, providerChain } from './model-id.js';
import { pricesAt, RateCache } from './rates.js';
import type {
  CatalogueData,
  ModelEntry,
  PricedResult,
  PriceRequest,
  PriceResult,
  Usage,
} from './types.js';

/** Where the bundled catalogue lives, from src/ and from dist/ alike. */
export const BUNDLED_CATALOGUE_PATH = new URL('../data/catalogue.json', import.meta.url);

export interface Match {
  entry: ModelEntry;
  /** The name that matched: the model as written, or one of its explicit rewrites. */
  matchedAs: string;
}

export interface ListOptions {
  provider?: string;
  /** Case-insensitive text in the model id or an alias. */
  search?: string;
}

/** The call's time in epoch ms. */
function toTime(at: PriceRequest['at']): number {
  if (at === undefined) return Date.now();
  const t = typeof at === 'number' ? at : at instanceof Date ? at.getTime() : Date.parse(at);
  if (!Number.isFinite(t)) throw new RangeError(`at must be a date, got ${String(at)}`);
  return t;
}

const key = (provider: string, name: string) => `${provider}\u0000${name}`;

/** How many distinct (provider, model) look-ups a catalogue remembers before starting over. */
const FIND_MEMO_LIMIT = 10_000;

/**
 * A price catalogue: finds a model's entry by explicit rules and prices usage.
 * Immutable; `withOverrides` (see overrides.ts) returns a new one.
 */
export class Catalogue {
  readonly version: string;
  readonly data: CatalogueData;
  readonly providers: readonly string[];
  readonly #index = new Map<string, ModelEntry>();
  readonly #rates = new RateCache();
  readonly #found = new Map<string, Map<string, Match | null>>();
  #remembered = 0;

  constructor(data: CatalogueData) {
    if (!data || !Array.isArray(data.models) || typeof data.version !== 'string') {
      throw new TypeError('Catalogue expects catalogue data with a version and a models list');
    }
    this.data = data;
    this.version = data.version;
    // Ids first, then aliases where no id claims the name: an id always wins.
    for (const m of data.models) {
      if (!this.#index.has(key(m.provider, m.id))) this.#index.set(key(m.provider, m.id), m);
    }
    for (const m of data.models) {
      for (const a of m.aliases ?? []) {
        if (!this.#index.has(key(m.provider, a))) this.#index.set(key(m.provider, a), m);
      }
    }
    this.providers = [...new Set(data.models.map((m) => m.provider))];
  }

  get size(): number {
    return this.data.models.length;
  }

  /** The entry for `model`, or null. Tries the provider (and its family) first, each with the model's explicit rewrites. */
  find(model: string, provider?: string): Match | null {
    // Apps call a handful of models millions of times: remember the answers (bounded).
    let byModel = this.#found.get(provider ?? '');
    if (byModel === undefined) {
      byModel = new Map();
      this.#found.set(provider ?? '', byModel);
    }
    const memo = byModel.get(model);
    if (memo !== undefined) return memo;
    const found = this.#search(model, provider);
    if (++this.#remembered > FIND_MEMO_LIMIT) {
      this.#found.clear();
      this.#remembered = 0;
    } else {
      byModel.set(model, found);
    }
    return found;
  }

  #search(model: string, provider?: string): Match | null {
    const names = candidateNames(model);
    for (const p of providerChain(provider, this.providers)) {
      for (const name of names) {
        const entry = this.#index.get(key(p, name));
        if (entry) return { entry, matchedAs: name };
      }
    }
    return null;
  }

  /** Prices one call. Throws RangeError for usage no call can have; an unknown price is a result, not an error. */
  price(req: PriceRequest): PriceResult {
    return this.priceUsage(req, req?.model, req?.provider, toTime(req?.at));
  }

  /**
   * `price({ ...usage, model, provider, at })` without that object being built:
   * for callers that price every call as it ends. `at` is in epoch ms.
   */
  priceUsage(usage: Usage, model: string, provider: string | undefined, at: number): PriceResult {
    if (typeof model !== 'string' || model.trim() === '') {
      throw new TypeError('price() needs a model name');
    }
    checkUsage(usage);
    const match = this.find(model, provider);
    if (!match) return this.#unpriced(null, this.#unknownReason(model, provider));
    const { entry } = match;
    const priced = { provider: entry.provider, id: entry.id };
    if (entry.prices.length === 0) {
      return this.#unpriced(
        priced,
        `${entry.provider} ${entry.id} has no price: ${entry.reference ?? 'none is known'}`,
      );
    }
    const prices = pricesAt(entry, at);
    if (!prices) {
      return this.#unpriced(
        priced,
        `${entry.id} has no price in force on ${new Date(at).toISOString()}`,
      );
    }
    const result = compute(this.#rates.get(prices), usage);
    if (!result.ok)
      return this.#unpriced(priced, `${entry.provider} ${entry.id}: ${result.reason}`);
    const pusd =
      entry.multiplier === undefined ? result.pusd : scale(result.pusd, entry.multiplier);
    const out: PricedResult = {
      unpriced: false,
      cost_pusd: total(pusd),
      breakdown_pusd: pusd,
      source: entry.source === 'override' ? 'override' : this.version,
      model: priced,
      reason: null,
    };
    if (result.tierAbove !== undefined) out.tier_above = result.tierAbove;
    return out;
  }

  /** Models, sorted by provider then id, optionally filtered. */
  list(options: ListOptions = {}): ModelEntry[] {
    const provider = options.provider ? normalizeProvider(options.provider) : undefined;
    const needle = options.search?.toLowerCase();
    return this.data.models
      .filter((m) => provider === undefined || m.provider === provider)
      .filter(
        (m) =>
          needle === undefined ||
          m.id.includes(needle) ||
          (m.aliases ?? []).some((a) => a.includes(needle)),
      )
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.id.localeCompare(b.id));
  }

  #unknownReason(model: string, provider: string | undefined): string {
    const tried = candidateNames(model).join(', ');
    if (provider) {
      const p = normalizeProvider(provider);
      if (!this.providers.includes(p)) {
        return `unknown model "${model}": no provider in catalogue ${this.version} lists it (tried ${tried}; provider "${provider}" is not in the catalogue)`;
      }
      return `unknown model "${model}" for provider ${p} in catalogue ${this.version} (tried ${tried}); add it with a price override file`;
    }
    return `unknown model "${model}" in catalogue ${this.version} (tried ${tried}); add it with a price override file`;
  }

  #unpriced(model: { provider: string; id: string } | null, reason: string): PriceResult {
    return {
      unpriced: true,
      cost_pusd: null,
      breakdown_pusd: null,
      source: this.version,
      model,
      reason,
    };
  }
}

/** Reads a catalogue file (default: the one bundled with this package). */
export function loadCatalogue(path: string | URL = BUNDLED_CATALOGUE_PATH): Catalogue {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read price catalogue ${String(path)}: ${(err as Error).message}`);
  }
  let data: CatalogueData;
  try {
    data = JSON.parse(text) as CatalogueData;
  } catch (err) {
    throw new Error(`price catalogue ${String(path)} is not valid JSON: ${(err as Error).message}`);
  }
  return new Catalogue(data);
}
