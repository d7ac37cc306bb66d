import {
  type ImagePrice,
  type PriceSet,
  type Tier,
  TOKEN_KINDS,
  type TokenKind,
  type VideoPrice,
} from './types.js';

/** Every kind of price a PriceSet can hold, in the order they are shown. */
export const PRICE_KINDS = [
  ...TOKEN_KINDS,
  'tiers',
  'images',
  'video',
] as const satisfies readonly (keyof PriceSet)[];

export type PriceKind = (typeof PRICE_KINDS)[number];

const LABELS: Record<PriceKind, string> = {
  input: 'input',
  output: 'output',
  cache_read: 'cache read',
  cache_write: 'cache write',
  cache_write_1h: '1h write',
  reasoning: 'reasoning',
  output_image: 'output image',
  tiers: 'tiers',
  images: 'images',
  video: 'video',
};

const amount = (v: number | undefined) => (v === undefined ? '-' : String(v));

const tier = (t: Tier) => `>${t.above / 1000}k: ${amount(t.input)}/${amount(t.output)}`;

const image = (i: ImagePrice) =>
  `image ${[i.quality, i.size, i.resolution].filter(Boolean).join(' ') || 'each'} $${i.usd}`;

function video(v: VideoPrice): string {
  const what = [v.resolution, v.size, v.audio === undefined ? '' : v.audio ? 'audio' : 'silent'];
  return `video ${what.filter(Boolean).join(' ') || 'any'} $${v.usd_per_second}/s`;
}

function parts(prices: PriceSet | undefined, kind: PriceKind): string[] {
  if (kind === 'tiers') return (prices?.tiers ?? []).map(tier);
  if (kind === 'images') return (prices?.images ?? []).map(image);
  if (kind === 'video') return (prices?.video ?? []).map(video);
  const v = prices?.[kind satisfies TokenKind];
  return v === undefined ? [] : [`${LABELS[kind]} ${v}`];
}

/**
 * One kind of price in words, as costlens shows it everywhere: `input 2.5`, `cache read 0.3`,
 * `1h write 6` (USD per 1M tokens), `>200k: 6/22.5` (a long-context tier's input/output),
 * `image high 1024x1536 $0.25`, `video 720p audio $0.4/s`; several tiers, images or videos
 * are joined by `; `. A kind the set does not price is `<kind> none`.
 */
export function describePrice(prices: PriceSet | undefined, kind: PriceKind): string {
  return parts(prices, kind).join('; ') || `${LABELS[kind]} none`;
}

/** A price set on one line: each of `kinds` (default: all) it prices, `; `-separated; `''` when it prices none of them. */
export function describePrices(
  prices: PriceSet | undefined,
  kinds: readonly PriceKind[] = PRICE_KINDS,
): string {
  return kinds.flatMap((k) => parts(prices, k)).join('; ');
}
