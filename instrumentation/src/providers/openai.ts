import { Call, type CallRequest, type CallTracker } from '../call.js';
import type { PatchKit, ProviderModule } from '../internal-types.js';
import type { AnyFunction } from '../patcher.js';
import type { CallType, Operation } from '../semconv.js';
import type { CallOutcome } from '../types.js';
import { asString, isObject, serverOf, streamTextLimit } from '../util.js';
import { VideoJobError } from '../video-jobs.js';
import { observeSdkStream, runCall, whenRead } from '../wrap.js';
import { openRouterCostPusd, providerOfEndpoint } from './openai-endpoints.js';
import {
  accumulateChatChunk,
  chatCompletionOutcome,
  chatStreamOutcome,
  embeddingOutcome,
  imageOutcome,
  imageRequestUsage,
  isUsageOnlyChunk,
  newChatStreamState,
  responseEventOutcome,
  responseOutcome,
  videoJobStatus,
  videoOutcome,
  videoRequestUsage,
} from './openai-extract.js';

/**
 * openai (v5, v6, v7): chat completions, the Responses API, embeddings, images
 * and videos. Every resource class hangs off the exported client class
 * (`OpenAI.Chat.Completions`, `OpenAI.Responses`...), so one hook on the package
 * reaches them all, in its ESM and its CommonJS build alike.
 */

type Obj = Record<string, unknown>;
type Resource = { _client?: { baseURL?: unknown; constructor?: { name?: string } } };

function clientClass(exports: unknown): Obj | undefined {
  const e = exports as Obj | undefined;
  const c = (e?.OpenAI ?? e?.default ?? e) as Obj | undefined;
  return typeof c === 'function' ? c : undefined;
}

function requestOf(
  resource: Resource,
  body: unknown,
  operation: Operation,
  callType: CallType,
  extra?: Partial<CallRequest>,
): CallRequest {
  const b = isObject(body) ? body : {};
  const client = resource?._client;
  // Built field by field: it runs on every call, and spreads cost there.
  const server = serverOf(client?.baseURL);
  const request: CallRequest = {
    provider:
      client?.constructor?.name === 'AzureOpenAI'
        ? 'azure.ai.openai'
        : providerOfEndpoint(client?.baseURL),
    operation,
    callType,
    model: asString(b.model),
    serverAddress: server.serverAddress,
    serverPort: server.serverPort,
  };
  return extra === undefined ? request : Object.assign(request, extra);
}

/** What a patched method does with its call: `send(body)` runs the SDK's own method. */
type Observe = (
  resource: Resource,
  tracker: CallTracker,
  body: Obj,
  send: (body: Obj) => unknown,
) => unknown;

/** Wraps a resource method that takes a body first; the SDK runs untouched when disabled. */
function wrapBodyMethod(proto: object | undefined, name: string, kit: PatchKit, observe: Observe) {
  kit.patcher.method(
    proto,
    name,
    (original: AnyFunction) =>
      function observed(this: Resource, body: unknown, ...rest: unknown[]) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(body)) return original.call(this, body, ...rest);
        return observe(this, tracker, body, (sent) => original.call(this, sent, ...rest));
      },
  );
}

const chatCreate: Observe = (resource, tracker, body, send) => {
  const stream = body.stream === true;
  const options = isObject(body.stream_options) ? body.stream_options : undefined;
  // Ask for the usage chunk the caller did not ask for, and keep it from them.
  const addUsage =
    stream && tracker.config.requestStreamUsage && options?.include_usage === undefined;
  const sent = addUsage ? { ...body, stream_options: { ...options, include_usage: true } } : body;
  // OpenRouter says in the usage what it charged: that is the call's cost.
  let reportsCost = false;
  return runCall(
    tracker,
    () => {
      const request = requestOf(resource, body, 'chat', 'text');
      request.stream = stream;
      request.prompt = body.messages;
      reportsCost = request.provider === 'openrouter';
      return request;
    },
    () => send(sent),
    (call, value) => {
      if (!stream) {
        const outcome = chatCompletionOutcome(value);
        if (reportsCost) outcome.reportedCostPusd = reportedCost(value);
        call.update(outcome);
        call.end();
        return;
      }
      const state = newChatStreamState(streamTextLimit(tracker.config));
      let cost: number | undefined;
      observeSdkStream(value, call, {
        onChunk: (chunk) => {
          accumulateChatChunk(state, chunk);
          if (reportsCost) cost = reportedCost(chunk) ?? cost;
        },
        outcome: () => {
          const outcome = chatStreamOutcome(state);
          if (cost !== undefined) outcome.reportedCostPusd = cost;
          return outcome;
        },
        hide: addUsage ? isUsageOnlyChunk : undefined,
      });
    },
  );
};

/** OpenRouter's cost from the `usage` of a completion or of a stream's usage chunk. */
const reportedCost = (value: unknown): number | undefined =>
  isObject(value) ? openRouterCostPusd(value.usage) : undefined;

const responsesCreate: Observe = (resource, tracker, body, send) => {
  const stream = body.stream === true;
  return runCall(
    tracker,
    () => requestOf(resource, body, 'chat', 'text', { stream, prompt: body.input }),
    () => send(body),
    (call, value) => {
      if (!stream) {
        call.update(responseOutcome(value));
        call.end();
        return;
      }
      // The events that carry the whole response say the most; the last one wins.
      let last: unknown;
      observeSdkStream(value, call, {
        onChunk: (event) => {
          if (isObject(event) && isObject(event.response)) last = event;
        },
        outcome: () => (last === undefined ? undefined : responseEventOutcome(last)),
      });
    },
  );
};

/** A method whose whole answer is one JSON body. */
function plain(
  describe: (resource: Resource, body: Obj) => CallRequest,
  outcome: (value: unknown, body: Obj) => CallOutcome,
): Observe {
  return (resource, tracker, body, send) =>
    runCall(
      tracker,
      () => describe(resource, body),
      () => send(body),
      (call, value) => {
        call.update(outcome(value, body));
        call.end();
      },
    );
}

/**
 * A Sora job: its call is kept open from the submission until a poll of the
 * app's (`videos.retrieve`) shows it completed or failed (see VideoJobs).
 */
const videoCreate: Observe = (resource, tracker, body, send) =>
  runCall(
    tracker,
    () =>
      requestOf(resource, body, 'video_generation', 'video', {
        usage: videoRequestUsage(body),
        prompt: body.prompt,
      }),
    () => send(body),
    (call, value) => {
      const outcome = videoOutcome(value);
      call.update(outcome);
      const id = outcome.responseId;
      if (!id) {
        call.end();
        return;
      }
      tracker.videos.follow(id, call);
      soraPolled(tracker, value);
    },
  );

function soraPolled(tracker: CallTracker, video: unknown): void {
  const status = videoJobStatus(video);
  const id = videoOutcome(video).responseId;
  if (!status.done || !id) return;
  if ('outcome' in status) {
    tracker.videos.ended(id, { state: 'succeeded', outcome: status.outcome });
    return;
  }
  const { code, message } = status.error;
  const error = new VideoJobError(code ? `${code}: ${message}` : message, code);
  tracker.videos.ended(id, { state: 'failed', error });
}

/** The app's polls of its Sora jobs: each answer it reads may be a job's end. */
function patchVideoPolls(proto: object | undefined, kit: PatchKit): void {
  kit.patcher.method(
    proto,
    'retrieve',
    (original: AnyFunction) =>
      function retrieve(this: unknown, ...args: unknown[]) {
        const out = original.apply(this, args);
        const tracker = kit.tracker();
        if (tracker) whenRead(out, (video) => soraPolled(tracker, video));
        return out;
      },
  );
}

/** Each retry of the SDK's own retry loop counts on the call it belongs to. */
function patchRetries(client: Obj, kit: PatchKit): void {
  kit.patcher.method(
    client.prototype as object,
    'retryRequest',
    (original: AnyFunction) =>
      function retryRequest(this: unknown, ...args: unknown[]) {
        Call.active()?.attempt();
        return original.apply(this, args);
      },
  );
}

export const openaiModule: ProviderModule = {
  name: 'openai',
  versions: ['>=5 <8'],
  patch(exports, kit) {
    const OpenAI = clientClass(exports);
    if (!OpenAI) throw new Error('the openai module exports no OpenAI client class');
    const classes = OpenAI as Record<string, { prototype?: object } & Obj>;
    const Chat = classes.Chat as Obj | undefined;
    const ChatCompletions = Chat?.Completions as { prototype?: object } | undefined;
    wrapBodyMethod(ChatCompletions?.prototype, 'create', kit, chatCreate);
    wrapBodyMethod(classes.Responses?.prototype, 'create', kit, responsesCreate);
    wrapBodyMethod(
      classes.Embeddings?.prototype,
      'create',
      kit,
      plain(
        (r, body) => requestOf(r, body, 'embeddings', 'embedding', { prompt: body.input }),
        (value) => embeddingOutcome(value),
      ),
    );
    const images = plain(
      (r, body) =>
        requestOf(r, body, 'image_generation', 'image', {
          usage: imageRequestUsage(body),
          prompt: body.prompt,
        }),
      (value, body) => imageOutcome(value, body),
    );
    wrapBodyMethod(classes.Images?.prototype, 'generate', kit, images);
    wrapBodyMethod(classes.Images?.prototype, 'edit', kit, images);
    wrapBodyMethod(classes.Videos?.prototype, 'create', kit, videoCreate);
    patchVideoPolls(classes.Videos?.prototype, kit);
    patchRetries(OpenAI, kit);
  },
};
