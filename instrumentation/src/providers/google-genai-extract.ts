import { fromGeminiUsage, USAGE_COUNTS, type Usage } from '@costlens/pricing';
import type { CallOutcome } from '../types.js';
import { appendCapped, asNumber, asString, isObject } from '../util.js';

/**
 * What @google/genai requests and responses say about a call, read without
 * touching the SDK: pure functions over the parameters the caller passes and the
 * objects the SDK returns (Gemini API and Vertex AI alike), tested on real payloads.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The model id in any of the SDK's spellings: `models/gemini-2.5-flash`,
 * `publishers/google/models/...`, `projects/p/locations/l/publishers/google/models/...`
 * and `google/gemini-2.5-flash` all name `gemini-2.5-flash`. Tuned models and
 * other publishers' models keep their name.
 */
export function modelId(model: unknown): string | undefined {
  const m = asString(model);
  if (!m) return undefined;
  const at = m.lastIndexOf('models/');
  if (at === 0 || (at > 0 && m[at - 1] === '/')) return m.slice(at + 'models/'.length) || m;
  return m.startsWith('google/') ? m.slice('google/'.length) : m;
}

/** Text of the model's first candidate: what content capture records. */
function candidateText(response: Obj): string | undefined {
  const parts = list(obj(obj(list(response.candidates)[0]).content).parts).map(obj);
  const text = parts
    .filter((p) => typeof p.text === 'string' && p.thought !== true)
    .map((p) => p.text as string)
    .join('');
  return text || undefined;
}

/** Images the response carries as inline data; interim "thought" images are not the output. */
export function countImageParts(response: unknown): number {
  let n = 0;
  for (const c of list(obj(response).candidates)) {
    for (const raw of list(obj(obj(c).content).parts)) {
      const part = obj(raw);
      const mime = asString(obj(part.inlineData).mimeType);
      if (mime?.startsWith('image/') && part.thought !== true) n++;
    }
  }
  return n;
}

// ---------------------------------------------------------------- generateContent

/** What a generateContent request asks for: a text answer, or images from an image model. */
export interface ContentRequest {
  image: boolean;
  /** Known before the answer: the requested image resolution, for an image call. */
  usage?: Usage;
  aspectRatio?: string;
}

/**
 * A generateContent call is an image generation when it goes to a Gemini image
 * model (`gemini-2.5-flash-image`, `gemini-3-pro-image-preview`) or asks for
 * IMAGE output; its resolution is `imageConfig.imageSize` (1K unless set).
 */
export function contentRequest(params: unknown): ContentRequest {
  const p = obj(params);
  const config = obj(p.config);
  const modalities = list(config.responseModalities).map((m) => String(m).toUpperCase());
  const image = /image/i.test(modelId(p.model) ?? '') || modalities.includes('IMAGE');
  if (!image) return { image };
  const imageConfig = obj(config.imageConfig);
  return {
    image,
    usage: { image_resolution: (asString(imageConfig.imageSize) ?? '1K').toUpperCase() },
    aspectRatio: asString(imageConfig.aspectRatio),
  };
}

function finishReasons(candidates: Obj[]): string[] | undefined {
  const out = candidates
    .map((c) => c.finishReason)
    .filter((r): r is string => typeof r === 'string');
  return out.length > 0 ? out : undefined;
}

/** A GenerateContentResponse (one answer, or one stream chunk). */
export function contentOutcome(response: unknown): CallOutcome {
  const r = obj(response);
  const usage: Usage = isObject(r.usageMetadata) ? fromGeminiUsage(r.usageMetadata) : {};
  const images = countImageParts(r);
  if (images > 0) usage.images = images;
  return {
    responseModel: asString(r.modelVersion),
    responseId: asString(r.responseId),
    finishReasons: finishReasons(list(r.candidates).map(obj)),
    usage: Object.keys(usage).length > 0 ? usage : undefined,
    completion: candidateText(r),
  };
}

/** Usage of several requests made for one call (automatic function calling): counts add up. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b && { ...b };
  if (!b) return { ...a };
  const out: Usage = { ...a, ...b };
  for (const k of USAGE_COUNTS) {
    if (a[k] !== undefined || b[k] !== undefined) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  }
  return out;
}

/**
 * What a generateContentStream has said so far. Each chunk's `usageMetadata`
 * counts the whole answer up to it, so the last one wins within one request;
 * automatic function calling chains several requests in one stream, separated by
 * the SDK's own `role: 'user'` chunk carrying the function responses, and their
 * usage adds up.
 */
export interface ContentStreamState {
  model?: string;
  id?: string;
  /** finishReason by candidate index. */
  finish: Record<number, string>;
  /** Usage of the requests already finished in this stream. */
  done?: Usage;
  /** Usage of the request being streamed, from its last chunk that reported any. */
  current?: Usage;
  images: number;
  /** Characters of text kept: 0 unless content capture is on (see streamTextLimit). */
  readonly textLimit: number;
  /** The first candidate's text, up to `textLimit`. */
  text: string;
}

export const newContentStreamState = (textLimit = 0): ContentStreamState => ({
  finish: {},
  images: 0,
  textLimit,
  text: '',
});

/** Folds one chunk into the state (in place) and returns it. */
export function accumulateContentChunk(
  state: ContentStreamState,
  chunk: unknown,
): ContentStreamState {
  const c = obj(chunk);
  const candidates = list(c.candidates).map(obj);
  if (obj(candidates[0]?.content).role === 'user' && !isObject(c.usageMetadata)) {
    // The SDK's function-response turn: the next request of the chain begins.
    state.done = addUsage(state.done, state.current);
    state.current = undefined;
    return state;
  }
  state.model = asString(c.modelVersion) ?? state.model;
  state.id = asString(c.responseId) ?? state.id;
  candidates.forEach((cand, i) => {
    const index = asNumber(cand.index) ?? i;
    if (typeof cand.finishReason === 'string') state.finish[index] = cand.finishReason;
  });
  if (isObject(c.usageMetadata)) state.current = fromGeminiUsage(c.usageMetadata);
  state.images += countImageParts(c);
  if (state.text.length < state.textLimit) {
    const text = candidateText(c);
    if (text) state.text = appendCapped(state.text, text, state.textLimit);
  }
  return state;
}

export function contentStreamOutcome(state: ContentStreamState): CallOutcome {
  const usage = addUsage(state.done, state.current) ?? {};
  if (state.images > 0) usage.images = state.images;
  const indexes = Object.keys(state.finish)
    .map(Number)
    .sort((a, b) => a - b);
  const reasons = indexes.map((i) => state.finish[i]!);
  return {
    responseModel: state.model,
    responseId: state.id,
    finishReasons: reasons.length > 0 ? reasons : undefined,
    usage: Object.keys(usage).length > 0 ? usage : undefined,
    completion: state.text || undefined,
  };
}

// ---------------------------------------------------------------- embedContent

/**
 * An EmbedContentResponse. Vertex AI counts tokens per embedding
 * (`statistics.tokenCount`) or in `usageMetadata`; the Gemini API may report
 * none, and then the call has no usage to price.
 */
export function embeddingOutcome(response: unknown): CallOutcome {
  const r = obj(response);
  let input = asNumber(obj(r.usageMetadata).promptTokenCount);
  if (input === undefined) {
    for (const e of list(r.embeddings)) {
      const n = asNumber(obj(obj(e).statistics).tokenCount);
      if (n !== undefined) input = (input ?? 0) + n;
    }
  }
  return { usage: input === undefined ? undefined : { input_tokens: input } };
}

// ---------------------------------------------------------------- generateImages (Imagen)

/** What a generateImages request fixes before the answer: resolution and aspect ratio. */
export function imagenRequest(params: unknown): { usage: Usage; aspectRatio?: string } {
  const config = obj(obj(params).config);
  const size = asString(config.imageSize);
  return {
    usage: size ? { image_resolution: size.toUpperCase() } : {},
    aspectRatio: asString(config.aspectRatio),
  };
}

/** A GenerateImagesResponse: the images that came back are the ones billed (filtered ones are not). */
export function imagenOutcome(response: unknown): CallOutcome {
  let images = 0;
  for (const g of list(obj(response).generatedImages)) {
    const image = obj(obj(g).image);
    if (image.imageBytes !== undefined || image.gcsUri !== undefined) images++;
  }
  return { usage: { images } };
}

// ---------------------------------------------------------------- generateVideos (Veo)

/**
 * What a generateVideos request will cost is known when it is submitted:
 * `durationSeconds` for each of `numberOfVideos` videos (so `video_seconds` is
 * the total), `resolution` (720p unless set) and `generateAudio`. Unset seconds
 * or audio stay unknown rather than guessed.
 */
export function videoRequest(params: unknown): {
  usage: Usage;
  aspectRatio?: string;
  /** Seconds of each video asked for: what each delivered video is billed. */
  secondsEach?: number;
} {
  const config = obj(obj(params).config);
  const seconds = asNumber(config.durationSeconds);
  const count = asNumber(config.numberOfVideos) ?? 1;
  const usage: Usage = {
    video_resolution: (asString(config.resolution) ?? '720p').toLowerCase(),
  };
  if (seconds !== undefined) usage.video_seconds = seconds * count;
  if (typeof config.generateAudio === 'boolean') usage.video_audio = config.generateAudio;
  return { usage, aspectRatio: asString(config.aspectRatio), secondsEach: seconds };
}

/** The long-running operation a generateVideos call submits: its name is the response id. */
export function videoOperationOutcome(operation: unknown): CallOutcome {
  return { responseId: asString(obj(operation).name) };
}

/** What a polled Veo operation says: still running, or its end (videos delivered, or the error). */
export type VideoOperationStatus =
  | { done: false }
  | { done: true; videos: number }
  | { done: true; error: { code: number | undefined; message: string } };

/**
 * A GenerateVideosOperation as `operations.getVideosOperation` returns it. Videos
 * held back by the safety filters (`raiMediaFilteredCount`) are not delivered,
 * so not counted; an operation that ended with an error delivered none.
 */
export function videoOperationStatus(operation: unknown): VideoOperationStatus {
  const op = obj(operation);
  if (op.done !== true) return { done: false };
  if (isObject(op.error)) {
    return {
      done: true,
      error: {
        code: asNumber(op.error.code),
        message: asString(op.error.message) ?? 'the operation ended with an error and said no more',
      },
    };
  }
  let videos = 0;
  for (const g of list(obj(op.response).generatedVideos)) {
    const video = obj(obj(g).video);
    if (video.uri !== undefined || video.videoBytes !== undefined) videos++;
  }
  return { done: true, videos };
}
