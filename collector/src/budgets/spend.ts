import type { SpendScope } from '../store/budget-queries.js';

export const HOUR_MS = 3_600_000;
export const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
const ceilHour = (t: number) => Math.ceil(t / HOUR_MS) * HOUR_MS;

/** Where spend sums are read (store/budget-queries.ts). */
export interface SpendSource {
  lastCallId(): number;
  newCallsSpan(after: number, upTo: number): { first: number; last: number } | null;
  newCallsPusd(scope: SpendScope, from: number, to: number, after: number, upTo: number): bigint;
  rollupPusd(scope: SpendScope, fromHour: number, toHour: number): bigint;
  callsPusd(scope: SpendScope, from: number, to: number): bigint;
}

/** A remembered sum of the calls in `scope` that started in [from, to), and when a read last used it. */
interface Entry {
  scope: SpendScope;
  from: number;
  to: number;
  pusd: bigint;
  usedAt: number;
}

/** Sums not read for this long are forgotten. */
const UNUSED_MS = 2 * HOUR_MS;

/**
 * Exact spend over any time range, in pUSD: the hourly rollups for the hours the
 * range touches, less the calls of those hours that fall outside it (a period
 * that starts or ends off the hour, as in a +05:30 time zone).
 *
 * Sums over hours before the last two, and over those cut-off calls, are
 * remembered, so a month's budget does not re-read a month of rollups every
 * second. A remembered sum takes in the calls stored since it was read that
 * started inside its range (a late export): a rollup hour grows by exactly the
 * cost of the calls added to it. Calls removed or repriced change sums without
 * adding calls, so every remembered sum is read again after `rereadMs`, or at
 * once after invalidate().
 *
 * Call refresh() and then the reads of one round inside one read transaction of
 * the store, so the last call id and the sums see the same calls.
 */
export class SpendReader {
  readonly #source: SpendSource;
  readonly #rereadMs: number;
  readonly #entries = new Map<string, Entry>();
  #watermark = -1;
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(source: SpendSource, rereadMs = 600_000) {
    this.#source = source;
    this.#rereadMs = rereadMs;
  }

  /** Forgets every remembered sum (calls were removed or repriced). */
  invalidate(): void {
    this.#entries.clear();
    this.#watermark = -1;
  }

  /** Call before a round of reads at `now`: brings the remembered sums up to the calls stored since. */
  refresh(now: number): void {
    const last = this.#source.lastCallId();
    if (this.#watermark < 0 || last < this.#watermark || now - this.#readAt >= this.#rereadMs) {
      this.#entries.clear();
      this.#readAt = now;
    } else if (last > this.#watermark) {
      const added = this.#source.newCallsSpan(this.#watermark, last);
      for (const e of this.#entries.values()) {
        if (added === null || e.to <= added.first || e.from > added.last) continue;
        e.pusd += this.#source.newCallsPusd(e.scope, e.from, e.to, this.#watermark, last);
      }
    }
    this.#watermark = last;
    for (const [k, e] of this.#entries) if (now - e.usedAt > UNUSED_MS) this.#entries.delete(k);
  }

  /**
   * pUSD of the calls in `scope` that started in [from, to). `key` names the
   * sum (a budget and what for), so each one is carried forward hour by hour.
   */
  between(key: string, scope: SpendScope, from: number, to: number, now: number): bigint {
    const first = floorHour(from);
    const last = ceilHour(to);
    const settled = Math.min(Math.max(floorHour(now) - HOUR_MS, first), last);
    let pusd =
      this.#settled(`${key}|hours`, scope, first, settled, now) +
      this.#source.rollupPusd(scope, settled, last);
    if (from > first) pusd -= this.#calls(`${key}|head`, scope, first, from, now);
    if (to < last) pusd -= this.#calls(`${key}|tail`, scope, to, last, now);
    return pusd;
  }

  /** Rollup hours [from, to), carried forward from the last read when that is cheaper. */
  #settled(key: string, scope: SpendScope, from: number, to: number, now: number): bigint {
    const e = this.#entries.get(key);
    let pusd: bigint;
    if (e !== undefined && e.from <= from && e.to <= to && from - e.from <= to - from) {
      pusd =
        e.pusd -
        this.#source.rollupPusd(scope, e.from, from) +
        this.#source.rollupPusd(scope, e.to, to);
    } else {
      pusd = this.#source.rollupPusd(scope, from, to);
    }
    this.#entries.set(key, { scope, from, to, pusd, usedAt: now });
    return pusd;
  }

  #calls(key: string, scope: SpendScope, from: number, to: number, now: number): bigint {
    const e = this.#entries.get(key);
    if (e !== undefined && e.from === from && e.to === to) {
      e.usedAt = now;
      return e.pusd;
    }
    const pusd = this.#source.callsPusd(scope, from, to);
    this.#entries.set(key, { scope, from, to, pusd, usedAt: now });
    return pusd;
  }
}
