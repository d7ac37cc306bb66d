import { perMillionToPusd, usdToPusd } from './money.js';
import {
  type DatedPrices,
  type ImagePrice,
  type ModelEntry,
  type PriceSet,
  TOKEN_KINDS,
  type TokenKind,
  type TokenPrices,
  type VideoPrice,
} from './types.js';

/** Token prices in pUSD per token; undefined = unknown. */
export type TokenRates = { [K in TokenKind]?: number };

/** A PriceSet turned into integer pUSD rates once, then reused for every call. */
export interface Rates {
  base: TokenRates;
  /** Ascending by `above`. */
  tiers: { above: number; rates: TokenRates }[];
  images: (ImagePrice & { pusd: number })[];
  /** `pusd` is per second. */
  video: (VideoPrice & { pusd: number })[];
}

function tokenRates(p: TokenPrices, fallback?: TokenRates): TokenRates {
  const r: TokenRates = { ...fallback };
  for (const kind of TOKEN_KINDS) {
    const v = p[kind];
    if (v !== undefined) r[kind] = perMillionToPusd(v);
  }
  return r;
}

export function toRates(p: PriceSet): Rates {
  const base = tokenRates(p);
  return {
    base,
    tiers: (p.tiers ?? [])
      .map((t) => ({ above: t.above, rates: tokenRates(t, base) }))
      .sort((a, b) => a.above - b.above),
    images: (p.images ?? []).map((i) => ({ ...i, pusd: usdToPusd(i.usd) })),
    video: (p.video ?? []).map((v) => ({ ...v, pusd: usdToPusd(v.usd_per_second) })),
  };
}

/** Caches converted rates per PriceSet object, so a catalogue converts each at most once. */
export class RateCache {
  #cache = new WeakMap<PriceSet, Rates>();

  get(p: PriceSet): Rates {
    let r = this.#cache.get(p);
    if (r === undefined) {
      r = toRates(p);
      this.#cache.set(p, r);
    }
    return r;
  }
}

function minutesOf(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function inDailyWindow(window: { start: string; end: string }, at: number): boolean {
  const now = Math.floor((((at % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start <= end ? now >= start && now < end : now >= start || now < end;
}

const fromTimes = new WeakMap<DatedPrices, number>();

function fromTime(d: DatedPrices): number {
  if (d.from === undefined) return Number.NEGATIVE_INFINITY;
  let t = fromTimes.get(d);
  if (t === undefined) {
    t = Date.parse(d.from);
    fromTimes.set(d, t);
  }
  return t;
}

/**
 * The prices in force at `at` (epoch ms or a Date): the newest entry whose
 * `from` has passed, then a daily window (off-peak, peak) that has passed too
 * and covers the time of day. With `{ daily: false }` windows are left out: the
 * standard prices of that moment, as a price list shows them.
 */
export function pricesAt(
  entry: ModelEntry,
  at: number | Date,
  options?: { daily?: boolean },
): PriceSet | undefined {
  const t = typeof at === 'number' ? at : at.getTime();
  const windows = options?.daily !== false;
  const only = entry.prices.length === 1 ? entry.prices[0] : undefined;
  if (only && only.from === undefined && !only.daily) return only.prices;
  let current: DatedPrices | undefined;
  let currentFrom = Number.NEGATIVE_INFINITY;
  let window: DatedPrices | undefined;
  for (const d of entry.prices) {
    const from = fromTime(d);
    if (from > t) continue;
    if (d.daily) {
      if (windows && inDailyWindow(d.daily, t)) window = d;
    } else if (from >= currentFrom) {
      current = d;
      currentFrom = from;
    }
  }
  return (window ?? current)?.prices;
}
