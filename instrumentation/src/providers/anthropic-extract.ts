import { fromAnthropicUsage, type Usage } from '@costlens/pricing';
import type { CallOutcome } from '../types.js';
import { appendCapped, asNumber, asString, isObject } from '../util.js';

/**
 * What Anthropic's Messages API says about a call, read from its wire format
 * (a Message, or the events of a streamed one). Pure: no SDK, no span.
 */

type Obj = Record<string, unknown>;

/** The request facts: model, whether it streams, and the prompt (system first) for opt-in capture. */
export function anthropicRequestFacts(params: unknown): {
  model: string | undefined;
  stream: boolean;
  prompt: unknown;
} {
  const p = isObject(params) ? params : {};
  const messages = Array.isArray(p.messages) ? p.messages : [];
  const prompt =
    p.system === undefined || p.system === null
      ? messages
      : [{ role: 'system', content: p.system }, ...messages];
  return { model: asString(p.model), stream: p.stream === true, prompt };
}

/**
 * Anthropic usage in the conventions' counts. `fromAnthropicUsage` does the
 * normalisation (input WITH cache tokens, 5-minute / 1-hour writes); thinking
 * tokens, which newer responses report apart, are added as reasoning tokens.
 */
export function anthropicUsage(usage: unknown): Usage {
  const u = fromAnthropicUsage(usage);
  const details =
    isObject(usage) && isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const thinking = asNumber(details.thinking_tokens);
  if (thinking) u.reasoning_tokens = thinking;
  return u;
}

/** The text of a Message's content; the blocks themselves when none is text (tool calls). */
function completionOf(content: unknown): unknown {
  if (!Array.isArray(content) || content.length === 0) return undefined;
  const texts: string[] = [];
  for (const block of content) {
    if (isObject(block) && block.type === 'text' && typeof block.text === 'string') {
      texts.push(block.text);
    }
  }
  return texts.length ? texts.join('') : content;
}

/** What a (non-streamed) Message says: model, id, stop reason, usage, completion. */
export function extractAnthropicMessage(message: unknown): CallOutcome {
  if (!isObject(message)) return {};
  const stop = asString(message.stop_reason);
  const outcome: CallOutcome = {
    responseModel: asString(message.model),
    responseId: asString(message.id),
    finishReasons: stop ? [stop] : undefined,
    completion: completionOf(message.content),
  };
  if (isObject(message.usage)) outcome.usage = anthropicUsage(message.usage);
  return outcome;
}

/** What the events of a streamed Message have said so far. */
export interface AnthropicStreamState {
  /** Characters of text kept: 0 unless content capture is on (see streamTextLimit). */
  readonly textLimit: number;
  responseModel?: string;
  responseId?: string;
  stopReason?: string;
  /** Anthropic's raw usage: `message_start`'s, with `message_delta`'s cumulative counts laid over it. */
  usage?: Obj;
  /** The text deltas, up to `textLimit`. */
  text: string;
}

export function newAnthropicStreamState(textLimit = 0): AnthropicStreamState {
  return { textLimit, text: '' };
}

/** Usage fields a `message_delta` may carry (cumulative; null when it says nothing new). */
const DELTA_COUNTS = [
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
] as const;

/**
 * Reads one stream event into `state`. Returns whether the call's facts changed
 * (so the caller updates the span only then). `message_start` gives input and
 * cache counts; its `output_tokens` is a placeholder (1), so output comes only
 * from `message_delta`, whose counts are cumulative.
 */
export function accumulateAnthropicEvent(state: AnthropicStreamState, event: unknown): boolean {
  if (!isObject(event)) return false;
  switch (event.type) {
    case 'message_start': {
      const m = isObject(event.message) ? event.message : {};
      state.responseModel = asString(m.model) ?? state.responseModel;
      state.responseId = asString(m.id) ?? state.responseId;
      if (isObject(m.usage)) {
        const { output_tokens: _placeholder, ...atStart } = m.usage;
        state.usage = atStart;
      }
      return true;
    }
    case 'message_delta': {
      const d = isObject(event.delta) ? event.delta : {};
      const stop = asString(d.stop_reason);
      if (stop) state.stopReason = stop;
      if (isObject(event.usage)) {
        const u: Obj = { ...state.usage, ...pickDeltaCounts(event.usage, DELTA_COUNTS) };
        if (isObject(event.usage.cache_creation)) u.cache_creation = event.usage.cache_creation;
        if (isObject(event.usage.output_tokens_details)) {
          u.output_tokens_details = event.usage.output_tokens_details;
        }
        state.usage = u;
      }
      return true;
    }
    case 'content_block_delta': {
      if (state.text.length >= state.textLimit) return false;
      const d = isObject(event.delta) ? event.delta : {};
      if (d.type !== 'text_delta' || typeof d.text !== 'string') return false;
      state.text = appendCapped(state.text, d.text, state.textLimit);
      return true;
    }
    default:
      return false;
  }
}

function pickDeltaCounts(usage: Obj | undefined, keys: readonly string[]): Obj {
  const out: Obj = {};
  if (!usage) return out;
  for (const k of keys) {
    const v = asNumber(usage[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The call's facts from what the stream has said so far (a stream broken off keeps these). */
export function anthropicStreamOutcome(state: AnthropicStreamState): CallOutcome {
  const outcome: CallOutcome = {
    responseModel: state.responseModel,
    responseId: state.responseId,
    finishReasons: state.stopReason ? [state.stopReason] : undefined,
    completion: state.text || undefined,
  };
  if (state.usage) outcome.usage = anthropicUsage(state.usage);
  return outcome;
}
