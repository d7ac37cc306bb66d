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

/**
 * Sets a count that was reported (or, with `positive`, reported above zero). The
 * extractors run on every call: a Usage built by assignment, in a fixed order,
 * keeps one shape, where one copied from a literal's defined entries did not.
 */
function put(
  out: Usage,
  key: keyof Usage & (typeof USAGE_COUNTS)[number],
  v: number | undefined,
  positive = false,
): void {
  if (v !== undefined && (!positive || v > 0)) out[key] = v;
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
  const out: Usage = { input_tokens: uncached + read + write5m + write1h };
  put(out, 'output_tokens', num(u.output_tokens));
  put(out, 'cache_read_tokens', read, true);
  put(out, 'cache_write_tokens', write5m, true);
  put(out, 'cache_write_1h_tokens', write1h, true);
  return out;
}

/** OpenAI `usage` from Chat Completions, the Responses API, embeddings or images. */
export function fromOpenAIUsage(usage: unknown): Usage {
  const u = obj(usage);
  const inDetail = obj(u.prompt_tokens_details ?? u.input_tokens_details);
  const outDetail = obj(u.completion_tokens_details ?? u.output_tokens_details);
  const out: Usage = {};
  put(out, 'input_tokens', num(u.prompt_tokens ?? u.input_tokens));
  put(out, 'output_tokens', num(u.completion_tokens ?? u.output_tokens));
  // DeepSeek's API reports its cache hits beside the details, not in them.
  put(out, 'cache_read_tokens', num(inDetail.cached_tokens ?? u.prompt_cache_hit_tokens), true);
  put(out, 'reasoning_tokens', num(outDetail.reasoning_tokens), true);
  return out;
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
  const out: Usage = {};
  put(out, 'input_tokens', prompt === undefined ? undefined : prompt + toolPrompt);
  put(out, 'output_tokens', output === undefined ? undefined : output - imageOut);
  put(out, 'cache_read_tokens', num(u.cachedContentTokenCount), true);
  put(out, 'reasoning_tokens', thoughts, true);
  put(out, 'output_image_tokens', imageOut, true);
  return out;
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
