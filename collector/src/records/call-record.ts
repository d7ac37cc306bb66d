/** One AI call as the collector stores it (DESIGN.md "Call record"). */
export interface CallRecord {
  /** trace_id + span_id, hex. */
  id: string;
  trace_id: string;
  span_id: string;
  /** Epoch milliseconds. */
  started_at: number;
  finished_at: number;
  duration_ms: number;
  ttft_ms: number | null;
  service: string | null;
  project: string | null;
  user: string | null;
  account: string | null;
  provider: string | null;
  operation: string | null;
  call_type: CallType;
  request_model: string | null;
  response_model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  cache_write_1h_tokens: number | null;
  reasoning_tokens: number | null;
  image_count: number | null;
  image_size: string | null;
  image_resolution: string | null;
  image_quality: string | null;
  video_seconds: number | null;
  video_resolution: string | null;
  video_audio: boolean | null;
  aspect_ratio: string | null;
  status: 'success' | 'error';
  error_type: string | null;
  error_message: string | null;
  retry_count: number;
  /** USD; null when no price is known, 0 for a failed call that is not billed. */
  cost_usd: number | null;
  /** Exact pico-dollars behind cost_usd, so totals never drift. */
  cost_pusd: number | null;
  cost_breakdown: string | null;
  pricing_source: string | null;
  /** Why cost_usd is null. */
  unpriced_reason: string | null;
  prompt: string | null;
  output_path: string | null;
  /** The span's other attributes, JSON; null when there are none. */
  attributes: string | null;
}

export type CallType = 'text' | 'embedding' | 'image' | 'video' | 'audio' | 'other';

/**
 * The cost breakdown of records priced from the catalogue, in whole pico-dollars
 * (input, output, cache_read, cache_write, reasoning, media): the store's columns,
 * kept beside the record so the store need not parse cost_breakdown back. A record
 * without an entry is read from its cost_breakdown JSON.
 */
export const breakdownPusd = new WeakMap<CallRecord, readonly number[]>();
