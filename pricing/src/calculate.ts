import { multiply } from './money.js';
import type { Rates, TokenRates } from './rates.js';
import type { CostBreakdown, Usage } from './types.js';

export type Computed =
  | { ok: true; pusd: CostBreakdown; tierAbove?: number }
  | { ok: false; reason: string };

/** Every count a Usage can carry (tokens, images, video seconds): what can be summed or checked. */
export const USAGE_COUNTS = [
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'reasoning_tokens',
  'output_image_tokens',
  'images',
  'video_seconds',
] as const satisfies readonly (keyof Usage)[];

const IS_COUNT: ReadonlySet<string> = new Set(USAGE_COUNTS);

/** Throws RangeError for counts no call can report, naming the field. */
export function checkUsage(u: Usage): void {
  // The usage's own fields, not every count by name: a usage holds two or three, and
  // reading a missing field of a shape that varies from call to call is a slow
  // lookup (measured: nine of them were half a microsecond a call).
  for (const key in u) {
    if (!IS_COUNT.has(key)) continue;
    const f = key as (typeof USAGE_COUNTS)[number];
    const v = u[f];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${f} must be a finite number >= 0, got ${String(v)}`);
    }
    if (f !== 'video_seconds' && !Number.isInteger(v)) {
      throw new RangeError(`${f} must be a whole number, got ${v}`);
    }
  }
  const cached =
    (u.cache_read_tokens ?? 0) + (u.cache_write_tokens ?? 0) + (u.cache_write_1h_tokens ?? 0);
  if (cached > (u.input_tokens ?? 0)) {
    throw new RangeError(
      `cache tokens (${cached}) exceed input_tokens (${u.input_tokens ?? 0}): input_tokens counts every input token, cached ones included`,
    );
  }
  if ((u.reasoning_tokens ?? 0) > (u.output_tokens ?? 0)) {
    throw new RangeError(
      `reasoning_tokens (${u.reasoning_tokens}) exceed output_tokens (${u.output_tokens ?? 0}): output_tokens counts reasoning tokens too`,
    );
  }
}

function sameWord(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || (b !== undefined && a.toLowerCase() === b.toLowerCase());
}

/** `1024X1536`, `1024 x 1536`, `1024-x-1536` all mean 1024x1536. */
export function normalizeSize(size: string): string {
  return size.toLowerCase().replace(/\s+/g, '').replace(/-?x-?/, 'x');
}

function describe(keys: Record<string, unknown>): string {
  const parts = Object.entries(keys)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.length ? parts.join(', ') : 'no size, quality or resolution';
}

/** Picks the one media price that fits the request; several with different prices is ambiguity, not a guess. */
function pickOne<P extends { pusd: number }>(
  prices: P[],
  fits: (p: P) => boolean,
  what: string,
  request: Record<string, unknown>,
  show: (p: P) => Record<string, unknown>,
): { pusd: number } | { reason: string } {
  const fitting = prices.filter(fits);
  const amounts = new Set(fitting.map((p) => p.pusd));
  const first = fitting[0];
  if (first !== undefined && amounts.size === 1) return { pusd: first.pusd };
  const known = prices.map((p) => describe(show(p))).join('; ');
  if (fitting.length === 0) {
    return { reason: `no ${what} price for ${describe(request)} (known: ${known || 'none'})` };
  }
  return {
    reason: `the ${what} price depends on what the call did not say (${describe(request)}); known: ${known}`,
  };
}

/**
 * The cost of `usage` at `rates`, per component, in pUSD. Every non-zero count
 * needs a price: one that is missing makes the call unpriced with a reason.
 */
export function compute(rates: Rates, u: Usage): Computed {
  const input = u.input_tokens ?? 0;
  const cacheRead = u.cache_read_tokens ?? 0;
  const cacheWrite = u.cache_write_tokens ?? 0;
  const cacheWrite1h = u.cache_write_1h_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  const reasoning = u.reasoning_tokens ?? 0;

  // Long context: the threshold counts every input token, cached ones included,
  // and the tier then prices the whole request.
  let r: TokenRates = rates.base;
  let tierAbove: number | undefined;
  for (const t of rates.tiers) {
    if (input > t.above) {
      r = t.rates;
      tierAbove = t.above;
    }
  }

  const missing: string[] = [];
  const charge = (count: number, rate: number | undefined, name: string): number => {
    if (count === 0) return 0;
    if (rate === undefined) {
      missing.push(name);
      return 0;
    }
    return multiply(count, rate);
  };

  const uncached = input - cacheRead - cacheWrite - cacheWrite1h;
  // A provider that publishes no cache price does not discount: cached tokens cost what input costs.
  const amounts: CostBreakdown = {
    input: charge(uncached, r.input, 'input'),
    cache_read: charge(cacheRead, r.cache_read ?? r.input, 'cache read'),
    cache_write:
      charge(cacheWrite, r.cache_write ?? r.input, '5-minute cache write') +
      charge(cacheWrite1h, r.cache_write_1h, '1-hour cache write'),
    output: charge(output - reasoning, r.output, 'output'),
    reasoning: charge(reasoning, r.reasoning ?? r.output, 'reasoning'),
    // A per-image price already stands for the tokens that encode the image.
    media: charge(
      (u.images ?? 0) > 0 && rates.images.length > 0 ? 0 : (u.output_image_tokens ?? 0),
      r.output_image,
      'image output token',
    ),
  };
  if (missing.length)
    return { ok: false, reason: `the catalogue has no ${missing.join(', ')} price` };

  const images = u.images ?? 0;
  if (images > 0) {
    const req = { size: u.image_size, quality: u.image_quality, resolution: u.image_resolution };
    const size = u.image_size === undefined ? undefined : normalizeSize(u.image_size);
    const one = pickOne(
      rates.images,
      (p) =>
        (p.size === undefined || (size !== undefined && normalizeSize(p.size) === size)) &&
        (p.quality === undefined || sameWord(p.quality, u.image_quality)) &&
        (p.resolution === undefined || sameWord(p.resolution, u.image_resolution)),
      'per-image',
      req,
      (p) => ({ size: p.size, quality: p.quality, resolution: p.resolution }),
    );
    if ('reason' in one) return { ok: false, reason: one.reason };
    amounts.media += multiply(images, one.pusd);
  }

  const seconds = u.video_seconds ?? 0;
  if (seconds > 0) {
    const req = { resolution: u.video_resolution, size: u.video_size, audio: u.video_audio };
    const size = u.video_size === undefined ? undefined : normalizeSize(u.video_size);
    const one = pickOne(
      rates.video,
      (p) =>
        (p.resolution === undefined || sameWord(p.resolution, u.video_resolution)) &&
        (p.size === undefined || (size !== undefined && normalizeSize(p.size) === size)) &&
        (p.audio === undefined || p.audio === u.video_audio),
      'per-second video',
      req,
      (p) => ({ resolution: p.resolution, size: p.size, audio: p.audio }),
    );
    if ('reason' in one) return { ok: false, reason: one.reason };
    amounts.media += multiply(seconds, one.pusd);
  }

  return tierAbove === undefined
    ? { ok: true, pusd: amounts }
    : { ok: true, pusd: amounts, tierAbove };
}

export function scale(amounts: CostBreakdown, multiplier: number): CostBreakdown {
  const out = { ...amounts };
  for (const k of Object.keys(out) as (keyof CostBreakdown)[])
    out[k] = Math.round(out[k] * multiplier);
  return out;
}

export function total(a: CostBreakdown): number {
  return a.input + a.output + a.cache_read + a.cache_write + a.reasoning + a.media;
}
