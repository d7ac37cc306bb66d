import type { CostBreakdown } from './types.js';

/**
 * Money is counted in integer pico-dollars (1e-12 USD). A token priced at
 * $0.0375 per million costs 37,500 pUSD, so every per-token, per-image and
 * per-second price of the catalogue is a whole number of pUSD and a cost is an
 * exact integer product: sums of any number of costs never drift.
 */
export const PUSD_PER_USD = 1e12;

/** USD per 1M tokens -> pUSD per token. */
export function perMillionToPusd(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1e6);
}

/** USD per unit (image, second) -> pUSD per unit. */
export function usdToPusd(usd: number): number {
  return Math.round(usd * PUSD_PER_USD);
}

/** pUSD -> USD: the one conversion, made where an amount leaves the program (a span attribute, an API answer, /metrics, the terminal). */
export function pusdToUsd(pusd: number): number {
  return pusd / PUSD_PER_USD;
}

/** A breakdown in pUSD, each component in USD (for a span attribute or a JSON answer). */
export function breakdownToUsd(b: CostBreakdown): CostBreakdown {
  return {
    input: pusdToUsd(b.input),
    output: pusdToUsd(b.output),
    cache_read: pusdToUsd(b.cache_read),
    cache_write: pusdToUsd(b.cache_write),
    reasoning: pusdToUsd(b.reasoning),
    media: pusdToUsd(b.media),
  };
}

/** count * rate, exact even past 2^53 (falls back to BigInt). Fractional counts (seconds) round to the pUSD. */
export function multiply(count: number, ratePusd: number): number {
  const product = count * ratePusd;
  if (Number.isSafeInteger(product)) return product;
  if (Number.isInteger(count) && Number.isInteger(ratePusd)) {
    return Number(BigInt(count) * BigInt(ratePusd));
  }
  return Math.round(product);
}

/** `0.134400` — six decimals, as USD amounts are displayed everywhere. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unpriced';
  return usd.toFixed(6);
}

/** Adds costs exactly. Accepts pUSD integers (preferred) or USD numbers. */
export class MoneySum {
  #pusd = 0n;
  #count = 0;

  addPusd(pusd: number): this {
    if (!Number.isInteger(pusd))
      throw new TypeError(`MoneySum.addPusd expects an integer, got ${pusd}`);
    this.#pusd += BigInt(pusd);
    this.#count++;
    return this;
  }

  addUsd(usd: number): this {
    return this.addPusd(usdToPusd(usd));
  }

  get count(): number {
    return this.#count;
  }

  get pusd(): bigint {
    return this.#pusd;
  }

  /** The total in USD, rounded to the micro-dollar. */
  get usd(): number {
    const micro = (this.#pusd + (this.#pusd >= 0n ? 500_000n : -500_000n)) / 1_000_000n;
    return Number(micro) / 1e6;
  }
}
