import { type Attrs, isSecretKey, truncate } from './attrs.js';
import { type ContentPolicy, isContentKey, PROMPT_KEYS } from './content.js';

/**
 * What a record keeps of a span's attributes besides its columns: the rest as
 * JSON, without secrets, without what the columns already hold, and without
 * message content unless the content policy keeps it.
 */

/** Attributes every record column already holds; the rest are kept as JSON. */
const MAPPED = new Set([
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.prompt_tokens',
  'gen_ai.usage.completion_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.cache_write.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.response.time_to_first_chunk',
  'gen_ai.client.operation.time_to_first_chunk',
  'llm.model_name',
  'llm.provider',
  'llm.system',
  'embedding.model_name',
  'ai.model.id',
  'ai.model.provider',
  'ai.response.model',
  'ai.response.msToFirstChunk',
  'error.type',
  'costlens.call_type',
  'costlens.project',
  'costlens.user',
  'costlens.account',
  'costlens.cost.usd',
  'costlens.cost.unpriced',
  'costlens.cost.breakdown',
  'costlens.pricing.source',
  'costlens.usage.cache_write_1h.input_tokens',
  'costlens.image.count',
  'costlens.image.size',
  'costlens.image.resolution',
  'costlens.image.quality',
  'costlens.video.seconds',
  'costlens.video.resolution',
  'costlens.video.audio',
  'costlens.aspect_ratio',
  'costlens.retry.count',
  'costlens.prompt',
  'costlens.output.path',
]);

/** JSON cannot hold bigint or bytes: strings for the one, a marker for the other. */
function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return '[bytes]';
  if (Array.isArray(v)) return v.map(jsonable);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonable(x);
    return out;
  }
  return v;
}

/**
 * The attributes no column holds, as JSON: secrets never, message content only
 * when the content policy keeps it (capped), other text cut at `maxChars`.
 */
export function restOf(
  a: Attrs,
  maxChars: number,
  content: ContentPolicy,
  promptKey: string | null,
): string | null {
  let rest: Record<string, unknown> | null = null;
  for (const k in a) {
    if (MAPPED.has(k) || isSecretKey(k) || k === promptKey || isUsageKey(k)) continue;
    const twin = TWINS[k];
    if (twin !== undefined && a[twin] !== undefined) continue;
    const v = a[k];
    let kept: unknown;
    if (isContentKey(k)) {
      if (!content.keep) continue;
      kept = truncate(textOf(v), content.max_chars);
    } else {
      kept =
        typeof v === 'string'
          ? truncate(v, maxChars)
          : typeof v === 'object' || typeof v === 'bigint'
            ? jsonable(v)
            : v;
    }
    rest ??= {};
    rest[k] = kept;
  }
  return rest === null ? null : JSON.stringify(rest);
}

/** The AI SDK's ai.* spans say some things twice: the copy is not kept when the other is there. */
const TWINS: Record<string, string> = {
  'operation.name': 'ai.operationId',
  'ai.response.id': 'gen_ai.response.id',
  'ai.response.finishReason': 'gen_ai.response.finish_reasons',
};

/** The AI SDK's usage details: the record's token columns hold what they say. */
const isUsageKey = (k: string) => k.startsWith('ai.usage.') || k.startsWith('llm.token_count.');

/** Content as text, whatever form it arrived in (arrays of messages, vectors, ...). */
function textOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(jsonable(v));
}

/** The prompt and the key it came from, when content is kept. */
export function promptOf(
  a: Attrs,
  content: ContentPolicy,
): { text: string | null; key: string | null } {
  if (!content.keep) return { text: null, key: null };
  for (const k of PROMPT_KEYS) {
    const v = a[k];
    if (v === undefined || v === null || v === '') continue;
    return { text: truncate(textOf(v), content.max_chars), key: k };
  }
  return { text: null, key: null };
}
