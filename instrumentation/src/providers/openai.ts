import { Call, type CallRequest } from '../call.js';
import type { PatchKit, ProviderModule } from '../internal-types.js';
import type { AnyFunction } from '../patcher.js';
import type { CallType, Operation } from '../semconv.js';
import { asString, isObject, serverOf } from '../util.js';
import { observeSdkStream, runCall } from '../wrap.js';
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
  extra: Partial<CallRequest> = {},
): CallRequest {
  const b = isObject(body) ? body : {};
  const client = resource?._client;
  return {
    provider: client?.constructor?.name === 'AzureOpenAI' ? 'azure.ai.openai' : 'openai',
    operation,
    callType,
    model: asString(b.model),
    ...serverOf(client?.baseURL),
    ...extra,
  };
}

function patchChat(proto: object | undefined, kit: PatchKit): void {
  kit.patcher.method(
    proto,
    'create',
    (original: AnyFunction) =>
      function create(this: Resource, body: unknown, ...rest: unknown[]) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(body)) return original.call(this, body, ...rest);
        const stream = body.stream === true;
        const options = isObject(body.stream_options) ? body.stream_options : undefined;
        // Ask for the usage chunk the caller did not ask for, and keep it from them.
        const addUsage =
          stream && tracker.config.requestStreamUsage && options?.include_usage === undefined;
        const sent = addUsage
          ? { ...body, stream_options: { ...options, include_usage: true } }
          : body;
        return runCall(
          tracker,
          () =>
            requestOf(this, body, 'chat', 'text', {
              stream,
              prompt: body.messages,
            }),
          () => original.call(this, sent, ...rest),
          (call, value) => {
            if (!stream) {
              call.update(chatCompletionOutcome(value));
              call.end();
              return;
            }
            const state = newChatStreamState();
            observeSdkStream(value, call, {
              onChunk: (chunk) => accumulateChatChunk(state, chunk),
              outcome: () => chatStreamOutcome(state),
              hide: addUsage ? isUsageOnlyChunk : undefined,
            });
          },
        );
      },
  );
}

function patchResponses(proto: object | undefined, kit: PatchKit): void {
  kit.patcher.method(
    proto,
    'create',
    (original: AnyFunction) =>
      function create(this: Resource, body: unknown, ...rest: unknown[]) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(body)) return original.call(this, body, ...rest);
        const stream = body.stream === true;
        return runCall(
          tracker,
          () => requestOf(this, body, 'chat', 'text', { stream, prompt: body.input }),
          () => original.call(this, body, ...rest),
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
      },
  );
}

/** A method whose whole answer is one JSON body. */
function patchPlain(
  proto: object | undefined,
  name: string,
  kit: PatchKit,
  describe: (resource: Resource, body: Obj) => CallRequest,
  outcome: (value: unknown, body: Obj) => ReturnType<typeof embeddingOutcome>,
): void {
  kit.patcher.method(
    proto,
    name,
    (original: AnyFunction) =>
      function observed(this: Resource, body: unknown, ...rest: unknown[]) {
        const tracker = kit.tracker();
        if (!tracker || !isObject(body)) return original.call(this, body, ...rest);
        return runCall(
          tracker,
          () => describe(this, body),
          () => original.call(this, body, ...rest),
          (call, value) => {
            call.update(outcome(value, body));
            call.end();
          },
        );
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
    patchChat((Chat?.Completions as { prototype?: object } | undefined)?.prototype, kit);
    patchResponses(classes.Responses?.prototype, kit);
    patchPlain(
      classes.Embeddings?.prototype,
      'create',
      kit,
      (r, body) => requestOf(r, body, 'embeddings', 'embedding', { prompt: body.input }),
      (value) => embeddingOutcome(value),
    );
    for (const method of ['generate', 'edit']) {
      patchPlain(
        classes.Images?.prototype,
        method,
        kit,
        (r, body) =>
          requestOf(r, body, 'image_generation', 'image', {
            usage: imageRequestUsage(body),
            prompt: body.prompt,
          }),
        (value, body) => imageOutcome(value, body),
      );
    }
    patchPlain(
      classes.Videos?.prototype,
      'create',
      kit,
      (r, body) =>
        requestOf(r, body, 'video_generation', 'video', {
          usage: videoRequestUsage(body),
          prompt: body.prompt,
        }),
      (value) => videoOutcome(value),
    );
    patchRetries(OpenAI, kit);
  },
};
