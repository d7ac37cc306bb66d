import {
  type Catalogue,
  type CostBreakdown,
  isUnbilledFailure,
  USAGE_COUNTS,
  type Usage,
  usdToPusd,
} from '@costlens/pricing';
import { type Attrs, amount, bool, count, num, str, truncate } from './attrs.js';
import type { CallRecord } from './call-record.js';
import { type ContentPolicy, DEFAULT_CONTENT } from './content.js';
import { callTypeOf, operationOf, providerOf, usageOf } from './conventions.js';
import {
  beyondCostLimit,
  type CallLimits,
  DEFAULT_LIMITS,
  MAX_NAME_CHARS,
  MAX_RETRIES,
} from './limits.js';
import { promptOf, restOf } from './rest.js';

export { isGenAiSpan } from './conventions.js';

/** What the mapping needs of a decoded span; OTLP decoders produce it. */
export interface SpanInput {
  traceId: string;
  spanId: string;
  /** The enclosing span's id, hex; '' or absent for a root span. */
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attrs;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}

export interface SpanContext {
  resource: Attrs;
  scopeName: string;
}

export interface MappingOptions {
  catalogue: Catalogue;
  /** Longest text attribute and output path kept, in characters. */
  maxTextChars?: number;
  /** Whether message content is kept, and how much of it (default: dropped). */
  content?: ContentPolicy;
  /** What one call can plausibly report (default DEFAULT_LIMITS). */
  limits?: CallLimits;
}

const OUR_SCOPE = '@costlens/instrumentation';

const ms = (ns: bigint) => Number(ns / 1_000_000n);

/** Names (models, projects, users, ...) are kept to MAX_NAME_CHARS: a 4 MiB model name is not a name. */
const name = (v: string | null) => truncate(v, MAX_NAME_CHARS);

/**
 * One GenAI span -> one call record, priced with the catalogue when the span
 * carries no cost. Throws RangeError, naming the attribute, for a span that cannot
 * be a record: no start time, or a count or cost no call can have (negative,
 * fractional, not a number, beyond `limits`). Such a span is refused, never billed $0.
 */
export function recordFromSpan(
  span: SpanInput,
  ctx: SpanContext,
  opts: MappingOptions,
): CallRecord {
  // A call with no time cannot be counted in any hour or budget: refuse it, and say so.
  if (span.startTimeUnixNano === 0n) throw new RangeError('the span has no start time');
  const a = span.attributes;
  const max = opts.maxTextChars ?? 1000;
  const content = opts.content ?? DEFAULT_CONTENT;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const ours = ctx.scopeName === OUR_SCOPE;
  const operation = operationOf(a);
  const provider = providerOf(a);
  const requestModel = str(
    a,
    'gen_ai.request.model',
    'llm.model_name',
    'embedding.model_name',
    'ai.model.id',
  );
  const responseModel = str(a, 'gen_ai.response.model', 'ai.response.model');
  const usage = usageOf(a, provider, ours, limits.tokens_per_call);
  const failed = span.status.code === 2 || str(a, 'error.type') !== null;
  const started = ms(span.startTimeUnixNano);
  const finished = ms(span.endTimeUnixNano);
  // A time to first chunk below zero is a clock's mistake, not a time: it is left out.
  const firstChunk = firstChunkSeconds(a);
  const ttft = firstChunk !== null && firstChunk >= 0 ? firstChunk : null;
  const retries = count(a, MAX_RETRIES, 'costlens.retry.count');

  const media: Usage = {};
  const images = count(a, limits.images_per_call, 'costlens.image.count');
  if (images !== null) media.images = images;
  const seconds = amount(a, limits.video_seconds_per_call, 'costlens.video.seconds');
  if (seconds !== null) media.video_seconds = seconds;
  const image_size = str(a, 'costlens.image.size');
  const image_quality = str(a, 'costlens.image.quality');
  const image_resolution = str(a, 'costlens.image.resolution');
  const video_resolution = str(a, 'costlens.video.resolution');
  const video_audio = bool(a, 'costlens.video.audio');
  if (image_size) media.image_size = image_size;
  if (image_quality) media.image_quality = image_quality;
  if (image_resolution) media.image_resolution = image_resolution;
  if (video_resolution) media.video_resolution = video_resolution;
  if (video_audio !== null) media.video_audio = video_audio;

  // Most calls carry no media: price their usage as it is, without a merged copy.
  let mediaUsed = false;
  for (const _ in media) mediaUsed = true;
  const cost = costOf(a, mediaUsed ? { ...usage, ...media } : usage, {
    provider,
    model: responseModel ?? requestModel,
    at: started,
    failed,
    catalogue: opts.catalogue,
    limits,
  });

  const prompt = promptOf(a, content);
  const record: CallRecord = {
    id: span.traceId + span.spanId,
    trace_id: span.traceId,
    span_id: span.spanId,
    started_at: started,
    finished_at: finished,
    // A span that ends before it starts (clock skew) lasted no time, not negative time.
    duration_ms: Math.max(Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6, 0),
    ttft_ms: ttft === null ? null : ttft * 1000,
    service: name(str(ctx.resource, 'service.name')),
    project: name(str(a, 'costlens.project') ?? str(ctx.resource, 'costlens.project')),
    user: name(
      str(a, 'costlens.user', 'user.id', 'enduser.id') ?? str(ctx.resource, 'costlens.user'),
    ),
    account: name(str(a, 'costlens.account') ?? str(ctx.resource, 'costlens.account')),
    provider: name(provider),
    operation: name(operation),
    call_type: callTypeOf(a, operation),
    request_model: name(requestModel),
    response_model: name(responseModel),
    input_tokens: usage.input_tokens ?? null,
    output_tokens: usage.output_tokens ?? null,
    cache_read_tokens: usage.cache_read_tokens ?? null,
    cache_write_tokens: usage.cache_write_tokens ?? null,
    cache_write_1h_tokens: usage.cache_write_1h_tokens ?? null,
    reasoning_tokens: usage.reasoning_tokens ?? null,
    image_count: images,
    image_size: name(image_size),
    image_resolution: name(image_resolution),
    image_quality: name(image_quality),
    video_seconds: media.video_seconds ?? null,
    video_resolution: name(video_resolution),
    video_audio,
    aspect_ratio: name(str(a, 'costlens.aspect_ratio')),
    status: failed ? 'error' : 'success',
    error_type: failed ? name(str(a, 'error.type') ?? 'error') : null,
    error_message: failed ? truncate(span.status.message || null, 500) : null,
    retry_count: retries ?? 0,
    cost_pusd: cost.cost_pusd,
    cost_breakdown_pusd: cost.cost_breakdown_pusd,
    pricing_source: name(cost.pricing_source),
    unpriced_reason: cost.unpriced_reason,
    prompt: prompt.text,
    output_path: truncate(str(a, 'costlens.output.path'), max),
    attributes: restOf(a, max, content, prompt.key),
  };
  return record;
}

/** Seconds to the first streamed chunk: ours and the conventions' in seconds, the AI SDK's in ms. */
function firstChunkSeconds(a: Attrs): number | null {
  const s =
    num(a, 'gen_ai.response.time_to_first_chunk') ??
    num(a, 'gen_ai.client.operation.time_to_first_chunk');
  if (s !== null) return s;
  const ms = num(a, 'ai.response.msToFirstChunk');
  return ms === null ? null : ms / 1000;
}

type Cost = Pick<
  CallRecord,
  'cost_pusd' | 'cost_breakdown_pusd' | 'pricing_source' | 'unpriced_reason'
>;

const unpriced = (reason: string, source: string | null = null): Cost => ({
  cost_pusd: null,
  cost_breakdown_pusd: null,
  pricing_source: source,
  unpriced_reason: reason,
});

function costOf(
  a: Attrs,
  usage: Usage,
  call: {
    provider: string | null;
    model: string | null;
    at: number;
    failed: boolean;
    catalogue: Catalogue;
    limits: CallLimits;
  },
): Cost {
  // First, before any cost the span gives: the instrumentation writes 0 for such a
  // call, and `costlens recompute` judges it by this same rule, so the two agree.
  if (isUnbilledFailure(call.failed, usage)) {
    return {
      cost_pusd: 0,
      cost_breakdown_pusd: null,
      pricing_source: 'not billed',
      unpriced_reason: null,
    };
  }
  const given = amount(a, call.limits.cost_usd_per_call, 'costlens.cost.usd');
  if (given !== null) {
    return {
      cost_pusd: usdToPusd(given),
      cost_breakdown_pusd: breakdownOf(str(a, 'costlens.cost.breakdown')),
      pricing_source: str(a, 'costlens.pricing.source') ?? 'instrumentation',
      unpriced_reason: null,
    };
  }
  // OpenLIT writes 0 for models it cannot price: only a positive cost is a price.
  const openlit = amount(a, call.limits.cost_usd_per_call, 'gen_ai.usage.cost');
  if (openlit !== null && openlit > 0) {
    return {
      cost_pusd: usdToPusd(openlit),
      cost_breakdown_pusd: null,
      pricing_source: 'openlit',
      unpriced_reason: null,
    };
  }
  if (call.model === null) return unpriced('the span names no model');
  // A call that reports no count of what it used cannot be priced: unknown, not free.
  // Its resolution or quality alone (a video job never seen to end) is no count.
  if (!USAGE_COUNTS.some((k) => usage[k] !== undefined)) {
    return unpriced('the span reports no usage (tokens, images or seconds)');
  }
  let r: ReturnType<Catalogue['price']>;
  try {
    r = call.catalogue.priceUsage(usage, call.model, call.provider || undefined, call.at);
  } catch (err) {
    return unpriced((err as Error).message);
  }
  if (r.unpriced) return unpriced(r.reason, r.source);
  const beyond = beyondCostLimit(r.cost_pusd, call.limits);
  if (beyond !== null) return unpriced(beyond, r.source);
  return {
    cost_pusd: r.cost_pusd,
    cost_breakdown_pusd: r.breakdown_pusd,
    pricing_source: r.source,
    unpriced_reason: null,
  };
}

const BREAKDOWN_KEYS = [
  'input',
  'output',
  'cache_read',
  'cache_write',
  'reasoning',
  'media',
] as const satisfies readonly (keyof CostBreakdown)[];

/**
 * The span's `costlens.cost.breakdown` (JSON, USD per component) in pico-dollars;
 * null when it is absent or not an object of the six non-negative amounts.
 */
function breakdownOf(json: string | null): CostBreakdown | null {
  if (json === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const out = { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, media: 0 };
  for (const k of BREAKDOWN_KEYS) {
    const v = (parsed as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return null;
    out[k] = usdToPusd(v);
  }
  return out;
}
