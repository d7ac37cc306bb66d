import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { breakdownToUsd, loadCatalogue, pusdToUsd, type Usage } from '@costlens/pricing';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFromSpan, type SpanInput } from '../src/records/from-span.js';
import { DEFAULT_LIMITS } from '../src/records/limits.js';
import { Repricer } from '../src/store/recompute.js';
import { Store } from '../src/store/store.js';
import { insertRecords } from './support/store.js';

// What ingest stores and what `costlens recompute` computes from the stored record
// must be the same when the catalogue is the same: else a recompute right after
// ingest "changes" calls that nothing changed.

const catalogue = loadCatalogue();
const T0 = Date.UTC(2026, 10, 24, 10);

interface Call {
  provider: string;
  model: string;
  operation?: string;
  usage?: Usage;
  failed?: boolean;
}

/** Usage as the instrumentation writes it on a span. */
function usageAttrs(u: Usage): Record<string, unknown> {
  const a: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) a[k] = v;
  };
  put('gen_ai.usage.input_tokens', u.input_tokens);
  put('gen_ai.usage.output_tokens', u.output_tokens);
  put('gen_ai.usage.cache_read.input_tokens', u.cache_read_tokens);
  put('gen_ai.usage.reasoning.output_tokens', u.reasoning_tokens);
  put('costlens.image.count', u.images);
  put('costlens.image.size', u.image_size);
  put('costlens.image.quality', u.image_quality);
  put('costlens.video.seconds', u.video_seconds);
  put('costlens.video.resolution', u.video_resolution);
  put('costlens.video.audio', u.video_audio);
  return a;
}

/**
 * The span our instrumentation ends a call with: its usage and the cost it priced
 * (0 for a failure that used nothing, else the catalogue's price, else unpriced).
 */
function instrumented(c: Call, i: number): SpanInput {
  const usage = c.usage ?? {};
  const at = T0 + i * 60_000;
  const a: Record<string, unknown> = {
    'gen_ai.operation.name': c.operation ?? 'chat',
    'gen_ai.provider.name': c.provider,
    'gen_ai.request.model': c.model,
    ...usageAttrs(usage),
  };
  if (c.failed) a['error.type'] = 'RateLimitError';
  const counts = Object.keys(usage).length > 0;
  if (c.failed && !counts) a['costlens.cost.usd'] = 0;
  else {
    const r = catalogue.priceUsage(usage, c.model, c.provider, at);
    if (r.unpriced) {
      a['costlens.cost.unpriced'] = true;
      a['costlens.cost.unpriced_reason'] = r.reason;
    } else {
      a['costlens.cost.usd'] = pusdToUsd(r.cost_pusd);
      a['costlens.cost.breakdown'] = JSON.stringify(breakdownToUsd(r.breakdown_pusd));
      a['costlens.pricing.source'] = r.source;
    }
  }
  const id = (i + 1).toString(16);
  const start = BigInt(at) * 1_000_000n;
  return {
    traceId: id.padStart(32, '0'),
    spanId: id.padStart(16, '0'),
    name: `${c.operation ?? 'chat'} ${c.model}`,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 900_000_000n,
    attributes: a,
    status: c.failed ? { code: 2, message: 'Rate limit reached' } : { code: 0, message: '' },
  };
}

const CALLS: Call[] = [
  { provider: 'openai', model: 'gpt-4o-mini', usage: { input_tokens: 1000, output_tokens: 100 } },
  {
    provider: 'openai',
    model: 'gpt-4o',
    usage: { input_tokens: 12_345, output_tokens: 678, cache_read_tokens: 10_000 },
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    usage: { input_tokens: 3_210, output_tokens: 987 },
  },
  {
    provider: 'gcp.gemini',
    model: 'gemini-2.5-flash',
    usage: { input_tokens: 777, output_tokens: 55 },
  },
  {
    provider: 'openai',
    model: 'text-embedding-3-small',
    operation: 'embeddings',
    usage: { input_tokens: 400 },
  },
  {
    provider: 'openai',
    model: 'gpt-image-1',
    operation: 'image_generation',
    usage: { images: 1, image_size: '1024x1024', image_quality: 'medium' },
  },
  {
    provider: 'gcp.gemini',
    model: 'veo-3.1-generate-001',
    operation: 'video_generation',
    usage: { video_seconds: 8, video_resolution: '1080p', video_audio: true },
  },
  // Failures that used nothing: the instrumentation writes a cost of 0.
  { provider: 'openai', model: 'gpt-4o', failed: true },
  { provider: 'anthropic', model: 'claude-sonnet-4-5', failed: true },
  {
    provider: 'gcp.gemini',
    model: 'veo-3.1-generate-001',
    operation: 'video_generation',
    failed: true,
  },
  // A failure that used tokens is billed them.
  {
    provider: 'openai',
    model: 'gpt-4o',
    usage: { input_tokens: 500, output_tokens: 3 },
    failed: true,
  },
  // A model no catalogue knows: unpriced both times.
  { provider: 'acme', model: 'acme-large', usage: { input_tokens: 100, output_tokens: 10 } },
];

const opened: Store[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

describe('ingest and recompute agree', () => {
  it('recompute with the catalogue the calls were ingested with changes none of them', () => {
    const records = CALLS.map((c, i) =>
      recordFromSpan(
        instrumented(c, i),
        { resource: { 'service.name': 'app' }, scopeName: '@costlens/instrumentation' },
        { catalogue },
      ),
    );
    const store = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-agree-')), 'c.db'));
    opened.push(store);
    insertRecords(store, records);
    const totals = new Repricer(store.db, catalogue, DEFAULT_LIMITS).run({});
    expect({ calls: totals.calls, changed: totals.changed, kept: totals.kept }).toEqual({
      calls: CALLS.length,
      changed: 0,
      kept: 0,
    });
    expect(totals.afterPusd).toBe(totals.beforePusd);
    // The failures that used nothing are not billed, whatever cost the span carried.
    expect(records.filter((r) => r.pricing_source === 'not billed')).toHaveLength(3);
    expect(records.filter((r) => r.cost_pusd === null)).toHaveLength(1);
  });

  it('a cost the provider reported (OpenRouter) is what was charged: recompute keeps it', () => {
    const span = instrumented(
      {
        provider: 'openrouter',
        model: 'openai/gpt-4o-mini',
        usage: { input_tokens: 1000, output_tokens: 100 },
      },
      0,
    );
    const a = span.attributes as Record<string, unknown>;
    delete a['costlens.cost.breakdown'];
    delete a['costlens.cost.unpriced'];
    delete a['costlens.cost.unpriced_reason'];
    a['costlens.cost.usd'] = 0.000421;
    a['costlens.pricing.source'] = 'provider';
    const record = recordFromSpan(
      span,
      { resource: { 'service.name': 'app' }, scopeName: '@costlens/instrumentation' },
      { catalogue },
    );
    expect(record.pricing_source).toBe('provider');
    const store = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-agree-')), 'c.db'));
    opened.push(store);
    insertRecords(store, [record]);
    const totals = new Repricer(store.db, catalogue, DEFAULT_LIMITS).run({});
    expect({ changed: totals.changed, kept: totals.kept }).toEqual({ changed: 0, kept: 1 });
    expect(totals.afterPusd).toBe(421_000_000n);
  });
});
