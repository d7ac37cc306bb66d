import { fromGeminiUsage, type Usage } from '@costlens/pricing';
import { diag } from '@opentelemetry/api';
import { Call, type CallRequest, type CallTracker } from '../call.js';
import type { PatchKit, ProviderModule } from '../internal-types.js';
import type { AnyFunction, Patcher } from '../patcher.js';
import type { CallType, Operation } from '../semconv.js';
import type { CallOutcome } from '../types.js';
import { isObject, serverOf, streamTextLimit } from '../util.js';
import { VideoJobError } from '../video-jobs.js';
import { observeIterator, runCall, whenRead } from '../wrap.js';
import {
  accumulateContentChunk,
  addUsage,
  contentOutcome,
  contentRequest,
  contentStreamOutcome,
  embeddingOutcome,
  imagenOutcome,
  imagenRequest,
  modelId,
  newContentStreamState,
  videoOperationOutcome,
  videoOperationStatus,
  videoRequest,
} from './google-genai-extract.js';

/**
 * @google/genai: generateContent(Stream), embedContent, generateImages and
 * editImage (Imagen), generateVideos (Veo), on the Gemini API and on Vertex AI.
 * `Models` assigns these methods per instance in its constructor, so they are
 * caught with an accessor on `Models.prototype` (Patcher.instanceMethod). The
 * ESM and the CommonJS build each export the `Models` class their client builds.
 */

type Obj = Record<string, unknown>;
type ApiClientLike = { isVertexAI?: () => boolean; getBaseUrl?: () => unknown };
type ModelsLike = { apiClient?: ApiClientLike };

function describe(
  models: ModelsLike,
  params: Obj,
  operation: Operation,
  callType: CallType,
  extra: Partial<CallRequest>,
): CallRequest {
  const client = models?.apiClient;
  let vertex = false;
  let baseUrl: unknown;
  try {
    vertex = client?.isVertexAI?.() === true;
    // A request's own httpOptions win over the client's, as they do in the SDK.
    const own = isObject(params.config) && isObject(params.config.httpOptions);
    baseUrl = own ? (params.config as { httpOptions: Obj }).httpOptions.baseUrl : undefined;
    baseUrl ??= client?.getBaseUrl?.();
  } catch (err) {
    diag.debug('costlens: could not read the @google/genai client settings', err);
  }
  return {
    provider: vertex ? 'gcp.vertex_ai' : 'gcp.gemini',
    operation,
    callType,
    model: modelId(params.model),
    ...serverOf(baseUrl),
    ...extra,
  };
}

/**
 * Counts the SDK's own retries (its `httpOptions.retryOptions`). Its retry loop
 * lives in a closure inside `ApiClient.apiCall(url, init, retryOptions, timeout,
 * signal, fetch)`, which calls the fetch it is given (or the global one) once per
 * attempt: that fetch is wrapped for the call, so each attempt after the first
 * counts. ApiClient is not exported; its prototype is reached through the first
 * client seen. A version whose `apiCall` takes other arguments is left alone.
 */
function watchAttempts(patcher: Patcher, models: ModelsLike): void {
  const client = models?.apiClient;
  if (client) patcher.method(Object.getPrototypeOf(client) as object, 'apiCall', countAttempts);
}

const API_CALL_ARITY = 6;

function countAttempts(original: AnyFunction): AnyFunction {
  if (original.length !== API_CALL_ARITY) {
    diag.debug(
      'costlens: this @google/genai version calls its API differently; its retries are not counted',
    );
  }
  return function apiCall(this: unknown, ...args: unknown[]) {
    const call = Call.active();
    const given = args[API_CALL_ARITY - 1];
    if (
      !call ||
      original.length !== API_CALL_ARITY ||
      args.length !== API_CALL_ARITY ||
      (given !== undefined && typeof given !== 'function')
    ) {
      return original.apply(this, args);
    }
    // The SDK's own choice, made when it runs: the fetch it was given, else the global one.
    const inner = given as typeof fetch | undefined;
    let sent = 0;
    // A local first, then the argument: see OLD_SPACE_CLOSURES in stream-observer.ts.
    const countedFetch = function countedFetch(...fetchArgs: Parameters<typeof fetch>) {
      if (sent++ > 0) call.attempt();
      return (inner ?? globalThis.fetch)(...fetchArgs);
    };
    args[API_CALL_ARITY - 1] = countedFetch;
    return original.apply(this, args);
  };
}

/** generateContent(Stream): text, or image generation on a Gemini image model. */
function describeContent(models: ModelsLike, params: Obj, stream: boolean): CallRequest {
  const req = contentRequest(params);
  return describe(
    models,
    params,
    req.image ? 'image_generation' : 'generate_content',
    req.image ? 'image' : 'text',
    { stream, usage: req.usage, aspectRatio: req.aspectRatio, prompt: params.contents },
  );
}

/**
 * The usage of each request that one generateContent call made: automatic
 * function calling sends one request per round and returns only the last answer.
 */
const rounds = new WeakMap<Call, unknown[]>();

function patchGenerateContent(proto: object, kit: PatchKit): void {
  kit.patcher.instanceMethod(
    proto,
    'generateContent',
    (original: AnyFunction) =>
      function generateContent(this: ModelsLike, params: unknown) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(params)) return original.call(this, params);
        watchAttempts(kit.patcher, this);
        return runCall(
          tracker,
          () => describeContent(this, params, false),
          () => {
            const call = Call.active();
            if (call && !rounds.has(call)) rounds.set(call, []);
            return original.call(this, params);
          },
          (call, value) => {
            const outcome = contentOutcome(value);
            const usages = rounds.get(call) ?? [];
            if (usages.length > 1) {
              let sum: Usage | undefined;
              for (const u of usages) {
                sum = addUsage(sum, isObject(u) ? fromGeminiUsage(u) : undefined);
              }
              const images = outcome.usage?.images;
              outcome.usage = images ? { ...sum, images } : sum;
            }
            call.update(outcome);
            call.end();
          },
        );
      },
  );
  // One round of automatic function calling (a prototype method): its usage is
  // kept for the call running it.
  kit.patcher.method(
    proto,
    'generateContentWithContinuation',
    (original: AnyFunction) =>
      function generateContentWithContinuation(this: unknown, ...args: unknown[]) {
        const call = Call.active();
        const usages = call && rounds.get(call);
        const result = original.apply(this, args);
        if (usages && result instanceof Promise) {
          result.then(
            (r: unknown) => usages.push(isObject(r) ? r.usageMetadata : undefined),
            () => {},
          );
        }
        return result;
      },
  );
}

function patchGenerateContentStream(proto: object, kit: PatchKit): void {
  kit.patcher.instanceMethod(
    proto,
    'generateContentStream',
    (original: AnyFunction) =>
      function generateContentStream(this: ModelsLike, params: unknown) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(params)) return original.call(this, params);
        watchAttempts(kit.patcher, this);
        let started: Call | undefined;
        const result: Promise<unknown> = runCall(
          tracker,
          () => describeContent(this, params, true),
          () => original.call(this, params),
          // The stream ends the call, not its promise; runCall reads the value
          // before the wrapping below runs (promise reactions run in order).
          (call) => {
            started = call;
          },
        );
        return result.then((stream) => {
          const call = started;
          if (!call) return stream;
          const iterator = stream as AsyncIterator<unknown> | undefined;
          if (typeof iterator?.next !== 'function') {
            diag.warn(
              'costlens: this @google/genai version streams in a way costlens does not know',
            );
            call.end();
            return stream;
          }
          const state = newContentStreamState(streamTextLimit(tracker.config));
          return observeIterator(iterator, call, {
            onChunk: (chunk) => accumulateContentChunk(state, chunk),
            outcome: () => contentStreamOutcome(state),
          });
        });
      },
  );
}

/** A method whose whole answer is one object. */
function patchPlain(
  proto: object,
  name: string,
  kit: PatchKit,
  request: (models: ModelsLike, params: Obj) => CallRequest,
  outcome: (value: unknown) => CallOutcome,
): void {
  kit.patcher.instanceMethod(
    proto,
    name,
    (original: AnyFunction) =>
      function observed(this: ModelsLike, params: unknown) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(params)) return original.call(this, params);
        watchAttempts(kit.patcher, this);
        return runCall(
          tracker,
          () => request(this, params),
          () => original.call(this, params),
          (call, value) => {
            call.update(outcome(value));
            call.end();
          },
        );
      },
  );
}

export const googleGenAIModule: ProviderModule = {
  name: '@google/genai',
  versions: ['>=1 <4'],
  patch(exports, kit) {
    const e = exports as Obj | undefined;
    const Models = e?.Models ?? (e?.default as Obj | undefined)?.Models;
    const proto =
      typeof Models === 'function' ? (Models.prototype as object | undefined) : undefined;
    if (!proto) throw new Error('the @google/genai module exports no Models class');
    patchGenerateContent(proto, kit);
    patchGenerateContentStream(proto, kit);
    patchPlain(
      proto,
      'embedContent',
      kit,
      (m, p) => describe(m, p, 'embeddings', 'embedding', { prompt: p.contents }),
      embeddingOutcome,
    );
    for (const name of ['generateImages', 'editImage']) {
      patchPlain(
        proto,
        name,
        kit,
        (m, p) => {
          const r = imagenRequest(p);
          return describe(m, p, 'image_generation', 'image', {
            usage: r.usage,
            aspectRatio: r.aspectRatio,
            prompt: p.prompt,
          });
        },
        imagenOutcome,
      );
    }
    patchGenerateVideos(proto, kit);
    const Operations = e?.Operations ?? (e?.default as Obj | undefined)?.Operations;
    if (typeof Operations === 'function') {
      for (const name of ['getVideosOperation', 'get']) {
        patchOperationPolls(Operations.prototype as object, name, kit);
      }
    }
  },
};

/**
 * Veo: generateVideos submits a long-running operation. Its call is kept open
 * until a poll of the app's shows the operation done (see VideoJobs), and is
 * billed for the videos delivered, each at the seconds asked for.
 */
function patchGenerateVideos(proto: object, kit: PatchKit): void {
  kit.patcher.instanceMethod(
    proto,
    'generateVideos',
    (original: AnyFunction) =>
      function generateVideos(this: ModelsLike, params: unknown) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(params)) return original.call(this, params);
        watchAttempts(kit.patcher, this);
        const r = videoRequest(params);
        return runCall(
          tracker,
          () => {
            const source = isObject(params.source) ? params.source : {};
            return describe(this, params, 'video_generation', 'video', {
              usage: r.usage,
              aspectRatio: r.aspectRatio,
              prompt: params.prompt ?? source.prompt,
            });
          },
          () => original.call(this, params),
          (call, operation) => {
            const outcome = videoOperationOutcome(operation);
            call.update(outcome);
            if (!outcome.responseId) {
              call.end();
              return;
            }
            tracker.videos.follow(outcome.responseId, call, r.secondsEach);
            veoPolled(tracker, operation);
          },
        );
      },
  );
}

function veoPolled(tracker: CallTracker, operation: unknown): void {
  const status = videoOperationStatus(operation);
  const id = videoOperationOutcome(operation).responseId;
  if (!status.done || !id) return;
  if ('videos' in status) {
    tracker.videos.ended(id, { state: 'succeeded', videos: status.videos });
    return;
  }
  const { code, message } = status.error;
  // google.rpc.Code 1 is CANCELLED: the app or the console stopped the job.
  const state = code === 1 ? 'cancelled' : 'failed';
  const error = new VideoJobError(code === undefined ? message : `${code}: ${message}`, code);
  tracker.videos.ended(id, { state, error });
}

/** The app's polls of its operations: each one it gets back may be a Veo job's end. */
function patchOperationPolls(proto: object, name: string, kit: PatchKit): void {
  kit.patcher.method(
    proto,
    name,
    (original: AnyFunction) =>
      function polled(this: unknown, ...args: unknown[]) {
        const out = original.apply(this, args);
        const tracker = kit.tracker();
        if (tracker) whenRead(out, (operation) => veoPolled(tracker, operation));
        return out;
      },
  );
}
