import type { CostBreakdown } from '@costlens/pricing';

/** One AI call as the collector stores it (docs/architecture.md, "The call record"). */
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
  /**
   * Whole pico-dollars (1e-12 USD), so totals never drift; null when no price is
   * known, 0 for a failed call that was not billed. USD only where it leaves the collector.
   */
  cost_pusd: number | null;
  /** The cost by component in pico-dollars, when it is known. */
  cost_breakdown_pusd: CostBreakdown | null;
  pricing_source: string | null;
  /** Why cost_usd is null. */
  unpriced_reason: string | null;
  prompt: string | null;
  output_path: string | null;
  /** The span's other attributes, JSON; null when there are none. */
  attributes: string | null;
}

export type CallType = 'text' | 'embedding' | 'image' | 'video' | 'audio' | 'other';
