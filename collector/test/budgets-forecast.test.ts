import { usdToPusd } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { forecast, rateWindowStart } from '../src/budgets/forecast.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (s: string) => Date.parse(s);
const iso = (t: number) => new Date(t).toISOString();
const pusd = (usd: number) => BigInt(usdToPusd(usd));

describe('rateWindowStart: the elapsed part of the period, at least a day, at most a week, on the hour', () => {
  it('early in a period the window reaches back a whole day, into the period before', () => {
    expect(iso(rateWindowStart(at('2026-12-02T02:10:00Z'), at('2026-12-02T00:00:00Z')))).toBe(
      '2026-12-01T02:00:00.000Z',
    );
  });

  it('three days into a week: those three days', () => {
    expect(iso(rateWindowStart(at('2026-12-03T12:30:00Z'), at('2026-11-30T00:00:00Z')))).toBe(
      '2026-11-30T00:00:00.000Z',
    );
  });

  it('twenty days into a month: the last seven', () => {
    expect(iso(rateWindowStart(at('2026-12-21T12:30:00Z'), at('2026-12-01T00:00:00Z')))).toBe(
      '2026-12-14T12:00:00.000Z',
    );
  });

  it('a +05:30 period: the window still starts on the hour', () => {
    const start = at('2026-12-01T18:30:00Z');
    expect(iso(rateWindowStart(start + 3 * DAY, start))).toBe('2026-12-01T18:00:00.000Z');
  });
});

describe('forecast: spent so far plus the burn rate to the end of the period', () => {
  const now = at('2026-12-02T12:00:00Z');
  const end = at('2026-12-03T00:00:00Z');
  const base = { now, end, windowStart: now - DAY };

  it('$24 in the last day is $1 an hour: $10 spent and 12 hours left forecast $22', () => {
    expect(
      forecast({ ...base, limitPusd: pusd(50), spentPusd: pusd(10), windowPusd: pusd(24) }),
    ).toEqual({ forecastPusd: usdToPusd(22), daysLeft: null });
  });

  it('a limit reached before the end: days_left is when, rounded up to the hundredth of a day', () => {
    // $6 left at $1 an hour: 6 hours, a quarter of a day.
    expect(
      forecast({ ...base, limitPusd: pusd(16), spentPusd: pusd(10), windowPusd: pusd(24) }),
    ).toEqual({ forecastPusd: usdToPusd(22), daysLeft: 0.25 });
    // $1 left: 1 hour is 0.041666... of a day, shown as 0.05, never 0.
    expect(
      forecast({ ...base, limitPusd: pusd(11), spentPusd: pusd(10), windowPusd: pusd(24) })
        .daysLeft,
    ).toBe(0.05);
  });

  it('over the limit: days_left 0; nothing spent lately: the forecast is what is spent, days_left null', () => {
    expect(
      forecast({ ...base, limitPusd: pusd(10), spentPusd: pusd(12), windowPusd: pusd(24) }),
    ).toEqual({ forecastPusd: usdToPusd(24), daysLeft: 0 });
    expect(forecast({ ...base, limitPusd: pusd(50), spentPusd: pusd(10), windowPusd: 0n })).toEqual(
      { forecastPusd: usdToPusd(10), daysLeft: null },
    );
  });

  it('at the very end of the period the forecast is the spend', () => {
    expect(
      forecast({
        now: end,
        end,
        windowStart: end - DAY,
        limitPusd: pusd(50),
        spentPusd: pusd(30),
        windowPusd: pusd(48),
      }),
    ).toEqual({ forecastPusd: usdToPusd(30), daysLeft: null });
  });
});
