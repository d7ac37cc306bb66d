import { normalizeModelName, stripRouting } from '../model-id.js';
import type { ImagePrice, Mode, ModelEntry, PriceSet, Tier, VideoPrice } from '../types.js';
import {
  type ConvertResult,
  isPrice,
  isRecord,
  perMillion,
  providerFromLitellm,
  SourceFormatError,
} from './providers.js';

/** Keys of LiteLLM's file that describe the file, not a model. */
const NOT_MODELS = new Set(['sample_spec', 'fallback_generalizations']);

const TOKEN_FIELDS = {
  input_cost_per_token: 'input',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cache_read',
  cache_creation_input_token_cost: 'cache_write',
  cache_creation_input_token_cost_above_1hr: 'cache_write_1h',
  output_cost_per_reasoning_token: 'reasoning',
  output_cost_per_image_token: 'output_image',
} as const;

/** `input_cost_per_token_above_200k_tokens` and friends: long-context tiers. */
const TIER_FIELD =
  /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr)_above_(\d+)k_tokens$/;

/** `high/1024-x-1536/gpt-image-1`, `1024-x-1024/dall-e-2`: quality and size live in the key. */
const IMAGE_KEY = /^(?:([a-z]+)\/)?(\d+)-x-(\d+)\/(.+)$/;

const MODES: Record<string, Mode> = {
  chat: 'chat',
  responses: 'chat',
  realtime: 'chat',
  completion: 'completion',
  embedding: 'embedding',
  image_generation: 'image',
  image_edit: 'image',
  video_generation: 'video',
  rerank: 'rerank',
  moderation: 'moderation',
};

function modeOf(raw: unknown): Mode {
  if (typeof raw !== 'string') return 'other';
  if (raw.startsWith('audio_')) return 'audio';
  return MODES[raw] ?? 'other';
}

/** Whether a key's segment is LiteLLM's route to the entry's provider (`gemini/`, `vertex_ai/`, `azure/`), not part of the model id. */
function routesTo(litellmProvider: string): (segment: string) => boolean {
  const p = litellmProvider.toLowerCase();
  return (segment) =>
    segment === p ||
    p.startsWith(`${segment}-`) ||
    providerFromLitellm(segment) === providerFromLitellm(p);
}

function tokenPrices(e: Record<string, unknown>): PriceSet {
  const p: PriceSet = {};
  for (const [field, kind] of Object.entries(TOKEN_FIELDS)) {
    const v = e[field];
    if (isPrice(v)) p[kind] = perMillion(v);
  }
  const tiers = new Map<number, Tier>();
  const tierAt = (above: number) => {
    const t = tiers.get(above) ?? { above };
    tiers.set(above, t);
    return t;
  };
  for (const [field, v] of Object.entries(e)) {
    const m = TIER_FIELD.exec(field);
    if (!m || !isPrice(v)) continue;
    const kind = TOKEN_FIELDS[m[1] as keyof typeof TOKEN_FIELDS];
    tierAt(Number(m[2]) * 1000)[kind] = perMillion(v);
  }
  if (Array.isArray(e.tiered_pricing)) {
    for (const t of e.tiered_pricing) {
      if (!isRecord(t) || !Array.isArray(t.range) || typeof t.range[0] !== 'number') continue;
      const lo = t.range[0];
      const target: PriceSet | Tier = lo > 0 ? tierAt(lo) : p;
      for (const [field, kind] of Object.entries(TOKEN_FIELDS)) {
        const v = t[field];
        // The top-level price is the base; a range starting at 0 only fills what it lacks.
        if (isPrice(v) && (lo > 0 || target[kind] === undefined)) target[kind] = perMillion(v);
      }
    }
  }
  if (tiers.size) p.tiers = [...tiers.values()].sort((a, b) => a.above - b.above);
  return p;
}

function videoPrices(e: Record<string, unknown>): VideoPrice[] {
  const flat = [e.output_cost_per_second, e.output_cost_per_video_per_second].find(isPrice);
  const hd = e.output_cost_per_second_1080p;
  const out: VideoPrice[] = [];
  // With a 1080p price beside it, the plain per-second price is the 720p one.
  if (flat !== undefined)
    out.push(isPrice(hd) ? { resolution: '720p', usd_per_second: flat } : { usd_per_second: flat });
  if (isPrice(hd)) out.push({ resolution: '1080p', usd_per_second: hd });
  return out;
}

/** LiteLLM's per-pixel figures are per-image prices divided by W*H and rounded: 4 significant digits recover them ($0.07999586 -> $0.08). */
const perImageFromPixels = (perPixel: number, w: number, h: number) =>
  Number((perPixel * w * h).toPrecision(4));

function sizedImagePrice(e: Record<string, unknown>, w: number, h: number): number | undefined {
  const perImage = [e.output_cost_per_image, e.input_cost_per_image].find(
    (v) => isPrice(v) && v > 0,
  );
  if (isPrice(perImage)) return perImage;
  const pixel = [e.output_cost_per_pixel, e.input_cost_per_pixel].find((v) => isPrice(v) && v > 0);
  return isPrice(pixel) ? perImageFromPixels(pixel, w, h) : undefined;
}

const hasAny = (p: PriceSet) =>
  Object.entries(p).some(
    ([k, v]) => k !== 'tiers' && (typeof v === 'number' || (Array.isArray(v) && v.length > 0)),
  );

/** LiteLLM's model_prices_and_context_window.json -> catalogue entries. */
export function convertLitellm(raw: unknown): ConvertResult {
  if (!isRecord(raw)) {
    const got = Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw;
    throw new SourceFormatError(
      `LiteLLM price file: expected a JSON object of model entries, got ${got}`,
    );
  }
  const byKey = new Map<string, ModelEntry>();
  const skipped: ConvertResult['skipped'] = [];
  let seen = 0;
  // Sized image keys last, so they add to the model's own entry instead of founding it.
  const entries = Object.entries(raw).sort(
    ([a], [b]) =>
      Number(IMAGE_KEY.test(a.replace(/^[^/]+\/(?=[a-z]+\/\d|\d)/, ''))) -
      Number(IMAGE_KEY.test(b.replace(/^[^/]+\/(?=[a-z]+\/\d|\d)/, ''))),
  );
  for (const [key, e] of entries) {
    if (NOT_MODELS.has(key)) {
      skipped.push({ key, reason: 'describes the file, not a model' });
      continue;
    }
    if (!isRecord(e))
      throw new SourceFormatError(`LiteLLM price file: entry "${key}" is not an object`);
    if (typeof e.litellm_provider !== 'string') {
      skipped.push({ key, reason: 'no litellm_provider' });
      continue;
    }
    seen++;
    const provider = providerFromLitellm(e.litellm_provider);
    let id = stripRouting(normalizeModelName(key), routesTo(e.litellm_provider));
    let prices: PriceSet;
    const sized = IMAGE_KEY.exec(id);
    if (sized) {
      const [, quality, w, h, model] = sized;
      const usd = sizedImagePrice(e, Number(w), Number(h));
      if (usd === undefined) {
        skipped.push({ key, reason: 'image key without a per-image or per-pixel price' });
        continue;
      }
      id = model!;
      const image: ImagePrice = { size: `${w}x${h}`, usd, ...(quality ? { quality } : {}) };
      prices = { images: [image] };
    } else {
      prices = tokenPrices(e);
      if (isPrice(e.output_cost_per_image)) prices.images = [{ usd: e.output_cost_per_image }];
      // A per-second price is per second of generated video only for a video model:
      // elsewhere it is provisioned throughput (Bedrock commitments) or audio length.
      const video = e.mode === 'video_generation' ? videoPrices(e) : [];
      if (video.length) prices.video = video;
    }
    if (!hasAny(prices)) {
      skipped.push({
        key,
        reason: 'no price costlens models (per token, image or second of output)',
      });
      continue;
    }
    const k = `${provider}\u0000${id}`;
    const have = byKey.get(k);
    if (!have) {
      byKey.set(k, {
        provider,
        id,
        mode: sized ? 'image' : modeOf(e.mode),
        prices: [{ prices }],
        source: 'litellm',
        source_key: key,
      });
      continue;
    }
    const base = have.prices[0]!.prices;
    if (sized) {
      base.images = [
        ...(base.images ?? []).filter((i) => i.size !== undefined),
        ...(prices.images ?? []),
      ];
      if (have.mode !== 'image') have.mode = 'image';
    } else if (
      JSON.stringify(base) !==
      JSON.stringify({ ...prices, ...(base.images ? { images: base.images } : {}) })
    ) {
      skipped.push({
        key,
        reason: `same model as "${have.source_key}" (${provider} ${id}) with other prices; kept the first`,
      });
    }
  }
  if (seen === 0)
    throw new SourceFormatError('LiteLLM price file: no model entries with a litellm_provider');
  return { models: [...byKey.values()], skipped };
}
