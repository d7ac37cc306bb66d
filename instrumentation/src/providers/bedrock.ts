import type { Usage } from '@costlens/pricing';
import { diag } from '@opentelemetry/api';
import { Call, type CallRequest, type CallTracker } from '../call.js';
import type { PatchKit, ProviderModule } from '../internal-types.js';
import type { AnyFunction } from '../patcher.js';
import { isObject, streamTextLimit } from '../util.js';
import { type ChunkObserver, observeIterator, runCall, safely } from '../wrap.js';
import {
  accumulateConverseEvent,
  type BedrockOperation,
  bedrockAttempts,
  bedrockCallKind,
  bedrockHeaderUsage,
  bedrockModelName,
  bedrockOperation,
  conversePrompt,
  converseStreamOutcome,
  extractConverse,
  hasCounts,
  newConverseStreamState,
} from './bedrock-extract.js';
import {
  accumulateInvokeChunk,
  extractInvokeBody,
  invokeChunkJson,
  invokePrompt,
  invokeStreamOutcome,
  newInvokeStreamState,
} from './bedrock-invoke-extract.js';

/**
 * @aws-sdk/client-bedrock-runtime (v3): Converse, ConverseStream, InvokeModel and
 * InvokeModelWithResponseStream become chat (or embeddings) calls of provider
 * `aws.bedrock`. Every call goes through the client's `send` (the aggregated
 * `BedrockRuntime` class's methods too), so `send` is wrapped on
 * BedrockRuntimeClient's prototype: the smithy base class is shared by every
 * AWS client, and S3 or DynamoDB calls must not pay for the check.
 *
 * A middleware added to each client's stack (once, at its first model call)
 * sees every attempt's HTTP exchange: the endpoint (`server.address`), the
 * region (`cloud.region`), and the token counts InvokeModel answers carry in
 * headers, the only usage some families (Mistral) report. Retries are the
 * SDK's `$metadata.attempts`.
 */

const ATTR_CLOUD_REGION = 'cloud.region';
const MIDDLEWARE_NAME = 'costlensBedrockUsage';

type Obj = Record<string, unknown>;

type Signal = { readonly aborted: boolean; readonly reason?: unknown };

/** What the middleware saw of a call's HTTP answers, read when its output is. */
type HeaderUsage = WeakMap<Call, Usage>;

interface Stack {
  add(mw: unknown, options: Obj): void;
}

function requestOf(operation: BedrockOperation, input: unknown, tracker: CallTracker): CallRequest {
  const i = isObject(input) ? input : {};
  const model = bedrockModelName(i.modelId);
  const kind = bedrockCallKind(operation, model);
  const request: CallRequest = {
    provider: 'aws.bedrock',
    operation: kind.operation,
    callType: kind.callType,
    model,
    stream: operation === 'ConverseStream' || operation === 'InvokeModelWithResponseStream',
  };
  if (tracker.config.captureMessageContent) {
    request.prompt = operation.startsWith('Converse') ? conversePrompt(i) : invokePrompt(i.body);
  }
  return request;
}

/** Each attempt beyond the first is a retry the SDK made. */
function countAttempts(call: Call, outputOrError: unknown): void {
  for (let n = bedrockAttempts(outputOrError); n > 1; n--) call.attempt();
}

/**
 * What a stream reports when the caller's abort signal stopped it: the SDK ends
 * the stream as if it were done, so the call would look complete otherwise.
 */
class AbortError extends Error {
  override name = 'AbortError';
}

/**
 * Watches a stream in place: the SDK's own iterable object is handed back with
 * its async iterator wrapped, so the call ends when the caller's loop does
 * (done, `break`, an abort or an error mid-stream).
 */
function observeStream<T>(
  stream: unknown,
  call: Call,
  observer: ChunkObserver<T>,
  signal: Signal | undefined,
): void {
  const s = stream as { [Symbol.asyncIterator]?: unknown } | undefined;
  const iterate = s?.[Symbol.asyncIterator];
  if (typeof iterate !== 'function') {
    diag.warn('costlens: this Bedrock SDK version streams in a way costlens does not know');
    call.end();
    return;
  }
  Object.defineProperty(s, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function observedIterator(this: unknown) {
      const inner = (iterate as () => AsyncIterator<T>).call(this);
      return observeIterator(
        signal ? failOnAbort(inner, call, observer, signal) : inner,
        call,
        observer,
      );
    },
  });
  // Never iterated, or dropped: the call still ends (released or idle).
  call.holdUntilRead(s as object, () => observer.outcome());
}

/** An iterator whose end, after the signal fired, fails the call (the caller still sees the end). */
function failOnAbort<T>(
  inner: AsyncIterator<T>,
  call: Call,
  observer: ChunkObserver<T>,
  signal: Signal,
): AsyncIterator<T> {
  const next = inner.next.bind(inner);
  // A local first, then the property: see OLD_SPACE_CLOSURES in stream-observer.ts.
  const failingNext = async (...args: [] | [unknown]) => {
    const step = await next(...args);
    if (step.done && signal.aborted && !call.ended) {
      safely('reading a stream', () => call.update(observer.outcome()));
      call.fail(new AbortError('the caller aborted the stream', { cause: signal.reason }));
    }
    return step;
  };
  inner.next = failingNext;
  return inner;
}

function observe(
  operation: BedrockOperation,
  call: Call,
  output: unknown,
  tracker: CallTracker,
  headers: HeaderUsage,
  signal: Signal | undefined,
): void {
  const o = isObject(output) ? output : {};
  const textLimit = streamTextLimit(tracker.config);
  switch (operation) {
    case 'Converse':
      call.update(extractConverse(o));
      call.end();
      return;
    case 'InvokeModel': {
      const outcome = extractInvokeBody(o.body);
      // The body's counts are the richer (cache writes by lifetime); headers stand in.
      if (!hasCounts(outcome.usage)) outcome.usage = headers.get(call) ?? outcome.usage;
      call.update(outcome);
      call.end();
      return;
    }
    case 'ConverseStream': {
      const state = newConverseStreamState(textLimit);
      observeStream(
        o.stream,
        call,
        {
          onChunk: (event) => accumulateConverseEvent(state, event),
          outcome: () => converseStreamOutcome(state),
        },
        signal,
      );
      return;
    }
    case 'InvokeModelWithResponseStream': {
      const state = newInvokeStreamState(textLimit);
      observeStream(
        o.body,
        call,
        {
          onChunk: (event) => {
            const chunk = invokeChunkJson(event);
            if (chunk) accumulateInvokeChunk(state, chunk);
          },
          outcome: () => invokeStreamOutcome(state),
        },
        signal,
      );
      return;
    }
  }
}

/**
 * The middleware: in the deserialize step, before the SDK's deserializer, so
 * it sees the raw request and response of each attempt. It acts only inside a
 * call of ours (Call.active()); otherwise it passes through untouched.
 */
function usageMiddleware(config: Obj, headers: HeaderUsage) {
  return (next: (args: Obj) => Promise<Obj>) =>
    async (args: Obj): Promise<Obj> => {
      const call = Call.active();
      if (!call || call.ended) return next(args);
      safely('reading the Bedrock request', () => {
        const r = isObject(args.request) ? args.request : {};
        const port = typeof r.port === 'number' ? r.port : r.protocol === 'http:' ? 80 : 443;
        if (typeof r.hostname === 'string') {
          call.span.setAttributes({ 'server.address': r.hostname, 'server.port': port });
        }
      });
      const region = await regionOf(config);
      if (region) call.span.setAttribute(ATTR_CLOUD_REGION, region);
      const result = await next(args);
      safely('reading Bedrock usage headers', () => {
        const response = isObject(result.response) ? result.response : {};
        const usage = bedrockHeaderUsage(response.headers);
        if (usage) headers.set(call, usage);
      });
      return result;
    };
}

async function regionOf(config: Obj): Promise<string | undefined> {
  try {
    const r = typeof config.region === 'function' ? await config.region() : config.region;
    return typeof r === 'string' && r !== '' ? r : undefined;
  } catch {
    return undefined; // the SDK reports a missing region itself
  }
}

function watchClient(client: unknown, watched: WeakSet<object>, headers: HeaderUsage): void {
  if (!isObject(client) || watched.has(client)) return;
  watched.add(client);
  const stack = client.middlewareStack as Stack | undefined;
  const config = isObject(client.config) ? client.config : {};
  stack?.add(usageMiddleware(config, headers), {
    step: 'deserialize',
    name: MIDDLEWARE_NAME,
    priority: 'high',
    override: true,
  });
}

function wrapSend(kit: PatchKit) {
  const watched = new WeakSet<object>();
  const headers: HeaderUsage = new WeakMap();
  return (original: AnyFunction): AnyFunction =>
    function send(this: unknown, ...args: unknown[]) {
      const tracker = kit.tracker();
      const command = args[0];
      const operation = tracker ? bedrockOperation(command) : undefined;
      if (!tracker || !operation) return original.apply(this, args);
      safely('watching a Bedrock client', () => watchClient(this, watched, headers));
      const input = isObject(command) ? command.input : undefined;
      const callbackAt = args.findIndex((a, i) => i > 0 && typeof a === 'function');
      const callback = callbackAt > 0 ? (args[callbackAt] as AnyFunction) : undefined;
      const sent = (): Promise<unknown> => {
        if (!callback) return original.apply(this, args) as Promise<unknown>;
        // The callback form returns nothing: the answer is taken as a promise here,
        // read first, then handed to the caller's callback as the SDK would.
        return new Promise((resolve, reject) => {
          const own = [...args];
          const settled = (err: unknown, out: unknown) => (err ? reject(err) : resolve(out));
          own[callbackAt] = settled;
          original.apply(this, own);
        });
      };
      const result = runCall(
        tracker,
        () => requestOf(operation, input, tracker),
        () => withAttempts(Call.active(), sent()),
        (call, output) => observe(operation, call, output, tracker, headers, signalOf(args[1])),
      );
      if (!callback) return result;
      result
        .then(
          (out) => callback(null, out),
          (err: unknown) => callback(err),
        )
        .catch(() => {});
      return undefined;
    };
}

/** The abort signal in send's options (`send(command, { abortSignal })`). */
function signalOf(options: unknown): Signal | undefined {
  const signal = isObject(options) ? options.abortSignal : undefined;
  // The SDK also takes its own AbortSignal polyfill: any object that says `aborted`.
  return isObject(signal) && typeof signal.aborted === 'boolean' ? (signal as Signal) : undefined;
}

/** Counts the attempts the answer (or the error) says were made, before anyone reads it. */
function withAttempts(call: Call | undefined, sent: Promise<unknown>): Promise<unknown> {
  if (!call) return sent;
  return sent.then(
    (out) => {
      safely('counting Bedrock attempts', () => countAttempts(call, out));
      return out;
    },
    (err: unknown) => {
      safely('counting Bedrock attempts', () => countAttempts(call, err));
      throw err;
    },
  );
}

export const bedrockModule: ProviderModule = {
  name: '@aws-sdk/client-bedrock-runtime',
  // Tested on 3.1164; Converse arrived in 3.58x. Older clients send the same way.
  versions: ['>=3.0.0 <4'],
  patch(moduleExports, kit) {
    const exports = (isObject(moduleExports) ? moduleExports : {}) as Obj;
    const Client = exports.BedrockRuntimeClient;
    if (typeof Client !== 'function' || !isObject(Client.prototype)) {
      diag.warn(
        'costlens: @aws-sdk/client-bedrock-runtime exports no BedrockRuntimeClient; not patched',
      );
      return;
    }
    kit.patcher.method(Client.prototype, 'send', wrapSend(kit));
  },
};
