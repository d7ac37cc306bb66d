import { pusdToUsd, usdToPusd } from '@costlens/pricing';

/** What one call can plausibly report; a span beyond it is rejected, naming the attribute. */
export interface CallLimits {
  /** Largest count of each kind of token. */
  tokens_per_call: number;
  images_per_call: number;
  video_seconds_per_call: number;
  /**
   * Largest cost of one call in USD. The default, $9,000, keeps every cost an exact
   * whole number of pico-dollars in a double (exact up to $9,007.19).
   */
  cost_usd_per_call: number;
}

export const DEFAULT_LIMITS: Readonly<CallLimits> = {
  tokens_per_call: 1_000_000_000,
  images_per_call: 100_000,
  video_seconds_per_call: 86_400,
  cost_usd_per_call: 9_000,
};

/** Retries of one call: no client retries a million times. */
export const MAX_RETRIES = 1_000_000;

/** Longest name kept in a record (models, projects, users, error types, ...), in characters. */
export const MAX_NAME_CHARS = 512;

/** Why a computed cost cannot be a call's, or null when it can: beyond the cost limit it is unpriced. */
export function beyondCostLimit(pusd: number, limits: CallLimits): string | null {
  if (pusd <= usdToPusd(limits.cost_usd_per_call)) return null;
  return `the usage prices to $${pusdToUsd(pusd)}, beyond the $${limits.cost_usd_per_call} one call can cost (limits.cost_usd_per_call)`;
}
