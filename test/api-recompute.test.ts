import { loadCatalogue, pusdToUsd } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { startCollector } from './collector-harness.js';

// POST /api/v1/recompute: stored calls priced at an old price are priced again, and
// the API, the rollups and /metrics all move with them.

const T0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;

function exportOf(n: number) {
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: String(T0 + BigInt(i) * 1_000_000_000n),
    endTimeUnixNano: String(T0 + BigInt(i) * 1_000_000_000n + 500_000_000n),
    attributes: Object.entries({
      'gen_ai.operation.name': { stringValue: 'chat' },
      'gen_ai.provider.name': { stringValue: 'openai' },
      'gen_ai.request.model': { stringValue: 'gpt-4o-mini' },
      'gen_ai.usage.input_tokens': { intValue: '1000' },
      'gen_ai.usage.output_tokens': { intValue: '100' },
      // Priced by an app with last year's catalogue: $1 a call.
      'costlens.cost.usd': { doubleValue: 1 },
      'costlens.pricing.source': { stringValue: '2025.01.01-old' },
    }).map(([key, value]) => ({ key, value })),
  }));
  return JSON.stringify({
    resourceSpans: [{ resource: {}, scopeSpans: [{ scope: { name: 't' }, spans }] }],
  });
}

const total = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

describe('POST /api/v1/recompute', () => {
  it('re-prices stored calls; the summary, the rollups and /metrics follow', async () => {
    const c = await startCollector();
    try {
      const sent = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: exportOf(30),
      });
      expect(sent.status).toBe(200);
      const summary = async () =>
        ((await (await fetch(`${c.url}/api/v1/summary`)).json()) as { cost_usd: number }).cost_usd;
      expect(await summary()).toBe(30);

      const res = await fetch(`${c.url}/api/v1/recompute?provider=openai`, { method: 'POST' });
      expect(res.status).toBe(200);
      const priced = loadCatalogue().price({
        provider: 'openai',
        model: 'gpt-4o-mini',
        input_tokens: 1000,
        output_tokens: 100,
      });
      if (priced.unpriced) throw new Error(priced.reason);
      const each = priced.cost_pusd;
      expect(await res.json()).toEqual({
        calls: 30,
        changed: 30,
        newly_priced: 0,
        newly_unpriced: 0,
        kept: 0,
        before_usd: 30,
        after_usd: pusdToUsd(30 * each),
      });
      expect(await summary()).toBe(pusdToUsd(30 * each));
      const sums = c.parts.store.db
        .prepare(
          'SELECT (SELECT sum(cost_pusd) FROM calls) calls, (SELECT sum(cost_pusd) FROM rollups_hourly) rollups',
        )
        .get();
      expect(sums).toEqual({ calls: 30 * each, rollups: 30 * each });
      const metrics = await (await fetch(`${c.url}/metrics`)).text();
      expect(total(metrics, 'costlens_cost_usd_total')).toBeCloseTo(pusdToUsd(30 * each), 12);
    } finally {
      await c.close();
    }
  });

  it('needs an admin key when keys are configured; a bad filter is a 400 naming it', async () => {
    const c = await startCollector({
      keys: {
        ingest: [],
        read: [{ key: 'read-key-0123456789ab' }],
        admin: [{ key: 'admin-key-0123456789' }],
      },
    });
    try {
      const post = (q: string, key: string) =>
        fetch(`${c.url}/api/v1/recompute${q}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}` },
        });
      const read = await post('', 'read-key-0123456789ab');
      expect(read.status).toBe(403);
      expect(await read.json()).toEqual({ error: 'this endpoint needs an admin key (keys.admin)' });
      const bad = await post('?from=yesterday', 'admin-key-0123456789');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^from /);
      expect((await post('', 'admin-key-0123456789')).status).toBe(200);
    } finally {
      await c.close();
    }
  });
});
