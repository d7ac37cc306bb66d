import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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
  send,
  settle,
  useBudgetsTestbed,
  waitFor,
} from './budgets-testbed.js';

// Delivery is at least once: a collector that stops between a receiver's answer and
// the row's record sends the message again. Every POST of a crossing carries the
// same id (the Idempotency-Key header and the body's `id`), so the receiver can
// drop the repeat.

const { collector, stop } = useBudgetsTestbed();

interface Hit {
  key: string | undefined;
  body: Json;
  answered: number | 'hang';
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A receiver that records each request's Idempotency-Key and body; `answer(n)` for the n-th. */
async function receiver(answer: (n: number) => number | 'hang') {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = answer(hits.length + 1);
      const key = req.headers['idempotency-key'];
      hits.push({
        key: Array.isArray(key) ? key.join(',') : key,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json,
        answered,
      });
      if (answered !== 'hang') res.writeHead(answered).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/costlens`, hits };
}

describe('budgets: one id per crossing, on every delivery of it', () => {
  it('a message sent again after a restart carries the id of the first send; each crossing has its own', async () => {
    // The first POST gets no answer before the collector stops: as if it stopped between
    // the receiver's 2xx and the row's record. Then one 503, then 200.
    const hook = await receiver((n) => (n === 1 ? 'hang' : n === 2 ? 503 : 200));
    const budgets = [
      budget({ name: 'idem', limit_usd: 100, alert_at: [0.4, 0.8], notify: [hook.url] }),
    ];
    const first = await collector(budgets, clockAt(NOON), undefined, 300);
    const db = first.parts.store.path;
    await send(first, exportOf([costSpan(NOON - HOUR, 45)]));
    await waitFor('the first POST', () => hook.hits.length === 1);
    // Stopping waits for the POST in flight: it times out and is recorded as not delivered.
    await stop(first);
    expect(hook.hits).toHaveLength(1);

    const second = await collector(budgets, clockAt(NOON + MINUTE), db, 300);
    await waitFor('the 0.4 message delivered', () => hook.hits.some((h) => h.answered === 200));
    expect(messages(second)).toEqual([
      expect.objectContaining({ budget: 'idem', kind: 'threshold:0.4', delivered: 1 }),
    ]);
    // A second crossing (and the forecast it brings) is another message with another id.
    await send(second, exportOf([costSpan(NOON - HOUR, 40)]));
    await waitFor('the 0.8 message', () =>
      hook.hits.some((h) => h.body.kind === 'threshold:0.8' && h.answered === 200),
    );
    await settle();

    const byKind = new Map<string, Hit[]>();
    for (const h of hook.hits) {
      byKind.set(h.body.kind as string, [...(byKind.get(h.body.kind as string) ?? []), h]);
      // The header and the body say the same id.
      expect(h.key).toMatch(/^[0-9a-f]{32}$/);
      expect(h.body.id).toBe(h.key);
    }
    const before = byKind.get('threshold:0.4')!;
    expect(before.map((h) => h.answered)).toEqual(['hang', 503, 200]);
    expect(new Set(before.map((h) => h.key)).size).toBe(1);
    // Apart from its id, the message sent again is the message first sent.
    const { id: _a, ...sentFirst } = before[0]!.body;
    const { id: _b, ...sentAgain } = before[2]!.body;
    expect(sentAgain).toEqual(sentFirst);
    const ids = [...byKind.values()].map((hits) => hits[0]!.key);
    expect(byKind.size).toBeGreaterThanOrEqual(2);
    expect(new Set(ids).size).toBe(byKind.size);
  });
});
