/**
 * Attribute and metric names. The GenAI semantic conventions are still in
 * development, so the names we rely on are copied here (v1.41) instead of being
 * imported from @opentelemetry/semantic-conventions/incubating, whose exports move.
 */

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
/**
 * Not in the conventions: the cost in USD where OpenLIT writes it and Langfuse's
 * OTLP ingestion and Grafana's GenAI dashboards read it. Written with the same
 * value as costlens.cost.usd, which stays the one costlens reads first.
 */
export const ATTR_GEN_AI_USAGE_COST = 'gen_ai.usage.cost';

export const ATTR_COSTLENS_CALL_TYPE = 'costlens.call_type';
export const ATTR_COSTLENS_PROJECT = 'costlens.project';
export const ATTR_COSTLENS_USER = 'costlens.user';
export const ATTR_COSTLENS_ACCOUNT = 'costlens.account';
export const ATTR_COSTLENS_COST_USD = 'costlens.cost.usd';
export const ATTR_COSTLENS_COST_UNPRICED = 'costlens.cost.unpriced';
export const ATTR_COSTLENS_COST_UNPRICED_REASON = 'costlens.cost.unpriced_reason';
export const ATTR_COSTLENS_COST_BREAKDOWN = 'costlens.cost.breakdown';
export const ATTR_COSTLENS_PRICING_SOURCE = 'costlens.pricing.source';
export const ATTR_COSTLENS_CACHE_WRITE_1H_TOKENS = 'costlens.usage.cache_write_1h.input_tokens';
export const ATTR_COSTLENS_IMAGE_COUNT = 'costlens.image.count';
export const ATTR_COSTLENS_IMAGE_SIZE = 'costlens.image.size';
export const ATTR_COSTLENS_IMAGE_RESOLUTION = 'costlens.image.resolution';
export const ATTR_COSTLENS_IMAGE_QUALITY = 'costlens.image.quality';
export const ATTR_COSTLENS_VIDEO_SECONDS = 'costlens.video.seconds';
export const ATTR_COSTLENS_VIDEO_RESOLUTION = 'costlens.video.resolution';
export const ATTR_COSTLENS_VIDEO_AUDIO = 'costlens.video.audio';
/** A video job's end: `succeeded`, `failed`, `cancelled`, or `submitted` when it was not seen. */
export const ATTR_COSTLENS_VIDEO_STATE = 'costlens.video.state';
/** Seconds asked for by a job recorded as submitted (not delivered, so not costlens.video.seconds). */
export const ATTR_COSTLENS_VIDEO_REQUESTED_SECONDS = 'costlens.video.requested_seconds';
export const ATTR_COSTLENS_ASPECT_RATIO = 'costlens.aspect_ratio';
export const ATTR_COSTLENS_RETRY_COUNT = 'costlens.retry.count';
export const ATTR_COSTLENS_PROMPT = 'costlens.prompt';
export const ATTR_COSTLENS_COMPLETION = 'costlens.completion';
export const ATTR_COSTLENS_OUTPUT_PATH = 'costlens.output.path';
/** Set only on a stream ended unread: `released` (garbage-collected) or `idle` (no read for a while). */
export const ATTR_COSTLENS_STREAM_STATE = 'costlens.stream.state';

export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_COSTLENS_CLIENT_COST = 'costlens.client.cost';
export const METRIC_COSTLENS_CLIENT_CALLS = 'costlens.client.calls';

export type Operation =
  | 'chat'
  | 'generate_content'
  | 'text_completion'
  | 'embeddings'
  | 'image_generation'
  | 'video_generation';

export type CallType = 'text' | 'embedding' | 'image' | 'video' | 'audio' | 'other';
