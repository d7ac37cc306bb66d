/**
 * The catalogue's own format. Token prices are USD per 1,000,000 tokens (as
 * providers publish them); media prices are USD per image or per second.
 * Every field is optional: a price that is absent is unknown, never zero.
 */
export interface TokenPrices {
  /** Input tokens that were neither read from nor written to a cache. */
  input?: number;
  output?: number;
  /** Cached input tokens read back (OpenAI "cached", Anthropic cache_read, Gemini cached content). */
  cache_read?: number;
  /** Input tokens written to a cache with the default (Anthropic: 5-minute) lifetime. */
  cache_write?: number;
  /** Input tokens written to a cache with a 1-hour lifetime. */
  cache_write_1h?: number;
  /** Reasoning output tokens, when a model prices them apart from other output. */
  reasoning?: number;
  /** Output tokens that encode images (Gemini image models, gpt-image-1). */
  output_image?: number;
}

/** Every kind of token price, in one place for the code that walks them. */
export const TOKEN_KINDS = [
  'input',
  'output',
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'reasoning',
  'output_image',
] as const satisfies readonly (keyof TokenPrices)[];

export type TokenKind = (typeof TOKEN_KINDS)[number];

/** A long-context tier: once input + cache tokens exceed `above`, the whole request uses these prices. */
export interface Tier extends TokenPrices {
  above: number;
}

/** A price per generated image; absent keys match any request. */
export interface ImagePrice {
  usd: number;
  /** `WxH`, e.g. `1024x1536`. */
  size?: string;
  /** Provider's quality word: `low`, `medium`, `high`, `standard`, `hd`. */
  quality?: string;
  /** `1K`, `2K` or `4K`. */
  resolution?: string;
}

/** A price per second of generated video; absent keys match any request. */
export interface VideoPrice {
  usd_per_second: number;
  /** `720p`, `1080p` or `4k`. */
  resolution?: string;
  /** `WxH`, e.g. `1280x720`. */
  size?: string;
  audio?: boolean;
}

export interface PriceSet extends TokenPrices {
  tiers?: Tier[];
  images?: ImagePrice[];
  video?: VideoPrice[];
}

/** The prices in force from `from` (inclusive, ISO date or date-time, UTC) until the next entry's `from`. */
export interface DatedPrices {
  from?: string;
  /** A daily UTC window (`HH:MM`-`HH:MM`) in which these prices replace the undated ones. */
  daily?: { start: string; end: string };
  prices: PriceSet;
}

export type Mode =
  | 'chat'
  | 'completion'
  | 'embedding'
  | 'image'
  | 'video'
  | 'audio'
  | 'rerank'
  | 'moderation'
  | 'other';

export type SourceName = 'litellm' | 'genai-prices' | 'overlay' | 'override';

export interface ModelEntry {
  /** OpenTelemetry `gen_ai.provider.name` where one exists (`openai`, `gcp.gemini`, ...). */
  provider: string;
  /** Canonical model id, lower case, without provider prefix. */
  id: string;
  /** Other names the provider's API accepts for exactly this model. */
  aliases?: string[];
  mode: Mode;
  /**
   * Undated entry first, then ascending `from`; daily windows after the dated entries they refine.
   * Empty when the overlay took out a price known to be wrong: `reference` says why.
   */
  prices: DatedPrices[];
  source: SourceName;
  /** The entry's key in its source file, for tracing a price back (LiteLLM: `gemini/gemini-2.5-pro`). */
  source_key?: string;
  /** Where a hand-kept price comes from and when it was checked. */
  reference?: string;
  /** A user's discount: every amount of this model is multiplied by it. */
  multiplier?: number;
}

export interface CatalogueData {
  /** `YYYY.MM.DD-<hash>`: the catalogue's date and a hash of its content. */
  version: string;
  /** The newest as-of date among the sources and the overlay, `YYYY-MM-DD`. */
  date: string;
  sources: { name: SourceName; as_of: string; models: number; notice: string }[];
  models: ModelEntry[];
}

/** What a call used. Counts follow the OpenTelemetry GenAI conventions. */
export interface Usage {
  /** Every input token, cache reads and cache writes included. */
  input_tokens?: number;
  /** Every output token, reasoning tokens included; image output goes in `images`/`output_image_tokens`. */
  output_tokens?: number;
  /** How many of `input_tokens` were read from a cache. */
  cache_read_tokens?: number;
  /** How many of `input_tokens` were written to a cache at the 5-minute rate. */
  cache_write_tokens?: number;
  /** How many of `input_tokens` were written to a cache at the 1-hour rate. */
  cache_write_1h_tokens?: number;
  /** How many of `output_tokens` were reasoning tokens. */
  reasoning_tokens?: number;
  /** Output tokens that encode images, when the provider reports them apart. */
  output_image_tokens?: number;
  images?: number;
  image_size?: string;
  image_quality?: string;
  image_resolution?: string;
  video_seconds?: number;
  video_resolution?: string;
  video_size?: string;
  video_audio?: boolean;
}

export interface PriceRequest extends Usage {
  /** `gen_ai.provider.name`; absent or unknown searches every provider, first parties first. */
  provider?: string;
  model: string;
  /** When the call was made (default: now); selects the price in force then. */
  at?: Date | string | number;
}

/** Cost by component, in integer pico-dollars (pricing's money module turns them into USD). The components add up to the total. */
export interface CostBreakdown {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  media: number;
}

export interface PricedResult {
  unpriced: false;
  /** The exact total in integer pico-dollars (1e-12 USD): sums never drift. `pusdToUsd` shows it in USD. */
  cost_pusd: number;
  /** The total by component, in pico-dollars; they add up to `cost_pusd`. */
  breakdown_pusd: CostBreakdown;
  /** Catalogue version, or `override` when a user's price file decided any part of it. */
  source: string;
  model: { provider: string; id: string };
  /** The long-context threshold that applied, if any. */
  tier_above?: number;
  reason: null;
}

export interface UnpricedResult {
  unpriced: true;
  cost_pusd: null;
  breakdown_pusd: null;
  source: string;
  model: { provider: string; id: string } | null;
  /** A sentence saying why no price applies. */
  reason: string;
}

export type PriceResult = PricedResult | UnpricedResult;
