import type { Call } from '../call.js';
import { safely } from '../wrap.js';
import { accumulatePart, isPreamble, type StreamState, streamOutcome } from './ai-sdk-extract.js';

/**
 * The stream of a `doStream` result, read part by part on its way to the AI SDK.
 * The call ends exactly once: when the stream is done, when its reader cancels it
 * (the app stopped early, or aborted), when it fails, or when nobody reads it any
 * more (released or idle, see OpenStreams); what usage was reported by then is
 * kept. An `error` part (a failure the provider reported inside the stream) fails
 * the call at its end, with the usage the stream still gave.
 */
export function observeModelStream<T>(
  inner: ReadableStream<T>,
  call: Call,
  state: StreamState,
  signal?: AbortSignal,
): ReadableStream<T> {
  const reader = inner.getReader();
  // The AI SDK cancels an aborted stream without a reason, as it cancels one it
  // no longer needs: the signal the call was given tells them apart, and ends
  // the call when the app aborts even if nobody reads the stream any more.
  const onAbort = () => close(abortReason(signal));
  const close = (error?: unknown) => {
    signal?.removeEventListener('abort', onAbort);
    if (call.ended) return;
    safely('reading a model stream', () => call.update(streamOutcome(state)));
    const failure = error ?? state.error;
    if (failure === undefined) call.end();
    else call.fail(failure);
  };
  const read = (part: T) =>
    safely('reading a model stream part', () => {
      if (!isPreamble(part)) call.chunk();
      accumulatePart(state, part);
    });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const observed = new ReadableStream<T>(
    {
      async pull(controller) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        call.reading(true);
        try {
          step = await reader.read();
        } catch (err) {
          close(err ?? new Error('the model stream failed'));
          throw err;
        } finally {
          call.reading(false);
        }
        if (step.done) {
          close();
          controller.close();
          return;
        }
        read(step.value);
        controller.enqueue(step.value);
      },
      async cancel(reason) {
        try {
          await reader.cancel(reason);
        } finally {
          close(signal?.aborted ? abortReason(signal) : undefined);
        }
      },
    },
    // Read a part only when the AI SDK asks for one: no buffering of ours.
    { highWaterMark: 0 },
  );
  // A stream nobody reads to its end (an app that drops a streamText result, a
  // doStream whose stream is never read) still ends its call: when released or idle.
  call.holdUntilRead(observed, () => streamOutcome(state));
  return observed;
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('the call was aborted');
}
