import { pusdToUsd } from '@costlens/pricing';
import type { CallDetailRow, CallRow, Group, Totals } from '../store/queries.js';

// The shapes of the API's answers (collector/docs/api.md). Amounts arrive in pUSD and
// leave here in USD; times arrive in epoch ms and leave as ISO-8601 UTC.

export const iso = (ms: number): string => new Date(ms).toISOString();

/** pUSD -> USD, where the amount leaves the program. */
export function usd(pusd: bigint | number | null): number | null {
  return pusd === null ? null : pusdToUsd(Number(pusd));
}

/** Milliseconds to the microsecond. */
const ms = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

/** The priced calls' cost; null when there were calls and none had a price (unknown is not $0). */
export function costUsd(t: Totals): number | null {
  return t.calls > 0 && t.unpriced === t.calls ? null : usd(t.cost_pusd);
}

export const successRate = (t: Totals): number | null =>
  t.calls === 0 ? null : (t.calls - t.failed) / t.calls;

/** Token sums; cache_write counts the 5-minute and the 1-hour writes. */
export function tokensJson(t: Totals) {
  return {
    input: t.input_tokens,
    output: t.output_tokens,
    cache_read: t.cache_read_tokens,
    cache_write: t.cache_write_tokens + t.cache_write_1h_tokens,
    reasoning: t.reasoning_tokens,
  };
}

export function summaryJson(
  window: { from: number; to: number },
  t: Totals,
  distinct: Record<'models' | 'users' | 'accounts' | 'projects', number>,
) {
  return {
    from: iso(window.from),
    to: iso(window.to),
    cost_usd: costUsd(t),
    calls: t.calls,
    failed_calls: t.failed,
    success_rate: successRate(t),
    unpriced_calls: t.unpriced,
    tokens: tokensJson(t),
    image_calls: t.image_calls,
    images: t.images,
    video_calls: t.video_calls,
    video_seconds: t.video_seconds,
    distinct,
    latency_ms:
      t.calls === 0
        ? null
        : {
            avg: ms(t.latency.mean()),
            p50: ms(t.latency.quantile(0.5)),
            p95: ms(t.latency.quantile(0.95)),
            p99: ms(t.latency.quantile(0.99)),
          },
  };
}

/**
 * Groups by cost, most first; groups whose calls all lack a price after every priced
 * one; then by calls, then by key (no key last).
 */
export function byCost<G extends { key: string | null; totals: Totals }>(groups: G[]): G[] {
  const rank = (g: G) => (costUsd(g.totals) === null ? 1 : 0);
  return groups.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.totals.cost_pusd < b.totals.cost_pusd
        ? 1
        : a.totals.cost_pusd > b.totals.cost_pusd
          ? -1
          : 0) ||
      b.totals.calls - a.totals.calls ||
      (a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/** A row of GET /breakdown (and of a project's models). */
export function breakdownRowJson(g: Group) {
  const t = g.totals;
  return {
    key: g.key,
    cost_usd: costUsd(t),
    calls: t.calls,
    failed_calls: t.failed,
    success_rate: successRate(t),
    tokens: tokensJson(t),
    latency_ms: { avg: ms(t.latency.mean()), p95: ms(t.latency.quantile(0.95)) },
    last_call_at: g.lastAt === null ? null : iso(g.lastAt),
  };
}

/** A project of GET /projects. */
export function projectJson(g: Group) {
  const t = g.totals;
  return {
    name: g.key,
    cost_usd: costUsd(t),
    calls: t.calls,
    failed_calls: t.failed,
    success_rate: successRate(t),
    latency_ms: { avg: ms(t.latency.mean()), p95: ms(t.latency.quantile(0.95)) },
    last_call_at: g.lastAt === null ? null : iso(g.lastAt),
  };
}

/** A call as the list and the export show it. */
export function callJson(r: CallRow) {
  return {
    id: r.trace_id + r.span_id,
    trace_id: r.trace_id,
    span_id: r.span_id,
    started_at: iso(r.started_at),
    // As the call_records view has it: the start plus the whole milliseconds of the duration.
    finished_at: iso(r.started_at + Math.trunc(r.duration_us / 1000)),
    duration_ms: r.duration_us / 1000,
    ttft_ms: r.ttft_us === null ? null : r.ttft_us / 1000,
    service: r.service,
    project: r.project,
    user: r.user,
    account: r.account,
    provider: r.provider,
    operation: r.operation,
    call_type: r.call_type,
    request_model: r.request_model,
    response_model: r.response_model,
    model: r.response_model ?? r.request_model,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cache_read_tokens: r.cache_read_tokens,
    cache_write_tokens: r.cache_write_tokens,
    cache_write_1h_tokens: r.cache_write_1h_tokens,
    reasoning_tokens: r.reasoning_tokens,
    image_count: r.image_count,
    image_size: r.image_size,
    image_resolution: r.image_resolution,
    image_quality: r.image_quality,
    video_seconds: r.video_seconds,
    video_resolution: r.video_resolution,
    video_audio: r.video_audio === null ? null : r.video_audio === 1,
    aspect_ratio: r.aspect_ratio,
    status: r.status,
    error_type: r.error_type,
    error_message: r.error_message,
    retry_count: r.retry_count,
    cost_usd: usd(r.cost_pusd),
    pricing_source: r.pricing_source,
    unpriced_reason: r.unpriced_reason,
  };
}

export type CallJson = ReturnType<typeof callJson>;

/** One call with its cost breakdown, prompt, output path and attributes. */
export function callDetailJson(r: CallDetailRow) {
  let attributes: unknown = null;
  if (r.attributes !== null) {
    try {
      attributes = JSON.parse(r.attributes);
    } catch {
      attributes = null;
    }
  }
  return {
    ...callJson(r),
    cost_breakdown:
      r.cost_input === null
        ? null
        : {
            input: usd(r.cost_input),
            output: usd(r.cost_output ?? 0),
            cache_read: usd(r.cost_cache_read ?? 0),
            cache_write: usd(r.cost_cache_write ?? 0),
            reasoning: usd(r.cost_reasoning ?? 0),
            media: usd(r.cost_media ?? 0),
          },
    prompt: r.prompt,
    output_path: r.output_path,
    attributes,
  };
}
