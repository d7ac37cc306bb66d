import { context, diag } from '@opentelemetry/api';
import type { Call, CallRequest, CallTracker } from './call.js';
import type { AnyFunction, Patcher } from './patcher.js';

/**
 * The two ways a patched SDK method is observed, written once for every provider:
 * a call whose result is a value, and a stream whose chunks arrive over time.
 * Telemetry never changes the call: the SDK's own return object is handed back,
 * its errors reach the caller unchanged, and a failure of ours is logged and dropped.
 */

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function';

/** Runs `fn`, logging instead of throwing: our bugs must never reach the app. */
export function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.error(`costlens: ${what} failed`, err);
  }
}

/**
 * Calls `invoke` (the original SDK method) inside a new call's context and hands
 * its return value back as it is. When that value settles, `observe` reads it and
 * decides when the call ends: at once for a plain response (it calls `call.end()`),
 * later for a stream. If no call can be started, the SDK runs unobserved.
 */
export function runCall<R>(
  tracker: CallTracker,
  request: () => CallRequest,
  invoke: () => R,
  observe: (call: Call, value: Awaited<R>) => void,
): R {
  let call: Call;
  try {
    call = tracker.start(request());
  } catch (err) {
    diag.error('costlens: could not start a call; running it unobserved', err);
    return invoke();
  }
  let result: R;
  try {
    result = context.with(call.context, invoke);
  } catch (err) {
    call.fail(err);
    throw err;
  }
  try {
    if (isStainlessPromise(result)) {
      observeApiPromise(
        tracker.patcher,
        call,
        result,
        observe as (call: Call, value: unknown) => void,
      );
    } else if (isThenable(result)) {
      // A second reader of the SDK's promise: the caller's own `await` still gets
      // the very same object and outcome.
      result.then(
        (value) => settle(call, value as Awaited<R>, observe),
        (err: unknown) => call.fail(err),
      );
    } else {
      settle(call, result as Awaited<R>, observe);
    }
  } catch (err) {
    // The SDK's call is under way: it must reach the caller whatever happened here.
    diag.error('costlens: could not watch a response; the call is recorded without it', err);
    call.end();
  }
  return result;
}

/** The lazy promise of the Stainless SDKs (openai, @anthropic-ai/sdk): it parses the body only when read. */
interface StainlessPromise {
  responsePromise: Promise<unknown>;
  parseResponse: (...args: unknown[]) => unknown;
  asResponse: () => Promise<unknown>;
  parsedPromise?: unknown;
  _thenUnwrap?: (
    transform: (value: unknown, ...args: unknown[]) => unknown,
    ...rest: unknown[]
  ) => unknown;
}

function isStainlessPromise(v: unknown): v is StainlessPromise {
  const p = v as Partial<StainlessPromise> | null;
  return (
    isThenable(v) &&
    typeof p?.parseResponse === 'function' &&
    typeof p.asResponse === 'function' &&
    isThenable(p.responsePromise)
  );
}

/** What is being watched of one APIPromise; kept beside it, not on it (see observeApiPromise). */
interface Watched {
  call: Call;
  observe: (call: Call, value: unknown) => void;
  /** The SDK has begun parsing the body for the caller. */
  parsing: boolean;
  /** The caller took the raw response (`asResponse()`) before any parse. */
  raw: boolean;
  /** The SDK's own methods, put back once the value is seen (see answered). */
  readonly parseResponse: StainlessPromise['parseResponse'];
  thenUnwrap: StainlessPromise['_thenUnwrap'];
}

/** Where the watch hangs: on our own `parseResponse` wrapper, not on the promise. */
const WATCHED = Symbol('costlens.watched');

/**
 * Observes an APIPromise without reading it: reading it ourselves would consume
 * the body that `.asResponse()` hands the caller. The response is seen when the
 * SDK parses it for the caller (`await`, `.withResponse()`, `.parse()` helpers that
 * derive a new promise); a caller who takes the raw response before any parse
 * ends the call there, without usage. A request that fails ends it at once.
 *
 * No property is added to the promise: a new own property changes the hidden
 * class of every APIPromise and slows the SDK's own code (measured: ~25 µs a
 * call). `parseResponse` (and openai 7's `_thenUnwrap`) are own properties
 * already and are replaced in place; `asResponse` is wrapped on the class (see watchClass).
 */
function observeApiPromise(
  patcher: Patcher,
  call: Call,
  p: StainlessPromise,
  observe: (call: Call, value: unknown) => void,
): void {
  const parseResponse = p.parseResponse;
  const w: Watched = {
    call,
    observe,
    parsing: false,
    raw: false,
    parseResponse,
    thenUnwrap: undefined,
  };
  // Promises derived from this one (openai 7's helpers), whose reading the app may ask for.
  let derived: StainlessPromise[] | undefined;
  watchClass(patcher, Object.getPrototypeOf(p) as object | null);
  const observedParse = function observedParse(this: unknown, ...args: unknown[]) {
    w.parsing = true;
    const out = parseResponse.apply(this, args);
    Promise.resolve(out).then(
      (value) => answered(p, w, value),
      (err: unknown) => call.fail(err),
    );
    return out;
  };
  (observedParse as { [WATCHED]?: Watched })[WATCHED] = w;
  p.parseResponse = observedParse;
  // openai 7 derives the promises of helpers such as `chat.completions.parse()`
  // without going through `parseResponse`: the value is seen on its way.
  if (Object.hasOwn(p, '_thenUnwrap') && typeof p._thenUnwrap === 'function') {
    const thenUnwrap = p._thenUnwrap;
    w.thenUnwrap = thenUnwrap;
    // A local first, then the property: see OLD_SPACE_CLOSURES in stream-observer.ts.
    const observedThenUnwrap: typeof thenUnwrap = function (this: unknown, transform, ...rest) {
      const out = thenUnwrap.call(
        this,
        (value: unknown, ...args: unknown[]) => {
          w.parsing = true;
          answered(p, w, value);
          return transform(value, ...args);
        },
        ...rest,
      );
      if (isStainlessPromise(out)) {
        derived ??= [];
        derived.push(out);
      }
      return out;
    };
    p._thenUnwrap = observedThenUnwrap;
  }
  p.responsePromise.then(
    (props: unknown) => {
      if (call.ended || w.parsing || w.raw || p.parsedPromise !== undefined) return;
      if (derived) for (const r of derived) if (r.parsedPromise !== undefined) return;
      safely('reading an unread response', () => readUnread(w, p, props));
    },
    (err: unknown) => call.fail(err),
  );
}

/**
 * The promise's value was seen: the call reads it, and the SDK's own methods go
 * back on the promise, which then no longer reaches the call. openai 7 gives
 * each promise methods of its own that point back at it, and V8 makes those in
 * the old generation (see OLD_SPACE_CLOSURES in stream-observer.ts): the promise
 * outlives the call until a full collection, and with our wrappers on it so did
 * the call and all it reaches (measured on openai 7's bench call: the young
 * generation's survivors fell from 1,800 to 810 kB a collection).
 */
function answered(p: StainlessPromise, w: Watched, value: unknown): void {
  settle(w.call, value, w.observe);
  p.parseResponse = w.parseResponse;
  if (w.thenUnwrap) p._thenUnwrap = w.thenUnwrap;
}

/**
 * The response arrived and the app has not asked for it (yet, or ever). A body
 * is not left to decide when the call ends: a JSON answer is read from a copy
 * (the app can still read its own) and the call ends now; a stream is held
 * until it is read, released or idle (OpenStreams).
 */
function readUnread(w: Watched, holder: StainlessPromise, props: unknown): void {
  const { call } = w;
  const p = props as { options?: { stream?: unknown }; response?: unknown } | null;
  if (p?.options?.stream === true) {
    call.holdUntilRead(holder);
    return;
  }
  const response = p?.response as Partial<Response> | undefined;
  const type = response?.headers?.get?.('content-type') ?? '';
  if (
    typeof response?.clone !== 'function' ||
    response.bodyUsed ||
    response.status === 204 ||
    !/json/i.test(type)
  ) {
    call.end();
    return;
  }
  response
    .clone()
    .json()
    .then(
      (body: unknown) => {
        // Read by the app meanwhile: the SDK's own parse says it (and ends the call).
        if (!w.parsing) answered(holder, w, body);
      },
      () => call.end(),
    );
}

/**
 * Wraps `asResponse` of an APIPromise class, through the patcher so that
 * disabling puts it back; already wrapped, it is left as it is (the patcher's
 * check, cheap enough for every call). The wrapper acts only for watched promises.
 */
function watchClass(patcher: Patcher, proto: object | null): void {
  if (proto) patcher.method(proto, 'asResponse', observeAsResponse);
}

function observeAsResponse(asResponse: AnyFunction): AnyFunction {
  return function observedAsResponse(this: StainlessPromise) {
    const raw = asResponse.call(this) as Promise<unknown>;
    const w = (this.parseResponse as { [WATCHED]?: Watched })[WATCHED];
    if (w && !w.parsing && this.parsedPromise === undefined) {
      w.raw = true;
      raw.then(
        () => {
          if (!w.parsing) w.call.end();
        },
        () => {},
      );
    }
    return raw;
  };
}

/**
 * Sees the value an SDK method resolves to when the app reads it (a poll of a
 * job), with no call of its own. An APIPromise is not read for it: its
 * `parseResponse` is replaced in place, as observeApiPromise does.
 */
export function whenRead(result: unknown, see: (value: unknown) => void): void {
  const look = (value: unknown) => safely('reading a polled job', () => see(value));
  if (isStainlessPromise(result)) {
    const parseResponse = result.parseResponse;
    // A local first, then the property: see OLD_SPACE_CLOSURES in stream-observer.ts.
    const seenParse = function seenParse(this: unknown, ...args: unknown[]) {
      const out = parseResponse.apply(this, args);
      Promise.resolve(out).then(look, () => {});
      return out;
    };
    result.parseResponse = seenParse;
  } else if (isThenable(result)) {
    result.then(look, () => {});
  }
}

function settle<V>(call: Call, value: V, observe: (call: Call, value: V) => void): void {
  try {
    observe(call, value);
  } catch (err) {
    diag.error('costlens: could not read a response', err);
    call.end();
  }
}

// The stream side (ChunkObserver, observeIterator, observeSdkStream) lives in stream-observer.ts.
export { type ChunkObserver, observeIterator, observeSdkStream } from './stream-observer.js';
