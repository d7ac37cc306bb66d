import { fromGeminiUsage, type Usage } from '@costlens/pricing';
import type { CallOutcome } from '../types.js';
import { appendCapped, asNumber, asString, isObject } from '../util.js';

/**
 * What an AI SDK model call says of itself, read from the provider-neutral
 * shapes of the AI SDK's model specification (LanguageModelV2/V3/V4,
 * EmbeddingModel, ImageModel): the providers have already turned their own
 * usage into it, with input counting cache reads and writes (Anthropic's and
 * Bedrock's included) and output counting reasoning, as the conventions do.
 * Pure functions over the objects the provider packages return.
 */

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (isObject(v) ? v : {});
/** A count worth recording: present and above zero (a reported 0 cache read says nothing). */
const positive = (v: unknown): number | undefined => {
  const n = asNumber(v);
  return n !== undefined && n > 0 ? n : undefined;
};

/**
 * A language model's `usage`: V3/V4 report `{ inputTokens: { total, noCache,
 * cacheRead, cacheWrite }, outputTokens: { total, text, reasoning }, raw }`;
 * V2 (AI SDK 5) flat numbers (`inputTokens`, `cachedInputTokens`, `reasoningTokens`).
 * Anthropic's raw usage also splits cache writes by lifetime (5 minutes, 1 hour).
 */
export function languageUsage(usage: unknown): Usage {
  const u = obj(usage);
  // Gemini's own usage says more than the totals: image output tokens apart.
  const raw = obj(u.raw);
  if (typeof raw.promptTokenCount === 'number') return fromGeminiUsage(raw);
  const out: Usage = {};
  const set = (key: keyof Usage, v: number | undefined) => {
    if (v !== undefined) (out as Record<string, number>)[key] = v;
  };
  if (isObject(u.inputTokens) || isObject(u.outputTokens)) {
    const input = obj(u.inputTokens);
    const output = obj(u.outputTokens);
    set('input_tokens', asNumber(input.total));
    set('output_tokens', asNumber(output.total));
    set('cache_read_tokens', positive(input.cacheRead));
    set('cache_write_tokens', positive(input.cacheWrite));
    set('reasoning_tokens', positive(output.reasoning));
  } else {
    set('input_tokens', asNumber(u.inputTokens));
    set('output_tokens', asNumber(u.outputTokens));
    set('cache_read_tokens', positive(u.cachedInputTokens));
    set('reasoning_tokens', positive(u.reasoningTokens));
  }
  const write1h = positive(obj(obj(u.raw).cache_creation).ephemeral_1h_input_tokens);
  if (write1h !== undefined && out.cache_write_tokens !== undefined) {
    const write5m = out.cache_write_tokens - write1h;
    if (write5m > 0) out.cache_write_tokens = write5m;
    else delete out.cache_write_tokens;
    out.cache_write_1h_tokens = write1h;
  }
  return out;
}

/** V3/V4 `{ unified, raw }`, V2 a string: the provider's own word when it gave one. */
export function finishReason(reason: unknown): string | undefined {
  if (typeof reason === 'string') return asString(reason);
  const r = obj(reason);
  return asString(r.raw) ?? asString(r.unified);
}

/** The text parts of a generate result's `content` (V3/V4) or its `text` (V2). */
function contentText(result: Obj): string | undefined {
  if (Array.isArray(result.content)) {
    const text = result.content
      .map((part) => (isObject(part) && part.type === 'text' ? String(part.text ?? '') : ''))
      .join('');
    return text === '' ? undefined : text;
  }
  return asString(result.text);
}

/** What `doGenerate` of a language model returned. */
export function generateOutcome(result: unknown, captureCompletion: boolean): CallOutcome {
  const r = obj(result);
  const response = obj(r.response);
  const outcome: CallOutcome = { usage: languageUsage(r.usage) };
  const model = asString(response.modelId);
  const id = asString(response.id);
  const reason = finishReason(r.finishReason);
  if (model) outcome.responseModel = model;
  if (id) outcome.responseId = id;
  if (reason) outcome.finishReasons = [reason];
  if (captureCompletion) outcome.completion = contentText(r);
  return outcome;
}

/** What the parts of a `doStream` stream have said so far. */
export interface StreamState {
  outcome: CallOutcome;
  /** An `error` part: the provider reported a failure inside the stream. */
  error: unknown;
  text: string;
  textLimit: number;
}

export function newStreamState(textLimit: number): StreamState {
  return { outcome: {}, error: undefined, text: '', textLimit };
}

/** Parts that carry no model output: they do not count as the first chunk. */
export function isPreamble(part: unknown): boolean {
  const type = obj(part).type;
  return type === 'stream-start' || type === 'raw';
}

/** Folds one stream part into the state; runs on every part, so only the few that matter are read. */
export function accumulatePart(state: StreamState, part: unknown): void {
  const p = obj(part);
  switch (p.type) {
    case 'text-delta': {
      // V3/V4 `delta`, V2 `delta` too (V1 had `textDelta`).
      if (state.textLimit > 0) {
        state.text = appendCapped(
          state.text,
          String(p.delta ?? p.textDelta ?? ''),
          state.textLimit,
        );
      }
      return;
    }
    case 'response-metadata': {
      const model = asString(p.modelId);
      const id = asString(p.id);
      if (model) state.outcome.responseModel = model;
      if (id) state.outcome.responseId = id;
      return;
    }
    case 'finish': {
      state.outcome.usage = languageUsage(p.usage);
      const reason = finishReason(p.finishReason);
      if (reason) state.outcome.finishReasons = [reason];
      return;
    }
    case 'error':
      state.error = p.error ?? new Error('the model stream reported an error');
      return;
  }
}

export function streamOutcome(state: StreamState): CallOutcome {
  if (state.textLimit > 0 && state.text !== '') state.outcome.completion = state.text;
  return state.outcome;
}

/** What `doEmbed` returned: `usage.tokens` is every input token of the batch. */
export function embedOutcome(result: unknown): CallOutcome {
  const tokens = asNumber(obj(obj(result).usage).tokens);
  return { usage: tokens === undefined ? {} : { input_tokens: tokens } };
}

/**
 * What an image request asks for: the size (`1024x1536`; nothing for `auto`) and
 * quality (OpenAI); a Gemini image model's resolution, `imageConfig.imageSize`
 * (1K unless set), which its price depends on (Imagen's does not).
 */
export function imageRequestUsage(
  options: unknown,
  providerKey: string | undefined,
  modelId: string | undefined,
): Usage {
  const o = obj(options);
  const usage: Usage = {};
  const size = asString(o.size);
  if (size && size !== 'auto') usage.image_size = size;
  const own = obj(obj(o.providerOptions)[providerKey ?? '']);
  const quality = asString(own.quality);
  if (quality && quality !== 'auto') usage.image_quality = quality;
  if (providerKey === 'google' && modelId?.startsWith('gemini-')) {
    usage.image_resolution = (asString(obj(own.imageConfig).imageSize) ?? '1K').toUpperCase();
  }
  return usage;
}

/**
 * What an image model's `doGenerate` returned: the images, and the text tokens
 * of the prompt when the model reports them (gpt-image-1). Its output tokens are
 * the images themselves, billed per image: they are kept apart, never billed twice.
 * `modelUsage`: the usage of the language model call the image model made itself.
 */
export function imageOutcome(
  result: unknown,
  providerKey: string | undefined,
  modelUsage?: Usage,
): CallOutcome {
  const r = obj(result);
  // A model that makes images through a language model (Gemini) gave that call's
  // usage, which tells text, thinking and image tokens apart: it stands for the totals.
  const usage: Usage = { ...modelUsage };
  if (Array.isArray(r.images)) usage.images = r.images.length;
  const u = obj(r.usage);
  const input = asNumber(u.inputTokens);
  const output = asNumber(u.outputTokens);
  if (!modelUsage && input !== undefined) usage.input_tokens = input;
  if (!modelUsage && output !== undefined) usage.output_image_tokens = output;
  // OpenAI says per image what it made (the size and quality `auto` became).
  const images = obj(obj(r.providerMetadata)[providerKey ?? '']).images;
  const first = Array.isArray(images) ? obj(images[0]) : {};
  const size = asString(first.size);
  const quality = asString(first.quality);
  if (size && size !== 'auto') usage.image_size = size;
  if (quality && quality !== 'auto') usage.image_quality = quality;
  const outcome: CallOutcome = { usage };
  const model = asString(obj(r.response).modelId);
  if (model) outcome.responseModel = model;
  return outcome;
}
