import { floorHour } from './spend.js';

export const DAY_MS = 86_400_000;
const MIN_WINDOW_MS = DAY_MS;
const MAX_WINDOW_MS = 7 * DAY_MS;

/**
 * Where the window of recent spending that sets the burn rate begins; it ends now.
 * It covers the elapsed part of the period, but never less than a day, so it
 * always holds a whole daily cycle (a forecast at 9:00 after a quiet night, or
 * just after midnight, is not thrown off by the hour of day), and never more than
 * a week, so a month's forecast follows what is spent now rather than weeks ago.
 * Early in a period the window reaches back into the previous one. It starts on
 * the hour, so it is read from whole rollup hours.
 */
export function rateWindowStart(now: number, periodStart: number): number {
  const elapsed = now - periodStart;
  return floorHour(now - Math.min(Math.max(elapsed, MIN_WINDOW_MS), MAX_WINDOW_MS));
}

export interface ForecastInput {
  now: number;
  /** The period's end. */
  end: number;
  limitPusd: bigint;
  /** Spent in the period so far. */
  spentPusd: bigint;
  /** Spent in the rate window [windowStart, now]. */
  windowPusd: bigint;
  windowStart: number;
}

export interface Forecast {
  /** Spent so far plus the burn rate until the period's end: never below spent. */
  forecastPusd: number;
  /** Days until the limit is reached at the burn rate: 0 when it is, null when it will not be within the period. */
  daysLeft: number | null;
}

/** Extrapolates the window's burn rate (pUSD per ms) from now to the period's end. */
export function forecast(f: ForecastInput): Forecast {
  const windowMs = Math.max(f.now - f.windowStart, 1);
  const rate = Number(f.windowPusd) / windowMs;
  const spent = Number(f.spentPusd);
  const remainingMs = Math.max(f.end - f.now, 0);
  const forecastPusd = Math.max(spent, Math.round(spent + rate * remainingMs));
  let daysLeft: number | null;
  if (f.spentPusd >= f.limitPusd) daysLeft = 0;
  else if (rate <= 0) daysLeft = null;
  else {
    const untilLimitMs = Number(f.limitPusd - f.spentPusd) / rate;
    // Rounded up to the hundredth of a day (less float noise), so money that is not gone never shows 0.
    daysLeft =
      untilLimitMs >= remainingMs ? null : Math.ceil((untilLimitMs / DAY_MS) * 100 - 1e-9) / 100;
  }
  return { forecastPusd, daysLeft };
}
