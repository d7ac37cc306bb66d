import type { Call } from '../call.js';
import { safely } from '../wrap.js';
import { accumulatePart, isPreamble, type StreamState, streamOutcome } from './ai-sdk-extract.js';

/**
 * The stream of a `doStream` result, read part by part on its way to the AI SDK.
 * The call ends exactly once: when the stream is done, when its reader cancels it
 * (the app stopped early, or aborted), or when it fails; what usage was reported
 * by then is kept. An `error` part (a failure the provider reported inside the
 * stream) fails the call at its end, with the usage the stream still gave.
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
      if (!isPreamble(part)) call.firstChunk();
      accumulatePart(state, part);
    });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch (err) {
          close(err ?? new Error('the model stream failed'));
          throw err;
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
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('the call was aborted');
}
