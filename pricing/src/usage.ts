import { USAGE_COUNTS } from './calculate.js';
import type { Usage } from './types.js';

/**
 * Each provider's usage payload, turned into the OpenTelemetry convention once:
 * `input_tokens` counts every input token with cache reads and writes included,
 * `output_tokens` counts reasoning tokens too. Anthropic reports input WITHOUT
 * cache tokens; OpenAI and Gemini report it WITH them. Getting this wrong bills
 * cache tokens twice, so every path goes through these functions.
 */

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

function compact(u: Usage): Usage {
  const out: Usage = {};
  for (const [k, v] of Object.entries(u)) {
    if (v !== undefined) (out as Obj)[k] = v;
  }
  return out;
}

/** Anthropic Messages `usage` (also `message_start.message.usage` merged with `message_delta.usage`). */
export function fromAnthropicUsage(usage: unknown): Usage {
  const u = obj(usage);
  const uncached = num(u.input_tokens) ?? 0;
  const read = num(u.cache_read_input_tokens) ?? 0;
  const created = num(u.cache_creation_input_tokens) ?? 0;
  const detail = obj(u.cache_creation);
  const write1h = num(detail.ephemeral_1h_input_tokens) ?? 0;
  // Without the split, every cache write was a 5-minute one (the default TTL).
  const write5m = num(detail.ephemeral_5m_input_tokens) ?? Math.max(created - write1h, 0);
  return compact({
    input_tokens: uncached + read + write5m + write1h,
    output_tokens: num(u.output_tokens),
    cache_read_tokens: read || undefined,
    cache_write_tokens: write5m || undefined,
    cache_write_1h_tokens: write1h || undefined,
  });
}

/** OpenAI `usage` from Chat Completions, the Responses API, embeddings or images. */
export function fromOpenAIUsage(usage: unknown): Usage {
  const u = obj(usage);
  const inDetail = obj(u.prompt_tokens_details ?? u.input_tokens_details);
  const outDetail = obj(u.completion_tokens_details ?? u.output_tokens_details);
  return compact({
    input_tokens: num(u.prompt_tokens ?? u.input_tokens),
    output_tokens: num(u.completion_tokens ?? u.output_tokens),
    // DeepSeek's API reports its cache hits beside the details, not in them.
    cache_read_tokens: num(inDetail.cached_tokens ?? u.prompt_cache_hit_tokens) || undefined,
    reasoning_tokens: num(outDetail.reasoning_tokens) || undefined,
  });
}

/** Gemini / Vertex AI `usageMetadata`. */
export function fromGeminiUsage(usageMetadata: unknown): Usage {
  const u = obj(usageMetadata);
  const prompt = num(u.promptTokenCount);
  const toolPrompt = num(u.toolUsePromptTokenCount) ?? 0;
  const candidates = num(u.candidatesTokenCount);
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  let imageOut = 0;
  for (const d of Array.isArray(u.candidatesTokensDetails) ? u.candidatesTokensDetails : []) {
    const detail = obj(d);
    if (detail.modality === 'IMAGE') imageOut += num(detail.tokenCount) ?? 0;
  }
  // Gemini bills thoughts as output but reports them apart from candidates.
  const output =
    candidates === undefined && thoughts === 0 ? undefined : (candidates ?? 0) + thoughts;
  return compact({
    input_tokens: prompt === undefined ? undefined : prompt + toolPrompt,
    output_tokens: output === undefined ? undefined : output - imageOut,
    cache_read_tokens: num(u.cachedContentTokenCount) || undefined,
    reasoning_tokens: thoughts || undefined,
    output_image_tokens: imageOut || undefined,
  });
}

/** Whether a provider's reported input token count already includes cache tokens. */
export function inputIncludesCache(provider: string): boolean {
  const p = provider.toLowerCase();
  return !(p === 'anthropic' || p.endsWith('.anthropic'));
}

/**
 * Whether a call is not billed: it failed and reported no count above zero. Such
 * a call costs $0, whatever its model; a failed call that did use tokens is billed them.
 */
export function isUnbilledFailure(failed: boolean, usage: Usage): boolean {
  if (!failed) return false;
  for (const k of USAGE_COUNTS) {
    const v = usage[k];
    if (typeof v === 'number' && v > 0) return false;
  }
  return true;
}
