import { describe, expect, it } from 'vitest';
import { diffCatalogues } from '../src/build/diff.js';
import { describePrice, describePrices } from '../src/describe.js';
import { pricesAt } from '../src/rates.js';
import type { CatalogueData, ModelEntry, PriceSet } from '../src/types.js';

const sonnet: PriceSet = {
  input: 3,
  output: 15,
  cache_read: 0.3,
  cache_write: 3.75,
  cache_write_1h: 6,
  tiers: [{ above: 200_000, input: 6, output: 22.5 }],
};

describe('describePrice', () => {
  it.each([
    ['input', 'input 3'],
    ['cache_read', 'cache read 0.3'],
    ['cache_write', 'cache write 3.75'],
    ['cache_write_1h', '1h write 6'],
    ['tiers', '>200k: 6/22.5'],
    ['reasoning', 'reasoning none'],
    ['images', 'images none'],
  ] as const)('%s -> %s', (kind, text) => {
    expect(describePrice(sonnet, kind)).toBe(text);
  });

  it('describes every image and video price, and a tier without an output price', () => {
    const media: PriceSet = {
      images: [{ usd: 0.04 }, { quality: 'high', size: '1024x1536', usd: 0.25 }],
      video: [{ usd_per_second: 0.1 }, { resolution: '720p', audio: true, usd_per_second: 0.4 }],
      tiers: [{ above: 128_000, input: 2.5 }],
    };
    expect(describePrice(media, 'images')).toBe('image each $0.04; image high 1024x1536 $0.25');
    expect(describePrice(media, 'video')).toBe('video any $0.1/s; video 720p audio $0.4/s');
    expect(describePrice(media, 'tiers')).toBe('>128k: 2.5/-');
    expect(describePrice(undefined, 'output')).toBe('output none');
  });
});

describe('describePrices', () => {
  it('puts the kinds a set prices on one line, in the order asked', () => {
    expect(describePrices(sonnet, ['cache_read', 'cache_write', 'cache_write_1h', 'tiers'])).toBe(
      'cache read 0.3; cache write 3.75; 1h write 6; >200k: 6/22.5',
    );
    expect(describePrices({ input: 1, output: 2 })).toBe('input 1; output 2');
    expect(describePrices({ input: 1, images: [] }, ['images', 'video'])).toBe('');
    expect(describePrices(undefined)).toBe('');
  });
});

describe('diffCatalogues', () => {
  const entry = (id: string, prices: PriceSet): ModelEntry => ({
    provider: 'anthropic',
    id,
    mode: 'chat',
    prices: [{ prices }],
    source: 'litellm',
  });
  const data = (models: ModelEntry[]): CatalogueData => ({
    version: 'v',
    date: '2026-01-01',
    sources: [],
    models,
  });

  it('describes the changed kinds as the pricing list does', () => {
    const before = data([entry('a', sonnet), entry('b', { input: 1, output: 2 })]);
    const after = data([
      entry('a', { ...sonnet, cache_read: 0.25, tiers: [{ above: 200_000, input: 7 }] }),
      // The same prices, written in another key order: not a change.
      entry('b', { output: 2, input: 1 }),
    ]);
    expect(diffCatalogues(before, after).repriced).toEqual([
      {
        model: 'anthropic a',
        before: 'cache read 0.3; >200k: 6/22.5',
        after: 'cache read 0.25; >200k: 7/-',
      },
    ]);
  });

  it('says none for a kind one side lacks', () => {
    const before = data([entry('a', { input: 1, reasoning: 4 })]);
    const after = data([entry('a', { input: 1, images: [{ usd: 0.02 }] })]);
    expect(diffCatalogues(before, after).repriced).toEqual([
      {
        model: 'anthropic a',
        before: 'reasoning 4; images none',
        after: 'reasoning none; image each $0.02',
      },
    ]);
  });
});

describe('pricesAt: the prices in force at a moment', () => {
  const model = (prices: ModelEntry['prices']): ModelEntry => ({
    provider: 'deepseek',
    id: 'deepseek-chat',
    mode: 'chat',
    prices,
    source: 'genai-prices',
  });
  const t = (iso: string) => Date.parse(iso);

  it('takes the newest dated entry that has begun, in whatever order the entries come', () => {
    // applyOverrides appends a user's dated price after the catalogue's own dated ones.
    const m = model([
      { prices: { input: 1 } },
      { from: '2026-06-01', prices: { input: 3 } },
      { from: '2026-03-01', prices: { input: 2 } },
    ]);
    expect(pricesAt(m, t('2026-01-01T00:00:00Z'))).toEqual({ input: 1 });
    expect(pricesAt(m, t('2026-04-01T00:00:00Z'))).toEqual({ input: 2 });
    expect(pricesAt(m, new Date('2026-07-01T00:00:00Z'))).toEqual({ input: 3 });
    expect(pricesAt(model([{ from: '2027-01-01', prices: { input: 9 } }]), t('2026-01-01'))).toBe(
      undefined,
    );
  });

  it('lays a daily window over them, unless asked for the standard prices', () => {
    const m = model([
      { prices: { input: 0.27 } },
      { daily: { start: '16:30', end: '00:30' }, prices: { input: 0.135 } },
    ]);
    expect(pricesAt(m, t('2026-01-01T12:00:00Z'))).toEqual({ input: 0.27 });
    expect(pricesAt(m, t('2026-01-01T17:00:00Z'))).toEqual({ input: 0.135 });
    expect(pricesAt(m, t('2026-01-01T17:00:00Z'), { daily: false })).toEqual({ input: 0.27 });
  });
});
