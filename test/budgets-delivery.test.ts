import { describe, expect, it } from 'vitest';
import {
  budget,
  clockAt,
  costSpan,
  exportOf,
  HOUR,
  type Json,
  MINUTE,
  messages,
  NOON,
  type Receiver,
  send,
  settle,
  useBudgetsTestbed,
  waitFor,
} from './budgets-testbed.js';
import { freePort } from './collector-process.js';

// How budget messages reach receivers that fail: retries with backoff, a
// restart with messages pending, receivers that time out, refuse or hang.

const { collector, stop, receiver } = useBudgetsTestbed();

describe('budgets: delivery to failing receivers', () => {
  it('a receiver that fails twice gets the message once, after retries with backoff', async () => {
    const hook = await receiver((n) => (n <= 2 ? 503 : 200));
    const c = await collector(
      [budget({ name: 'retry', limit_usd: 100, alert_at: [0.4], notify: [hook.url] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 45)]));
    await waitFor('the third attempt', () => hook.hits.length === 3);
    await settle();
    expect(hook.hits.map((h) => [h.status, h.body.kind])).toEqual([
      [503, 'threshold:0.4'],
      [503, 'threshold:0.4'],
      [200, 'threshold:0.4'],
    ]);
    expect(messages(c)).toEqual([
      {
        budget: 'retry',
        kind: 'threshold:0.4',
        attempts: 3,
        delivered: 1,
        last_error: `127.0.0.1:${hook.port} answered 503`,
      },
    ]);
  });

  it('across a restart: what was delivered is not sent again, what was pending is delivered', async () => {
    const up = await receiver();
    const downPort = await freePort();
    const downUrl = `http://127.0.0.1:${downPort}/hook`;
    const budgets = [
      budget({ name: 'up', alert_at: [0.5], notify: [up.url] }),
      budget({ name: 'down', alert_at: [0.5], notify: [downUrl] }),
    ];
    const first = await collector(budgets, clockAt(NOON));
    const db = first.parts.store.path;
    await send(first, exportOf([costSpan(NOON - HOUR, 30)]));
    await waitFor('the delivered message', () => up.hits.length === 1);
    const downRow = () => messages(first).find((m) => (m as Json).budget === 'down') as Json;
    await waitFor('two refused attempts', () => (downRow().attempts as number) >= 2);
    expect(downRow()).toMatchObject({
      kind: 'threshold:0.5',
      delivered: 0,
      last_error: `127.0.0.1:${downPort}: ECONNREFUSED`,
    });
    expect(messages(first)[1]).toEqual({
      budget: 'up',
      kind: 'threshold:0.5',
      attempts: 1,
      delivered: 1,
      last_error: null,
    });
    await stop(first);

    const down = await receiver(() => 200, downPort);
    const second = await collector(budgets, clockAt(NOON + 5 * MINUTE), db);
    await waitFor('the pending message', () => down.hits.length === 1);
    await send(second, exportOf([costSpan(NOON - HOUR, 1)]));
    await settle();
    expect(up.hits).toHaveLength(1);
    expect(down.delivered()).toEqual([expect.objectContaining({ budget: 'down', spent_usd: 30 })]);
    expect(messages(second)).toMatchObject([
      { budget: 'down', delivered: 1 },
      { budget: 'up', delivered: 1, attempts: 1 },
    ]);
  });

  it('each receiver gets each message once, whichever of them fails; exactly 80% crosses 0.8', async () => {
    const steady = await receiver();
    const flaky = await receiver((n) => (n <= 2 ? 503 : 200));
    const c = await collector(
      [budget({ name: 'two', alert_at: [0.8], notify: [steady.url, flaky.url] })],
      clockAt(NOON),
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 40)]));
    await waitFor('both messages at both', () => flaky.delivered().length === 2);
    await settle();
    const kinds = (r: Receiver) =>
      r
        .delivered()
        .map((b) => b.kind)
        .sort();
    expect(kinds(steady)).toEqual(['forecast', 'threshold:0.8']);
    expect(kinds(flaky)).toEqual(['forecast', 'threshold:0.8']);
    expect(steady.hits).toHaveLength(2);
  });

  it('a receiver that does not answer in time is retried; one that refuses with 404 is not', async () => {
    const slow = await receiver((n) => (n === 1 ? 'hang' : 200));
    const wrong = await receiver(() => 404);
    const c = await collector(
      [
        budget({ name: 'slow', alert_at: [0.5], notify: [slow.url] }),
        budget({ name: 'wrong', alert_at: [0.5], notify: [wrong.url] }),
      ],
      clockAt(NOON),
      undefined,
      300,
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 26)]));
    await waitFor('the retry after the timeout', () => slow.delivered().length === 1);
    await settle();
    expect(slow.hits.map((h) => h.status)).toEqual([0, 200]);
    expect(wrong.hits.map((h) => h.status)).toEqual([404]);
    expect(messages(c)).toEqual([
      {
        budget: 'slow',
        kind: 'threshold:0.5',
        attempts: 2,
        delivered: 1,
        last_error: `127.0.0.1:${slow.port}: no answer within 300 ms`,
      },
      {
        budget: 'wrong',
        kind: 'threshold:0.5',
        attempts: 1,
        delivered: 1,
        last_error: `127.0.0.1:${wrong.port} answered 404, not retried: check the notify URL`,
      },
    ]);
  });

  it('a receiver that hangs never holds up ingest', async () => {
    const stuck = await receiver(() => 'hang');
    const c = await collector(
      [budget({ name: 'stuck', alert_at: [0.1], notify: [stuck.url] })],
      clockAt(NOON),
      undefined,
      2_000,
    );
    await send(c, exportOf([costSpan(NOON - HOUR, 10)]));
    await waitFor('the hanging delivery', () => stuck.hits.length === 1);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await send(c, exportOf([costSpan(NOON - HOUR, 1)]));
      times.push(performance.now() - t);
    }
    expect(Math.max(...times)).toBeLessThan(500);
    expect(stuck.hits).toHaveLength(1);
    expect(c.parts.budgets.status()[0]!.spent_usd).toBe(20);
  });
});
