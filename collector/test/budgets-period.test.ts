import { describe, expect, it } from 'vitest';
import { type PeriodKind, periodAt } from '../src/budgets/period.js';
import { TimeZone } from '../src/budgets/time-zone.js';

const iso = (t: number) => new Date(t).toISOString();
const HOUR = 3_600_000;

/** The period holding `at` in `zone`, with ISO bounds and its length in hours. */
function period(at: string, kind: PeriodKind, zone: string) {
  const p = periodAt(Date.parse(at), kind, new TimeZone(zone));
  return { start: iso(p.start), end: iso(p.end), hours: (p.end - p.start) / HOUR, label: p.label };
}

describe('periodAt: calendar periods in a time zone', () => {
  it('a UTC day, week (from Monday) and month', () => {
    expect(period('2026-12-02T10:00:00Z', 'day', 'UTC')).toEqual({
      start: '2026-12-02T00:00:00.000Z',
      end: '2026-12-03T00:00:00.000Z',
      hours: 24,
      label: '2026-12-02',
    });
    // 2026-12-02 is a Wednesday; the week began on Monday 30 November.
    expect(period('2026-12-02T10:00:00Z', 'week', 'UTC')).toEqual({
      start: '2026-11-30T00:00:00.000Z',
      end: '2026-12-07T00:00:00.000Z',
      hours: 168,
      label: 'the week of 2026-11-30',
    });
    expect(period('2026-12-02T10:00:00Z', 'month', 'UTC')).toEqual({
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
      hours: 744,
      label: 'December 2026',
    });
  });

  it('a Sunday is the last day of its week, a Monday the first', () => {
    expect(period('2026-12-06T23:59:59.999Z', 'week', 'UTC').start).toBe(
      '2026-11-30T00:00:00.000Z',
    );
    expect(period('2026-12-07T00:00:00.000Z', 'week', 'UTC').start).toBe(
      '2026-12-07T00:00:00.000Z',
    );
  });

  it('the first instant of a period belongs to it, the one before to the period before', () => {
    const zone = new TimeZone('Europe/Paris');
    const p = periodAt(Date.parse('2026-12-02T12:00:00Z'), 'day', zone);
    expect(periodAt(p.start, 'day', zone).start).toBe(p.start);
    expect(periodAt(p.start - 1, 'day', zone).end).toBe(p.start);
    expect(periodAt(p.end, 'day', zone).start).toBe(p.end);
  });

  it('a day in a +05:30 zone starts off the hour in UTC', () => {
    expect(period('2026-12-02T10:00:00Z', 'day', 'Asia/Kolkata')).toEqual({
      start: '2026-12-01T18:30:00.000Z',
      end: '2026-12-02T18:30:00.000Z',
      hours: 24,
      label: '2026-12-02',
    });
    // 20:00 UTC is already the next day in Kolkata.
    expect(period('2026-12-02T20:00:00Z', 'day', 'Asia/Kolkata').label).toBe('2026-12-03');
    expect(period('2026-12-02T10:00:00Z', 'day', 'Asia/Kathmandu').start).toBe(
      '2026-12-01T18:15:00.000Z',
    );
  });

  it('daylight saving time: the spring day lasts 23 hours, the autumn day 25 (New York)', () => {
    expect(period('2026-03-08T12:00:00Z', 'day', 'America/New_York')).toEqual({
      start: '2026-03-08T05:00:00.000Z',
      end: '2026-03-09T04:00:00.000Z',
      hours: 23,
      label: '2026-03-08',
    });
    expect(period('2026-11-01T12:00:00Z', 'day', 'America/New_York')).toEqual({
      start: '2026-11-01T04:00:00.000Z',
      end: '2026-11-02T05:00:00.000Z',
      hours: 25,
      label: '2026-11-01',
    });
    // Inside the repeated hour (01:30 EST, the second time): still 1 November.
    expect(period('2026-11-01T06:30:00Z', 'day', 'America/New_York').start).toBe(
      '2026-11-01T04:00:00.000Z',
    );
  });

  it('a month and a week that hold a clock change start at local midnight on both sides (Paris)', () => {
    expect(period('2026-03-15T12:00:00Z', 'month', 'Europe/Paris')).toEqual({
      start: '2026-02-28T23:00:00.000Z',
      end: '2026-03-31T22:00:00.000Z',
      hours: 31 * 24 - 1,
      label: 'March 2026',
    });
    expect(period('2026-10-25T12:00:00Z', 'week', 'Europe/Paris')).toEqual({
      start: '2026-10-18T22:00:00.000Z',
      end: '2026-10-25T23:00:00.000Z',
      hours: 7 * 24 + 1,
      label: 'the week of 2026-10-19',
    });
  });

  it('where the clocks jump at midnight (Havana), the day starts when they jump; where midnight repeats, at the first one', () => {
    // 8 March 2026: 00:00 CST becomes 01:00 CDT at 05:00 UTC.
    expect(period('2026-03-08T12:00:00Z', 'day', 'America/Havana')).toEqual({
      start: '2026-03-08T05:00:00.000Z',
      end: '2026-03-09T04:00:00.000Z',
      hours: 23,
      label: '2026-03-08',
    });
    expect(period('2026-03-08T04:59:59Z', 'day', 'America/Havana').label).toBe('2026-03-07');
    // 1 November 2026: 01:00 CDT goes back to 00:00 CST, so 00:00-01:00 happens twice.
    expect(period('2026-11-01T12:00:00Z', 'day', 'America/Havana')).toEqual({
      start: '2026-11-01T04:00:00.000Z',
      end: '2026-11-02T05:00:00.000Z',
      hours: 25,
      label: '2026-11-01',
    });
  });

  it('February of a leap year, and the turn of the year', () => {
    expect(period('2028-02-29T12:00:00Z', 'month', 'UTC')).toMatchObject({
      start: '2028-02-01T00:00:00.000Z',
      end: '2028-03-01T00:00:00.000Z',
      hours: 29 * 24,
      label: 'February 2028',
    });
    // 2027-01-01 is a Friday: its week began in 2026.
    expect(period('2027-01-01T12:00:00Z', 'week', 'Pacific/Auckland')).toMatchObject({
      start: '2026-12-27T11:00:00.000Z',
      label: 'the week of 2026-12-28',
    });
  });
});
