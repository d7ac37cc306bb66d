import type { CallRecord } from '../records/call-record.js';

/** A row of the call_records view. */
export type CallRow = Omit<CallRecord, 'video_audio' | 'cost_breakdown_pusd'> & {
  video_audio: number | null;
  cost_input: number | null;
  cost_output: number | null;
  cost_cache_read: number | null;
  cost_cache_write: number | null;
  cost_reasoning: number | null;
  cost_media: number | null;
};

/** The columns of call_records that make a call record (the view also shows USD). */
export const RECORD_COLUMNS = `id, trace_id, span_id, started_at, finished_at, duration_ms, ttft_ms,
  service, project, user, account, provider, operation, call_type, request_model, response_model,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
  reasoning_tokens, image_count, image_size, image_resolution, image_quality, video_seconds,
  video_resolution, video_audio, aspect_ratio, status, error_type, error_message, retry_count,
  cost_pusd, cost_input, cost_output, cost_cache_read, cost_cache_write, cost_reasoning, cost_media,
  pricing_source, unpriced_reason, prompt, output_path, attributes`;

/** A stored call, back as the record it was stored from. */
export function recordOf(row: CallRow): CallRecord {
  const {
    video_audio,
    cost_input,
    cost_output,
    cost_cache_read,
    cost_cache_write,
    cost_reasoning,
    cost_media,
    ...rest
  } = row;
  return {
    ...rest,
    video_audio: video_audio === null ? null : video_audio === 1,
    cost_breakdown_pusd:
      cost_input === null
        ? null
        : {
            input: cost_input,
            output: cost_output ?? 0,
            cache_read: cost_cache_read ?? 0,
            cache_write: cost_cache_write ?? 0,
            reasoning: cost_reasoning ?? 0,
            media: cost_media ?? 0,
          },
  };
}
