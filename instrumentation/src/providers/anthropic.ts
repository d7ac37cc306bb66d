import { diag } from '@opentelemetry/api';
import { Call, type CallRequest, type CallTracker } from '../call.js';
import type { PatchKit, ProviderModule } from '../internal-types.js';
import type { AnyFunction } from '../patcher.js';
import { isObject, serverOf, streamTextLimit } from '../util.js';
import { observeSdkStream, runCall, safely } from '../wrap.js';
import {
  accumulateAnthropicEvent,
  anthropicRequestFacts,
  anthropicStreamOutcome,
  extractAnthropicMessage,
  newAnthropicStreamState,
} from './anthropic-extract.js';

/**
 * @anthropic-ai/sdk: `messages.create` (plain and `stream: true`) and
 * `beta.messages.create` become chat calls. `messages.stream()` and `parse()`
 * call `create` themselves, so they are covered once. The client's
 * `retryRequest` counts the SDK's own retries on the call it belongs to.
 *
 * Both builds are reached the same way: the ESM namespace and the CJS exports
 * (a function with properties) both expose `Anthropic`, whose static
 * `Messages` and `Beta.Messages` are the resource classes the client uses.
 */

type Klass = { prototype?: object } & Record<string, unknown>;

const klass = (v: unknown): Klass | undefined =>
  typeof v === 'function' ? (v as unknown as Klass) : undefined;

/** The object on `proto`'s chain that owns `name` (the base client class). */
function ownerOf(proto: object | undefined, name: string): object | undefined {
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name)) return p;
  }
  return undefined;
}

/** The Messages resource's client: `this._client` in every Stainless resource. */
function clientOf(resource: unknown): Record<string, unknown> {
  const c = isObject(resource) ? resource._client : undefined;
  return isObject(c) ? c : {};
}

/**
 * Runs `fn` while the client's own tracer is off. Since 1.x the SDK starts its own
 * GenAI span for a call (`anthropic.messages.create`, with usage): beside ours it
 * would have the call stored and billed twice. The SDK starts that span
 * synchronously inside `create`, so switching the tracer off for the synchronous
 * part affects this call alone.
 */
function withoutSdkSpan<T>(client: Record<string, unknown>, fn: () => T): T {
  if (!('_tracer' in client) || client._tracer === undefined) return fn();
  const tracer = client._tracer;
  client._tracer = undefined;
  try {
    return fn();
  } finally {
    client._tracer = tracer;
  }
}

/** `anthropic`, or `aws.bedrock` / `gcp.vertex_ai` for the SDK's Bedrock and Vertex clients. */
function providerOf(resource: unknown): string {
  const named = clientOf(resource)._genAIProviderName;
  return typeof named === 'string' && named !== '' ? named : 'anthropic';
}

function requestOf(resource: unknown, params: unknown, tracker: CallTracker): CallRequest {
  const facts = anthropicRequestFacts(params);
  const request: CallRequest = {
    provider: providerOf(resource),
    operation: 'chat',
    callType: 'text',
    model: facts.model,
    stream: facts.stream,
    ...serverOf(clientOf(resource).baseURL),
  };
  if (tracker.config.captureMessageContent) request.prompt = facts.prompt;
  return request;
}

function wrapCreate(kit: PatchKit) {
  return (original: AnyFunction): AnyFunction =>
    function create(this: unknown, ...args: unknown[]) {
      const tracker = kit.tracker();
      if (!tracker) return original.apply(this, args);
      const params = args[0];
      return runCall(
        tracker,
        () => requestOf(this, params, tracker),
        () => withoutSdkSpan(clientOf(this), () => original.apply(this, args)),
        (call, value) => {
          if (isObject(params) && params.stream === true) {
            const state = newAnthropicStreamState(streamTextLimit(tracker.config));
            observeSdkStream(value, call, {
              onChunk: (event) => accumulateAnthropicEvent(state, event),
              outcome: () => anthropicStreamOutcome(state),
            });
          } else {
            call.update(extractAnthropicMessage(value));
            call.end();
          }
        },
      );
    };
}

/** Each retry the SDK makes is one more attempt of the call whose request is running. */
function wrapRetryRequest(kit: PatchKit) {
  return (original: AnyFunction): AnyFunction =>
    function retryRequest(this: unknown, ...args: unknown[]) {
      if (kit.tracker()) safely('counting a retry', () => Call.active()?.attempt());
      return original.apply(this, args);
    };
}

export const anthropicModule: ProviderModule = {
  name: '@anthropic-ai/sdk',
  // Tested on 1.13; the 0.7x source has the same shape (BaseAnthropic with a
  // prototype `retryRequest`, static `Anthropic.Messages` / `Anthropic.Beta.Messages`).
  // Where a class is missing, the patcher skips it and logs at debug.
  versions: ['>=0.50 <2'],
  patch(moduleExports, kit) {
    const exports = (
      isObject(moduleExports) || typeof moduleExports === 'function' ? moduleExports : {}
    ) as Record<string, unknown>;
    const Anthropic = klass(exports.Anthropic) ?? klass(exports.default);
    if (!Anthropic) {
      diag.warn('costlens: @anthropic-ai/sdk exports no Anthropic client class; not patched');
      return;
    }
    const create = wrapCreate(kit);
    kit.patcher.method(klass(Anthropic.Messages)?.prototype, 'create', create);
    kit.patcher.method(klass(klass(Anthropic.Beta)?.Messages)?.prototype, 'create', create);
    kit.patcher.method(
      ownerOf(Anthropic.prototype, 'retryRequest'),
      'retryRequest',
      wrapRetryRequest(kit),
    );
  },
};
