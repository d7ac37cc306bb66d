import { diag } from '@opentelemetry/api';
import type { Call } from './call.js';
import type { CallOutcome } from './types.js';

/**
 * Streams observed chunk by chunk: every chunk is read into the call as it
 * reaches the app, and the call ends once, however the stream ends.
 */

export interface ChunkObserver<T> {
  /** Folds one chunk into the stream's state; kept cheap, it runs on every chunk. */
  onChunk(chunk: T): void;
  /** What the chunks said, read once when the call ends (done, broken off or failed). */
  outcome(): CallOutcome | undefined;
  /** A chunk the caller never asked for (OpenAI's usage chunk we requested): read, not passed on. */
  hide?(chunk: T): boolean;
}

/**
 * OLD_SPACE_CLOSURES: a function written straight into a property
 * (`obj.f = function () {}`, `this.f = () => {}`, `a[i] = ...`) is allocated by V8
 * in the old generation, a parser guess that such a function lives long. Made per
 * call, each one then outlives its call until the next full collection, and keeps
 * what it reaches (the call, its span, the SDK's stream) alive through every young
 * collection. So a per-call function is made in a local first, then stored.
 * Measured on the streamed bench call: the young generation's survivors fell from
 * 1,200 to 630 kB a collection, and collection from about 22 to 13 µs a call.
 */

/**
 * Wraps an async iterator so that every chunk is read into the call and the call
 * ends exactly once: when the stream is done, when the caller breaks off early
 * (`return()`), or when it fails mid-way; what usage was reported by then is kept.
 * `holder`, when given, is an object already watched for this call (the SDK's
 * stream), which the iterator keeps alive (see OpenStreams).
 */
export function observeIterator<T>(
  inner: AsyncIterator<T>,
  call: Call,
  observer: ChunkObserver<T>,
  holder?: object,
): AsyncIterableIterator<T> {
  const wrapped = new ObservedIterator(inner, call, observer, holder);
  // Never iterated, or dropped half-way: the call still ends (OpenStreams). A
  // holder given is watched already, and the iterator keeps it alive while the
  // app holds either: one registration a stream, not two.
  if (holder === undefined) call.holdUntilRead(wrapped, () => observer.outcome());
  return wrapped;
}

/**
 * The iterator handed to the app: one object a stream with its methods on the
 * class, rather than an object literal and its closures made for every stream.
 *
 * `next()` is not an async function: it hands the app the inner iterator's own
 * promise and reads the chunk in a reaction added before the app's, so a chunk
 * costs one reaction rather than an async frame, its promise and an await (the
 * allocation profile of the streamed bench call put those at 3.5 kB a stream).
 * Only when a chunk may be hidden from the app does it return a derived promise.
 */
class ObservedIterator<T> implements AsyncIterableIterator<T> {
  /** The two reactions of every step, made once a stream. */
  private readonly onStep: (
    step: IteratorResult<T>,
  ) => IteratorResult<T> | Promise<IteratorResult<T>>;
  private readonly onError: (err: unknown) => IteratorResult<T>;

  constructor(
    private readonly inner: AsyncIterator<T>,
    private readonly call: Call,
    private readonly observer: ChunkObserver<T>,
    /** Kept only to keep it alive while the app holds this iterator. */
    readonly holder: object | undefined,
  ) {
    // Not `this.onStep = (step) => ...`: see OLD_SPACE_CLOSURES.
    const onStep = (step: IteratorResult<T>) => this.seen(step);
    const onError = (err: unknown) => this.failed(err);
    this.onStep = onStep;
    this.onError = onError;
  }

  // One optional argument, not a rest parameter: no array made and spread per chunk.
  next(value?: unknown): Promise<IteratorResult<T>> {
    this.call.reading(true);
    let step: Promise<IteratorResult<T>>;
    try {
      step = Promise.resolve(value === undefined ? this.inner.next() : this.inner.next(value));
    } catch (err) {
      // An iterator that throws rather than rejecting: the caller still gets a rejection.
      this.failed(err, false);
      return Promise.reject(err);
    }
    // The app's own promise, read on the side: nothing is hidden from it.
    if (this.observer.hide === undefined) {
      step.then(this.onStep, this.onError);
      return step;
    }
    return step.then(this.onStep, this.onError);
  }

  /**
   * Reads a step before the app does and ends the call at the last; a chunk the
   * app is not to see is passed over for the next (then the app has a derived
   * promise). Never throws: on the side, a throw would be an unhandled rejection.
   */
  private seen(step: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> {
    this.call.reading(false);
    try {
      if (step.done) this.close(undefined);
      else if (this.read(step.value)) return this.next();
    } catch (err) {
      diag.error('costlens: reading a stream step failed', err);
    }
    return step;
  }

  /** The stream failed: the call ends failed, and the app's promise still rejects with it. */
  private failed(err: unknown, rethrow = this.observer.hide !== undefined): IteratorResult<T> {
    this.call.reading(false);
    this.close(err ?? new Error('stream failed'));
    if (!rethrow) return { done: true, value: undefined };
    throw err;
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    try {
      const inner = this.inner;
      return inner.return ? await inner.return(value) : { done: true, value: value as T };
    } finally {
      this.close(undefined);
    }
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    if (!this.inner.throw) {
      this.close(error ?? new Error('stream failed'));
      throw error;
    }
    try {
      return await this.inner.throw(error);
    } catch (err) {
      this.close(err ?? new Error('stream failed'));
      throw err;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the call once; never throws (it runs in reactions whose promise nobody awaits). */
  private close(error: unknown): void {
    const call = this.call;
    if (call.ended) return;
    try {
      call.update(this.observer.outcome());
    } catch (err) {
      diag.error('costlens: reading a stream failed', err);
    }
    try {
      if (error === undefined) call.end();
      else call.fail(error);
    } catch (err) {
      diag.error('costlens: could not end a stream', err);
    }
  }

  /** Reads one chunk into the call; whether the app is not to see it. */
  private read(chunk: T): boolean {
    try {
      this.call.chunk();
      this.observer.onChunk(chunk);
      return this.observer.hide?.(chunk) === true;
    } catch (err) {
      diag.error('costlens: reading a stream chunk failed', err);
      return false;
    }
  }
}

/**
 * Observes a Stainless SDK stream (openai, @anthropic-ai/sdk) in place: its
 * `iterator` factory is wrapped on the instance, so the caller keeps the SDK's own
 * Stream object with `tee()`, `toReadableStream()`, `controller`, and a second
 * iteration still fails as the SDK makes it fail.
 */
export function observeSdkStream<T>(stream: unknown, call: Call, observer: ChunkObserver<T>): void {
  const s = stream as { iterator?: unknown };
  if (typeof s?.iterator !== 'function') {
    diag.warn(
      'costlens: this SDK version streams in a way costlens does not know; usage is not read',
    );
    call.end();
    return;
  }
  const original = s.iterator as (this: unknown) => AsyncIterator<T>;
  // Not `s.iterator = function ...`: see OLD_SPACE_CLOSURES.
  // `this`, not `s`: a closure here that named `s` would keep it alive from the
  // watch's `read` below (closures of one scope share their variables), and a
  // stream dropped unread would never be seen released.
  const observedIterator = function observedIterator(this: object) {
    return observeIterator(original.call(this), call, observer, this);
  };
  s.iterator = observedIterator;
  call.holdUntilRead(s, () => observer.outcome());
}
