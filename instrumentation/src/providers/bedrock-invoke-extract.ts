import type { Usage } from '@costlens/pricing';
import type { CallOutcome } from '../types.js';
import { appendCapped, asNumber, asString, isObject } from '../util.js';
import {
  type AnthropicStreamState,
  accumulateAnthropicEvent,
  anthropicUsage,
  extractAnthropicMessage,
  newAnthropicStreamState,
} from './anthropic-extract.js';
import {
  bedrockUsage,
  converseText,
  hasCounts,
  invocationMetricsUsage,
} from './bedrock-extract.js';

/**
 * InvokeModel and InvokeModelWithResponseStream carry each model family's own
 * JSON: Anthropic's Messages API, Amazon Nova's Converse-like body, Meta
 * Llama's `generation` with its token counts, Mistral's `outputs` (or
 * `choices`), Titan's embeddings. The family is told by the body's shape, not by
 * the model id, which an application inference profile ARN does not reveal.
 * Pure: no SDK, no span.
 */

type Obj = Record<string, unknown>;

const decoder = new TextDecoder();

/** A body (request or response) as JSON: bytes, a string, or nothing readable. */
export function bodyJson(body: unknown): Obj | undefined {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = decoder.decode(body);
  if (text === undefined || text === '') return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    return isObject(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

/** The prompt in an InvokeModel request body, whatever the family, for opt-in capture. */
export function invokePrompt(body: unknown): unknown {
  const b = bodyJson(body);
  if (!b) return undefined;
  if (Array.isArray(b.messages)) {
    const system = typeof b.system === 'string' ? b.system : converseText(b.system);
    return system === undefined ? b.messages : [{ role: 'system', content: system }, ...b.messages];
  }
  return b.prompt ?? b.inputText ?? b.texts;
}

/** Nova's usage: Converse's names, with InvokeModel's `...TokenCount` spellings of the cache counts. */
function novaUsage(usage: Obj): Usage {
  return bedrockUsage({
    input: asNumber(usage.inputTokens),
    output: asNumber(usage.outputTokens),
    cacheRead: asNumber(usage.cacheReadInputTokenCount ?? usage.cacheReadInputTokens),
    cacheWrite: asNumber(usage.cacheWriteInputTokenCount ?? usage.cacheWriteInputTokens),
  });
}

function firstChoice(b: Obj): Obj | undefined {
  const list = Array.isArray(b.outputs) ? b.outputs : Array.isArray(b.choices) ? b.choices : [];
  return isObject(list[0]) ? list[0] : undefined;
}

/** A Mistral output's text: `outputs[].text`, or a chat `choices[].message` / `.delta` content. */
function mistralText(choice: Obj): string | undefined {
  if (typeof choice.text === 'string') return choice.text;
  const m = isObject(choice.message) ? choice.message : isObject(choice.delta) ? choice.delta : {};
  return typeof m.content === 'string' ? m.content : undefined;
}

/** What an InvokeModel answer's body says, by family. The usage may be absent (Mistral): see headers. */
export function extractInvokeBody(body: unknown): CallOutcome {
  const b = bodyJson(body);
  if (!b) return {};
  if (b.type === 'message' || (isObject(b.usage) && 'input_tokens' in b.usage)) {
    // Anthropic. Its `model` is Anthropic's own name (claude-...), not the Bedrock
    // id that was called and is billed, so it is not taken as the answering model.
    const { responseModel: _anthropicName, ...outcome } = extractAnthropicMessage(b);
    return outcome;
  }
  if (isObject(b.output) && isObject(b.output.message)) {
    const stop = asString(b.stopReason);
    return {
      finishReasons: stop ? [stop] : undefined,
      usage: isObject(b.usage) ? novaUsage(b.usage) : undefined,
      completion: converseText(b.output.message.content),
    };
  }
  if (typeof b.generation === 'string') {
    const stop = asString(b.stop_reason);
    return {
      finishReasons: stop ? [stop] : undefined,
      usage: bedrockUsage({
        input: asNumber(b.prompt_token_count),
        output: asNumber(b.generation_token_count),
      }),
      completion: b.generation,
    };
  }
  const choice = firstChoice(b);
  if (choice) {
    const stop = asString(choice.stop_reason ?? choice.finish_reason);
    const u = isObject(b.usage) ? b.usage : undefined;
    return {
      responseId: asString(b.id),
      finishReasons: stop ? [stop] : undefined,
      usage: u
        ? bedrockUsage({ input: asNumber(u.prompt_tokens), output: asNumber(u.completion_tokens) })
        : undefined,
      completion: mistralText(choice),
    };
  }
  if (Array.isArray(b.embedding) || Array.isArray(b.embeddings)) {
    const input = asNumber(b.inputTextTokenCount);
    return { usage: input === undefined ? undefined : { input_tokens: input } };
  }
  return {};
}

/** What the chunks of an InvokeModelWithResponseStream have said so far. */
export interface InvokeStreamState {
  readonly textLimit: number;
  text: string;
  /** Set on the first Anthropic event: those are read as the Anthropic SDK's are. */
  anthropic?: AnthropicStreamState;
  stopReason?: string;
  /** Counts the family's own chunks report (Nova's metadata, Llama's counts). */
  usage?: Usage;
  /** Meta reports its prompt count on the first chunk only. */
  promptTokens?: number;
  /** `amazon-bedrock-invocationMetrics` of the last chunk: every family has it. */
  metrics?: Usage;
}

export function newInvokeStreamState(textLimit = 0): InvokeStreamState {
  return { textLimit, text: '' };
}

/** A chunk as the SDK hands it: `{ chunk: { bytes } }`, the bytes the model's JSON. */
export function invokeChunkJson(event: unknown): Obj | undefined {
  return isObject(event) && isObject(event.chunk) ? bodyJson(event.chunk.bytes) : undefined;
}

function addText(state: InvokeStreamState, text: unknown): void {
  if (typeof text === 'string' && state.text.length < state.textLimit) {
    state.text = appendCapped(state.text, text, state.textLimit);
  }
}

/** Reads one decoded chunk into `state`. */
export function accumulateInvokeChunk(state: InvokeStreamState, c: Obj): void {
  const metrics = invocationMetricsUsage(c['amazon-bedrock-invocationMetrics']);
  if (metrics) state.metrics = metrics;
  if (typeof c.type === 'string') {
    state.anthropic ??= newAnthropicStreamState(state.textLimit);
    accumulateAnthropicEvent(state.anthropic, c);
    return;
  }
  if (isObject(c.contentBlockDelta)) {
    const d = c.contentBlockDelta.delta;
    if (isObject(d)) addText(state, d.text);
  } else if (isObject(c.messageStop)) {
    state.stopReason = asString(c.messageStop.stopReason) ?? state.stopReason;
  } else if (isObject(c.metadata)) {
    if (isObject(c.metadata.usage)) state.usage = novaUsage(c.metadata.usage);
  } else if (typeof c.generation === 'string') {
    addText(state, c.generation);
    state.promptTokens = asNumber(c.prompt_token_count) ?? state.promptTokens;
    state.usage = bedrockUsage({
      input: state.promptTokens,
      output: asNumber(c.generation_token_count),
    });
    state.stopReason = asString(c.stop_reason) ?? state.stopReason;
  } else {
    const choice = firstChoice(c);
    if (choice) {
      addText(state, mistralText(choice));
      state.stopReason = asString(choice.stop_reason ?? choice.finish_reason) ?? state.stopReason;
    }
  }
}

/**
 * The call's facts from the stream so far. The family's own counts win where
 * it reports them (Anthropic's split of cache writes by lifetime); the
 * invocation metrics stand in where it does not (Mistral) or stopped early.
 */
export function invokeStreamOutcome(state: InvokeStreamState): CallOutcome {
  const a = state.anthropic;
  const own = a?.usage ? anthropicUsage(a.usage) : state.usage;
  const stop = a?.stopReason ?? state.stopReason;
  const text = (a ? a.text : state.text) || undefined;
  return {
    responseId: a?.responseId,
    finishReasons: stop ? [stop] : undefined,
    usage: hasCounts(own) && own.output_tokens !== undefined ? own : (state.metrics ?? own),
    completion: text,
  };
}
