import { fromAnthropicUsage, type Usage } from '@costlens/pricing';
import type { CallType } from '../semconv.js';
import type { CallOutcome } from '../types.js';
import { appendCapped, asNumber, asString, isObject } from '../util.js';

/**
 * What AWS Bedrock Runtime says about a call, read from the SDK's commands and
 * outputs (Converse, ConverseStream) and from the facts every operation shares:
 * the model id, the operation, the attempts, the token counts in headers and in
 * a stream's invocation metrics. InvokeModel's bodies are read in
 * bedrock-invoke-extract.ts. Pure: no SDK, no span.
 */

type Obj = Record<string, unknown>;

export const BEDROCK_OPERATIONS = [
  'Converse',
  'ConverseStream',
  'InvokeModel',
  'InvokeModelWithResponseStream',
] as const;

export type BedrockOperation = (typeof BEDROCK_OPERATIONS)[number];

const isOperation = (v: unknown): v is BedrockOperation =>
  typeof v === 'string' && (BEDROCK_OPERATIONS as readonly string[]).includes(v);

/**
 * The operation a command runs: its class name (`ConverseStreamCommand`), or,
 * where a bundler renamed the class, the operation schema the SDK keeps on it
 * (`[9, namespace, 'ConverseStream', ...]`). Other commands (guardrails, async
 * invokes, token counts) are not model calls: undefined.
 */
export function bedrockOperation(command: unknown): BedrockOperation | undefined {
  if (!isObject(command)) return undefined;
  const name = (command.constructor as { name?: unknown } | undefined)?.name;
  const fromName = typeof name === 'string' ? name.replace(/Command$/, '') : undefined;
  if (isOperation(fromName)) return fromName;
  const schema = command.schema;
  const fromSchema = Array.isArray(schema) ? schema[2] : undefined;
  return isOperation(fromSchema) ? fromSchema : undefined;
}

/**
 * ARNs that name the model they run (`.../foundation-model/anthropic.claude-...`,
 * `.../inference-profile/us.anthropic.claude-...`): the id after the slash, which
 * is what Bedrock prices and what keeps the account number out of metric labels.
 * Other ARNs (application inference profiles, provisioned or imported models)
 * name no model and are kept as written.
 */
const MODEL_ARN =
  /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:(?:foundation-model|inference-profile|system-defined-inference-profile)\/(.+)$/;

export function bedrockModelName(modelId: unknown): string | undefined {
  const id = asString(modelId);
  if (!id) return undefined;
  return MODEL_ARN.exec(id)?.[1] ?? id;
}

/** Embedding and image models answer InvokeModel too; everything else here is text. */
export function bedrockCallKind(
  operation: BedrockOperation,
  model: string | undefined,
): { operation: string; callType: CallType } {
  if (operation === 'InvokeModel' && model && /(?:^|[.-])embed/.test(model)) {
    return { operation: 'embeddings', callType: 'embedding' };
  }
  return { operation: 'chat', callType: 'text' };
}

/** The SDK's attempt count (`$metadata.attempts`, on outputs and on errors): 1 without retries. */
export function bedrockAttempts(outputOrError: unknown): number {
  const meta = isObject(outputOrError) ? outputOrError.$metadata : undefined;
  const attempts = isObject(meta) ? asNumber(meta.attempts) : undefined;
  return attempts !== undefined && attempts >= 1 ? attempts : 1;
}

function nonZero(n: number | undefined): number | undefined {
  return n ? n : undefined;
}

/**
 * Bedrock's token counts in the conventions' terms. Bedrock counts input as
 * Anthropic does, WITHOUT the tokens read from or written to the cache (the
 * total is input + output + both cache counts), so they are added back here;
 * `cacheDetails` splits the writes by lifetime (5 minutes, 1 hour).
 */
export function bedrockUsage(counts: {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheDetails?: unknown;
}): Usage {
  let write1h = 0;
  let detailed = false;
  for (const d of Array.isArray(counts.cacheDetails) ? counts.cacheDetails : []) {
    if (!isObject(d)) continue;
    detailed = true;
    if (d.ttl === '1h') write1h += asNumber(d.inputTokens) ?? 0;
  }
  const write = counts.cacheWrite ?? 0;
  const u = fromAnthropicUsage({
    input_tokens: counts.input,
    output_tokens: counts.output,
    cache_read_input_tokens: counts.cacheRead,
    cache_creation_input_tokens: write,
    cache_creation: detailed
      ? {
          ephemeral_5m_input_tokens: Math.max(write - write1h, 0),
          ephemeral_1h_input_tokens: write1h,
        }
      : undefined,
  });
  // No count at all is no usage (not zero input): the call is then unpriced, not free.
  if (counts.input === undefined && !counts.cacheRead && !write) delete u.input_tokens;
  return u;
}

/** Converse's `usage` (also ConverseStream's `metadata.usage`). */
export function converseUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  return bedrockUsage({
    input: asNumber(usage.inputTokens),
    output: asNumber(usage.outputTokens),
    cacheRead: asNumber(usage.cacheReadInputTokens),
    cacheWrite: asNumber(usage.cacheWriteInputTokens),
    cacheDetails: usage.cacheDetails,
  });
}

/**
 * The counts InvokeModel's answer carries in headers, for every model family
 * (Mistral's body has none): `x-amzn-bedrock-input-token-count` and friends.
 */
export function bedrockHeaderUsage(headers: unknown): Usage | undefined {
  if (!isObject(headers)) return undefined;
  const h: Obj = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  const count = (name: string) => {
    const v = h[`x-amzn-bedrock-${name}`];
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
    return n;
  };
  const input = count('input-token-count');
  const output = count('output-token-count');
  if (input === undefined && output === undefined) return undefined;
  return bedrockUsage({
    input,
    output,
    cacheRead: count('cache-read-input-token-count'),
    cacheWrite: count('cache-write-input-token-count'),
  });
}

/** `amazon-bedrock-invocationMetrics`, which the last chunk of an InvokeModel stream carries. */
export function invocationMetricsUsage(metrics: unknown): Usage | undefined {
  if (!isObject(metrics)) return undefined;
  const input = asNumber(metrics.inputTokenCount);
  const output = asNumber(metrics.outputTokenCount);
  if (input === undefined && output === undefined) return undefined;
  return bedrockUsage({
    input,
    output,
    cacheRead: asNumber(metrics.cacheReadInputTokenCount),
    cacheWrite: asNumber(metrics.cacheWriteInputTokenCount),
  });
}

/** The text blocks of a Converse message; the blocks themselves when none is text (tool use). */
export function converseText(content: unknown): unknown {
  if (!Array.isArray(content) || content.length === 0) return undefined;
  const texts: string[] = [];
  for (const block of content) {
    if (isObject(block) && typeof block.text === 'string') texts.push(block.text);
  }
  return texts.length ? texts.join('') : content;
}

/** The prompt of a Converse request (system first), for opt-in capture. */
export function conversePrompt(input: unknown): unknown {
  const p = isObject(input) ? input : {};
  const messages = Array.isArray(p.messages) ? p.messages : [];
  const system = converseText(p.system);
  return system === undefined ? messages : [{ role: 'system', content: system }, ...messages];
}

/** What a Converse answer says: stop reason, usage, completion. */
export function extractConverse(output: unknown): CallOutcome {
  if (!isObject(output)) return {};
  const stop = asString(output.stopReason);
  const message = isObject(output.output) ? output.output.message : undefined;
  return {
    finishReasons: stop ? [stop] : undefined,
    usage: converseUsage(output.usage),
    completion: isObject(message) ? converseText(message.content) : undefined,
  };
}

/** What the events of a ConverseStream have said so far. */
export interface ConverseStreamState {
  readonly textLimit: number;
  text: string;
  stopReason?: string;
  usage?: Usage;
}

export function newConverseStreamState(textLimit = 0): ConverseStreamState {
  return { textLimit, text: '' };
}

/** One ConverseStream event (`{ contentBlockDelta }`, `{ messageStop }`, `{ metadata }`, ...). */
export function accumulateConverseEvent(state: ConverseStreamState, event: unknown): void {
  if (!isObject(event)) return;
  if (isObject(event.metadata)) {
    state.usage = converseUsage(event.metadata.usage) ?? state.usage;
  } else if (isObject(event.messageStop)) {
    state.stopReason = asString(event.messageStop.stopReason) ?? state.stopReason;
  } else if (isObject(event.contentBlockDelta) && state.text.length < state.textLimit) {
    const delta = event.contentBlockDelta.delta;
    if (isObject(delta) && typeof delta.text === 'string') {
      state.text = appendCapped(state.text, delta.text, state.textLimit);
    }
  }
}

export function converseStreamOutcome(state: ConverseStreamState): CallOutcome {
  return {
    finishReasons: state.stopReason ? [state.stopReason] : undefined,
    usage: state.usage,
    completion: state.text || undefined,
  };
}

/** Counts that are present and above zero, for usages whose zeros mean "none reported". */
export function hasCounts(usage: Usage | undefined): usage is Usage {
  return (
    usage !== undefined &&
    (nonZero(usage.input_tokens) ?? nonZero(usage.output_tokens)) !== undefined
  );
}
