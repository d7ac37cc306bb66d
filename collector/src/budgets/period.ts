import type { BudgetConfig } from './config.js';
import { addDays, isoDate, type LocalDate, type TimeZone } from './time-zone.js';

export type PeriodKind = BudgetConfig['period'];

/** One calendar period of a budget: [start, end) in epoch ms. */
export interface Period {
  start: number;
  end: number;
  /** How a message names it: `2026-12-02`, `the week of 2026-11-30`, `December 2026`. */
  label: string;
}

const MONTH = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/**
 * The period of kind `kind` that holds instant `t`, by the calendar of `zone`:
 * a day from local midnight, a week from Monday's, a month from the 1st's. Its
 * length follows the clocks: a day with a daylight-saving change lasts 23 or 25 hours.
 */
export function periodAt(t: number, kind: PeriodKind, zone: TimeZone): Period {
  const today = zone.dateAt(t);
  let first: LocalDate;
  let next: LocalDate;
  let label: string;
  if (kind === 'day') {
    first = today;
    next = addDays(today, 1);
    label = isoDate(today);
  } else if (kind === 'week') {
    const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay();
    first = addDays(today, -((weekday + 6) % 7));
    next = addDays(first, 7);
    label = `the week of ${isoDate(first)}`;
  } else {
    first = { year: today.year, month: today.month, day: 1 };
    next =
      today.month === 12
        ? { year: today.year + 1, month: 1, day: 1 }
        : { year: today.year, month: today.month + 1, day: 1 };
    label = MONTH.format(Date.UTC(today.year, today.month - 1, 1));
  }
  return { start: zone.startOf(first), end: zone.startOf(next), label };
}
