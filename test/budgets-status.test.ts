import { describe, expect, it } from 'vitest';
import {
  alpha,
  budget,
  costSpan,
  exportOf,
  HOUR,
  MINUTE,
  NOON,
  send,
  useBudgetsTestbed,
} from './budgets-testbed.js';
import type { RunningCollector } from './collector-harness.js';

// A budget's spend, forecast and period against a running collector over HTTP:
// calls sent as OTLP/JSON exports with known costs, the budgets' clock at a known instant.

const { collector } = useBudgetsTestbed();

/** The budget gauges in /metrics, by budget. */
async function gauges(c: RunningCollector): Promise<Record<string, Record<string, number>>> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const out: Record<string, Record<string, number>> = {};
  for (const m of text.matchAll(/^costlens_budget_(\w+)_usd\{budget="([^"]+)"\} (\S+)$/gm)) {
    out[m[2]!] ??= {};
    out[m[2]!]![m[1]!] = Number(m[3]);
  }
  return out;
}

describe('budgets: spend, forecast and gauges', () => {
  it('status() and /metrics show the exact spend of the budget scope in the period, and the forecast', async () => {
    const c = await collector(
      [budget({ name: 'alpha-daily', scope: { project: 'alpha' }, alert_at: [0.5, 0.8, 1] })],
      () => NOON,
    );
    await send(
      c,
      exportOf([
        alpha(NOON - 2 * HOUR, 10.25),
        alpha(NOON - HOUR, 9.75),
        costSpan(NOON - 30 * MINUTE, 100, { 'costlens.project': 'beta' }),
        // Yesterday: not spent in this period, but part of the last day's burn rate.
        alpha(NOON - 16 * HOUR, 3),
      ]),
    );
    expect(c.parts.budgets.status()).toEqual([
      {
        name: 'alpha-daily',
        scope: { project: 'alpha' },
        period: 'day',
        timezone: 'UTC',
        period_start: '2026-12-02T00:00:00.000Z',
        period_end: '2026-12-03T00:00:00.000Z',
        limit_usd: 50,
        spent_usd: 20,
        remaining_usd: 30,
        percent_used: 40,
        // $23 in the last 24 hours: $20 + 23/24 * 12 hours.
        forecast_usd: 31.5,
        days_left: null,
        alert_at: [0.5, 0.8, 1],
        alerts_sent: [],
      },
    ]);
    expect(await gauges(c)).toEqual({
      'alpha-daily': { limit: 50, spent: 20, forecast: 31.5 },
    });
  });

  it('a scoped read sees only the budgets of its own project or user', async () => {
    const c = await collector(
      [
        budget({ name: 'all' }),
        budget({ name: 'alpha', scope: { project: 'alpha' } }),
        budget({ name: 'alpha-u1', scope: { project: 'alpha', user: 'u1' } }),
        budget({ name: 'u1', scope: { user: 'u1' } }),
      ],
      () => NOON,
    );
    const names = (scope?: { project?: string; user?: string }) =>
      c.parts.budgets.status(scope).map((s) => s.name);
    expect(names()).toEqual(['all', 'alpha', 'alpha-u1', 'u1']);
    expect(names({ project: 'alpha' })).toEqual(['alpha', 'alpha-u1']);
    expect(names({ user: 'u1' })).toEqual(['alpha-u1', 'u1']);
    expect(names({ project: 'beta' })).toEqual([]);
  });

  it('periods in a +05:30 zone and on a daylight-saving day: exact spend around the off-hour start', async () => {
    const base = Date.UTC(2026, 10, 1, 12); // 1 November 2026, New York falls back
    const c = await collector(
      [
        budget({ name: 'kolkata', timezone: 'Asia/Kolkata' }),
        budget({ name: 'new-york', timezone: 'America/New_York' }),
      ],
      () => base,
    );
    const kolkataStart = Date.UTC(2026, 9, 31, 18, 30);
    await send(
      c,
      exportOf([
        costSpan(kolkataStart - 20 * MINUTE, 7), // same rollup hour, the day before in Kolkata
        costSpan(kolkataStart + 15 * MINUTE, 5),
        costSpan(base - HOUR, 1.5),
      ]),
    );
    const [kolkata, newYork] = c.parts.budgets.status();
    expect(kolkata).toMatchObject({
      period_start: '2026-10-31T18:30:00.000Z',
      period_end: '2026-11-01T18:30:00.000Z',
      spent_usd: 6.5,
    });
    expect(newYork).toMatchObject({
      period_start: '2026-11-01T04:00:00.000Z',
      period_end: '2026-11-02T05:00:00.000Z',
      spent_usd: 1.5,
    });
    const g = await gauges(c);
    expect([g.kolkata!.spent, g['new-york']!.spent]).toEqual([6.5, 1.5]);
  });
});
