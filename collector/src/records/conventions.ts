import {
  CALL_TYPE_OF_OPERATION,
  inputIncludesCache,
  normalizeProvider,
  type Usage,
} from '@costlens/pricing';
import { type Attrs, count, str } from './attrs.js';
import type { CallType } from './call-record.js';

/**
 * How each instrumentation's spans say what a call was: ours and the current
 * GenAI conventions, the older gen_ai.system names, OpenInference llm.*,
 * OpenLIT, and the Vercel AI SDK's ai.*.
 */

/** Vercel AI SDK spans that are one provider call (the outer ai.generateText sums its steps). */
const VERCEL_CALLS: Record<string, string> = {
  'ai.generateText.doGenerate': 'chat',
  'ai.streamText.doStream': 'chat',
  'ai.generateObject.doGenerate': 'chat',
  'ai.streamObject.doStream': 'chat',
  'ai.embed.doEmbed': 'embeddings',
  'ai.embedMany.doEmbed': 'embeddings',
};

/**
 * Operations that are one call to a model, billed as one: the conventions' names,
 * ours, and OpenLIT's `image` and `audio`. Every other operation an instrumentation
 * names is work around model calls, never billed itself: agents (`invoke_agent`,
 * `create_agent`), steps (the AI SDK's `agent_step`), tools (`execute_tool`),
 * retrieval, reranking, workflows.
 */
const MODEL_OPERATIONS = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
  'image_generation',
  'video_generation',
  'audio_generation',
  'image',
  'audio',
]);

/**
 * Whether a span is one model call, in any convention we read: an operation
 * named a model call, an AI SDK provider-call span (`ai.*.doGenerate`,
 * `doStream`, `doEmbed`), an older-conventions span that names a provider but no
 * operation, or an OpenInference LLM or EMBEDDING span with a model.
 */
export function isGenAiSpan(a: Attrs): boolean {
  const vercel = str(a, 'ai.operationId');
  if (vercel !== null) return vercel in VERCEL_CALLS;
  const op = str(a, 'gen_ai.operation.name');
  if (op !== null) return MODEL_OPERATIONS.has(op);
  if (str(a, 'gen_ai.system', 'gen_ai.provider.name') !== null) return true;
  const kind = str(a, 'openinference.span.kind');
  return (
    (kind === 'LLM' || kind === 'EMBEDDING') &&
    str(a, 'llm.model_name', 'embedding.model_name') !== null
  );
}

export function operationOf(a: Attrs): string | null {
  const op = str(a, 'gen_ai.operation.name');
  if (op !== null) return op;
  const vercel = str(a, 'ai.operationId');
  if (vercel !== null) return VERCEL_CALLS[vercel] ?? null;
  const kind = str(a, 'openinference.span.kind');
  return kind === 'EMBEDDING' ? 'embeddings' : kind === 'LLM' ? 'chat' : null;
}

export function callTypeOf(a: Attrs, operation: string | null): CallType {
  const given = str(a, 'costlens.call_type');
  if (given && ['text', 'embedding', 'image', 'video', 'audio', 'other'].includes(given)) {
    return given as CallType;
  }
  return (operation && CALL_TYPE_OF_OPERATION[operation]) || 'other';
}

/**
 * `openai.chat`, `google.generative-ai`, `GOOGLE`... -> the conventions' provider
 * names. The current conventions' gen_ai.provider.name first; then the AI SDK's
 * `ai.model.provider` (`openai.responses`), read before gen_ai.system because the
 * AI SDK's ai.* spans copy that same text there, where the API's name is noise.
 */
export function providerOf(a: Attrs): string | null {
  const named = str(a, 'gen_ai.provider.name');
  if (named !== null) return normalizeProvider(named);
  const vercel = str(a, 'ai.model.provider');
  if (vercel !== null) {
    const [vendor = '', api = ''] = vercel.toLowerCase().split('.');
    if (vendor === 'google') return api.startsWith('vertex') ? 'gcp.vertex_ai' : 'gcp.gemini';
    return normalizeProvider(vendor);
  }
  const older = str(a, 'gen_ai.system', 'llm.provider', 'llm.system');
  return older === null ? null : normalizeProvider(older);
}

/**
 * Token counts in the conventions' terms: input includes cache tokens. Ours and
 * spans with the current semconv cache names follow that. Others reporting for
 * Anthropic may carry Anthropic's raw count, which excludes cache tokens: when
 * input is smaller than the cache tokens it must be that, and they are added back;
 * when it is not, it is taken as including them, so cache is never billed twice.
 */
export function usageOf(
  a: Attrs,
  provider: string | null,
  ours: boolean,
  maxTokens: number,
): Usage {
  let input =
    count(
      a,
      maxTokens,
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.prompt_tokens',
      'llm.token_count.prompt',
      'ai.usage.inputTokens',
      'ai.usage.promptTokens',
    ) ??
    // The AI SDK's embedding spans count their input as ai.usage.tokens.
    count(a, maxTokens, 'ai.usage.tokens');
  const cacheRead = count(
    a,
    maxTokens,
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
  );
  let cacheWrite = count(
    a,
    maxTokens,
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_write.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  );
  const cacheWrite1h = count(a, maxTokens, 'costlens.usage.cache_write_1h.input_tokens');
  // The conventions count every cache write in cache_creation; the 1-hour share is
  // carried apart, so the rest are the 5-minute writes.
  if (cacheWrite !== null && cacheWrite1h !== null && cacheWrite >= cacheWrite1h) {
    cacheWrite -= cacheWrite1h;
  }
  const output = count(
    a,
    maxTokens,
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.token_count.completion',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
  );
  let reasoning = count(
    a,
    maxTokens,
    'gen_ai.usage.reasoning.output_tokens',
    'llm.token_count.completion_details.reasoning',
    'ai.usage.outputTokenDetails.reasoningTokens',
    'ai.usage.reasoningTokens',
  );
  const cached = (cacheRead ?? 0) + (cacheWrite ?? 0) + (cacheWrite1h ?? 0);
  // Anthropic's own count leaves cache tokens out; our instrumentation has already added them.
  if (
    !ours &&
    provider !== null &&
    !inputIncludesCache(provider) &&
    input !== null &&
    input < cached
  )
    input += cached;
  if (cached > (input ?? 0)) input = cached; // missing or inconsistent input: never bill negative input
  if (reasoning !== null && output !== null && reasoning > output) reasoning = output;
  const u: Usage = {};
  if (input !== null) u.input_tokens = input;
  if (output !== null) u.output_tokens = output;
  if (cacheRead) u.cache_read_tokens = cacheRead;
  if (cacheWrite) u.cache_write_tokens = cacheWrite;
  if (cacheWrite1h) u.cache_write_1h_tokens = cacheWrite1h;
  if (reasoning) u.reasoning_tokens = reasoning;
  return u;
}
