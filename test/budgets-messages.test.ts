import { describe, expect, it } from 'vitest';
import {
  alpha,
  budget,
  clockAt,
  costSpan,
  exportOf,
  HOUR,
  type Json,
  NOON,
  send,
  settle,
  useBudgetsTestbed,
  waitFor,
} from './budgets-testbed.js';

// What a budget sends to its webhooks and when: one message per threshold or
// forecast and period, with no secret in it, to a real receiver over HTTP.

const { collector, receiver } = useBudgetsTestbed();

describe('budgets: messages to webhooks', () => {
  it('one message per threshold and period: later exports and a resent one send nothing more', async () => {
    const hook = await receiver();
    const c = await collector(
      [
        budget({
          name: 'alpha-daily',
          scope: { project: 'alpha' },
          alert_at: [0.5, 0.8, 1],
          notify: [hook.url],
        }),
      ],
      clockAt(NOON),
    );
    // $20 by 10:00, $20 in the last day: forecast $30, no message yet.
    await send(c, exportOf([alpha(NOON - 2 * HOUR, 20)]));
    await settle();
    expect(hook.hits).toEqual([]);
    const crossing = exportOf([alpha(NOON - HOUR, 6)]);
    await send(c, crossing);
    await waitFor('the 50% message', () => hook.hits.length === 1);
    expect(hook.hits[0]).toEqual({
      status: 200,
      body: {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        budget: 'alpha-daily',
        period: 'day',
        period_start: '2026-12-02T00:00:00.000Z',
        period_end: '2026-12-03T00:00:00.000Z',
        spent_usd: 26,
        limit_usd: 50,
        fraction: 0.5,
        forecast_usd: expect.closeTo(39, 2),
        kind: 'threshold:0.5',
        text: 'Budget alpha-daily has used 50% of $50.00 for 2026-12-02: $26.00 spent, forecast $39.00 by the end of the day.',
      },
    });
    // More calls below the next threshold, and the crossing export sent again.
    await send(c, exportOf([alpha(NOON - HOUR, 0.5)]));
    await send(c, exportOf([alpha(NOON - HOUR, 0.5)]));
    expect(await send(c, crossing)).toEqual({});
    await settle();
    expect(hook.hits).toHaveLength(1);
    expect(c.parts.budgets.status()[0]).toMatchObject({ spent_usd: 27, alerts_sent: [0.5] });
    // Past 80% and 100% in one export: one message each (no forecast: the limit is reached).
    await send(c, exportOf([alpha(NOON - HOUR, 23)]));
    await waitFor('the 80% and 100% messages', () => hook.hits.length === 3);
    await settle();
    expect(hook.hits.map((h) => h.body.kind).sort()).toEqual([
      'threshold:0.5',
      'threshold:0.8',
      'threshold:1',
    ]);
    expect(hook.hits.find((h) => h.body.kind === 'threshold:1')!.body.text).toBe(
      'Budget alpha-daily has used 100% of $50.00 for 2026-12-02: $50.00 spent, forecast $75.00 by the end of the day.',
    );
    expect(c.parts.budgets.status()[0]).toMatchObject({
      spent_usd: 50,
      remaining_usd: 0,
      percent_used: 100,
      days_left: 0,
      alerts_sent: [0.5, 0.8, 1],
    });
  });

  it('a forecast past the limit sends one forecast message', async () => {
    const hook = await receiver();
    const c = await collector(
      [budget({ name: 'fc', alert_at: [0.9], notify: [hook.url] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 35)]));
    await waitFor('the forecast message', () => hook.hits.length === 1);
    await send(c, exportOf([costSpan(NOON - HOUR, 1)]));
    await settle();
    expect(hook.hits).toHaveLength(1);
    expect(hook.hits[0]!.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      budget: 'fc',
      period: 'day',
      period_start: '2026-12-02T00:00:00.000Z',
      period_end: '2026-12-03T00:00:00.000Z',
      spent_usd: 35,
      limit_usd: 50,
      fraction: 1,
      forecast_usd: expect.closeTo(52.5, 2),
      kind: 'forecast',
      text: 'Budget fc is on course to pass its limit of $50.00 for 2026-12-02: $35.00 spent, forecast $52.50 by the end of the day.',
    });
    // $14 left at $36 a day: 0.39 days.
    expect(c.parts.budgets.status()[0]).toMatchObject({ spent_usd: 36, days_left: 0.39 });
  });

  it('a message is never sent with a secret: the stored row names receivers by hash, never by URL', async () => {
    const hook = await receiver();
    const secretUrl = `${hook.url}/T000/B000/XXXXXXXXsecretXXXXXXXX`;
    const c = await collector(
      [budget({ name: 's', limit_usd: 100, alert_at: [0.4], notify: [secretUrl] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 45)]));
    await waitFor('the message', () => hook.hits.length === 1);
    await settle();
    const rows = c.parts.store.db.prepare('SELECT * FROM budget_messages').all() as Json[];
    expect(JSON.stringify(rows)).not.toContain('secret');
    expect(JSON.stringify(hook.hits[0]!.body)).not.toContain('secret');
    expect(Object.keys(hook.hits[0]!.body).sort()).toEqual(
      [
        'id',
        'budget',
        'period',
        'period_start',
        'period_end',
        'spent_usd',
        'limit_usd',
        'fraction',
        'forecast_usd',
        'kind',
        'text',
      ].sort(),
    );
  });
});
