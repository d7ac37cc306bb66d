import { describe, expect, it } from 'vitest';
import { diffCatalogues } from '../src/build/diff.js';
import { describePrice, describePrices } from '../src/describe.js';
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
