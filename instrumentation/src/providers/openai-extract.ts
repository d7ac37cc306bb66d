import { fromOpenAIUsage, type Usage } from '@costlens/pricing';
import type { CallOutcome } from '../types.js';
import { appendCapped, asNumber, asString, isObject } from '../util.js';

/**
 * What OpenAI's responses say about a call, read without touching the SDK:
 * pure functions over the JSON payloads (Chat Completions, the Responses API,
 * embeddings, images, videos), tested on real payloads.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A chat completion (`chat.completion`). */
export function chatCompletionOutcome(completion: unknown): CallOutcome {
  const c = obj(completion);
  // Loops, not map/filter: this runs on every call.
  let reasons: string[] | undefined;
  let text: unknown;
  for (const raw of list(c.choices)) {
    const ch = obj(raw);
    if (typeof ch.finish_reason === 'string') {
      reasons ??= [];
      reasons.push(ch.finish_reason);
    }
    if (text === undefined) {
      const content = obj(ch.message).content;
      if (content != null) text = content;
    }
  }
  return {
    responseModel: asString(c.model),
    responseId: asString(c.id),
    finishReasons: reasons,
    usage: isObject(c.usage) ? fromOpenAIUsage(c.usage) : undefined,
    completion: text,
  };
}

/** What a stream of `chat.completion.chunk`s has said so far. */
export interface ChatStreamState {
  model?: string;
  id?: string;
  /** finish_reason by choice index. */
  finish: Record<number, string>;
  usage?: Usage;
  /** Characters of text kept: 0 unless content capture is on (see streamTextLimit). */
  readonly textLimit: number;
  /** The first choice's text, up to `textLimit`. */
  text: string;
}

export const newChatStreamState = (textLimit = 0): ChatStreamState => ({
  finish: {},
  textLimit,
  text: '',
});

/** Folds one chunk into the state (in place) and returns it. */
export function accumulateChatChunk(state: ChatStreamState, chunk: unknown): ChatStreamState {
  const c = obj(chunk);
  state.model ??= asString(c.model);
  state.id ??= asString(c.id);
  for (const raw of list(c.choices)) {
    const ch = obj(raw);
    const index = asNumber(ch.index) ?? 0;
    if (typeof ch.finish_reason === 'string') state.finish[index] = ch.finish_reason;
    const content = obj(ch.delta).content;
    if (index === 0 && typeof content === 'string') {
      state.text = appendCapped(state.text, content, state.textLimit);
    }
  }
  if (isObject(c.usage)) state.usage = fromOpenAIUsage(c.usage);
  return state;
}

export function chatStreamOutcome(state: ChatStreamState): CallOutcome {
  // Integer keys are listed in ascending order: the reasons come in choice order.
  const reasons = Object.values(state.finish);
  return {
    responseModel: state.model,
    responseId: state.id,
    finishReasons: reasons.length > 0 ? reasons : undefined,
    usage: state.usage,
    completion: state.text || undefined,
  };
}

/** The usage-only chunk that `stream_options.include_usage` adds at the end. */
export function isUsageOnlyChunk(chunk: unknown): boolean {
  const c = obj(chunk);
  return isObject(c.usage) && list(c.choices).length === 0;
}

/** A Responses API `response` object. */
export function responseOutcome(response: unknown): CallOutcome {
  const r = obj(response);
  const status = asString(r.status);
  const incomplete = asString(obj(r.incomplete_details).reason);
  return {
    responseModel: asString(r.model),
    responseId: asString(r.id),
    finishReasons: incomplete ? [incomplete] : status ? [status] : undefined,
    usage: isObject(r.usage) ? fromOpenAIUsage(r.usage) : undefined,
    completion: asString(r.output_text) ?? outputText(r.output),
  };
}

function outputText(output: unknown): string | undefined {
  const parts: string[] = [];
  for (const item of list(output)) {
    for (const c of list(obj(item).content)) {
      const text = obj(c).text;
      if (typeof text === 'string') parts.push(text);
    }
  }
  return parts.length > 0 ? parts.join('') : undefined;
}

/** A Responses API stream event: the events that carry the whole response say the most. */
export function responseEventOutcome(event: unknown): CallOutcome | undefined {
  const e = obj(event);
  if (!isObject(e.response)) return undefined;
  const outcome = responseOutcome(e.response);
  // `response.created` and `in_progress` carry status "in_progress", not a finish reason.
  if (e.type === 'response.created' || e.type === 'response.in_progress') {
    outcome.finishReasons = undefined;
  }
  return outcome;
}

/** A `create_embedding_response`. */
export function embeddingOutcome(response: unknown): CallOutcome {
  const r = obj(response);
  return {
    responseModel: asString(r.model),
    usage: isObject(r.usage) ? fromOpenAIUsage(r.usage) : undefined,
  };
}

/**
 * An images response (generate or edit). The per-image price covers the image
 * tokens gpt-image models report as output, so they are counted as image tokens,
 * never billed twice. Size and quality come from the response when it says
 * (gpt-image models do), else from the request.
 */
export function imageOutcome(response: unknown, request: unknown): CallOutcome {
  const r = obj(response);
  const req = obj(request);
  const usage: Usage = {};
  if (isObject(r.usage)) {
    const u = fromOpenAIUsage(r.usage);
    if (u.input_tokens !== undefined) usage.input_tokens = u.input_tokens;
    if (u.cache_read_tokens !== undefined) usage.cache_read_tokens = u.cache_read_tokens;
    if (u.output_tokens !== undefined) usage.output_image_tokens = u.output_tokens;
  }
  usage.images = list(r.data).length;
  const size = asString(r.size) ?? asString(req.size);
  const quality = asString(r.quality) ?? asString(req.quality);
  if (size && size !== 'auto') usage.image_size = size;
  if (quality && quality !== 'auto') usage.image_quality = quality;
  return { usage };
}

/** What an images request says before the call: the model and the size asked for. */
export function imageRequestUsage(request: unknown): Usage {
  const req = obj(request);
  const usage: Usage = {};
  const size = asString(req.size);
  const quality = asString(req.quality);
  if (size && size !== 'auto') usage.image_size = size;
  if (quality && quality !== 'auto') usage.image_quality = quality;
  return usage;
}

/**
 * A video job (`videos.create`, Sora): the span covers the submission; the job's
 * seconds and size are what is billed when it completes.
 */
export function videoOutcome(video: unknown): CallOutcome {
  const v = obj(video);
  const usage: Usage = {};
  const seconds = Number(v.seconds);
  if (v.seconds !== undefined && Number.isFinite(seconds)) usage.video_seconds = seconds;
  const size = asString(v.size);
  if (size) Object.assign(usage, videoSize(size));
  return { responseModel: asString(v.model), responseId: asString(v.id), usage };
}

/**
 * A Sora size (`1280x720`) and the resolution it is (`720p`, its shorter side), so
 * the collector's video metrics can tell 720p from 1080p for Sora as for Veo.
 */
function videoSize(size: string): Pick<Usage, 'video_size' | 'video_resolution'> {
  const [w, h] = size.split('x').map(Number);
  const short = Math.min(w ?? Number.NaN, h ?? Number.NaN);
  return Number.isInteger(short) && short > 0
    ? { video_size: size, video_resolution: `${short}p` }
    : { video_size: size };
}

/** Seconds and size a video request asks for; Sora's defaults are 4 seconds at 720x1280. */
export function videoRequestUsage(request: unknown): Usage {
  const req = obj(request);
  const seconds = Number(req.seconds ?? 4);
  return {
    video_seconds: Number.isFinite(seconds) ? seconds : 4,
    ...videoSize(asString(req.size) ?? '720x1280'),
  };
}

/** What a polled video job says: still running, or its end (the video delivered, or the error). */
export type VideoJobStatus =
  | { done: false }
  | { done: true; outcome: CallOutcome }
  | { done: true; error: { code: string | undefined; message: string } };

/** A video object from `videos.retrieve` (or `create`): `completed` and `failed` are its ends. */
export function videoJobStatus(video: unknown): VideoJobStatus {
  const v = obj(video);
  if (v.status === 'completed') return { done: true, outcome: videoOutcome(v) };
  if (v.status !== 'failed') return { done: false };
  const e = obj(v.error);
  return {
    done: true,
    error: {
      code: asString(e.code),
      message: asString(e.message) ?? 'the video job failed and said no more',
    },
  };
}
