import { setTimeout as sleep } from 'node:timers/promises';
import { context, diag } from '@opentelemetry/api';
import type { Call, CallTracker } from './call.js';
import type { CallType } from './semconv.js';
import type { TrackedCall, TrackMeta } from './types.js';
import { safely } from './wrap.js';

const OPERATION_OF: Record<CallType, string> = {
  text: 'chat',
  embedding: 'embeddings',
  image: 'image_generation',
  video: 'video_generation',
  audio: 'chat',
  other: 'chat',
};

function checkMeta(meta: TrackMeta<unknown>): void {
  if (meta === null || typeof meta !== 'object') {
    throw new TypeError(
      'track(meta, fn): meta must be an object such as { provider: "openai", model: "gpt-4o" }',
    );
  }
  for (const key of ['provider', 'model'] as const) {
    if (typeof meta[key] !== 'string' || meta[key] === '') {
      throw new TypeError(`track(meta, fn): meta.${key} must be a non-empty string`);
    }
  }
  const attempts = meta.retry?.attempts;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1)) {
    throw new RangeError(
      `track(meta, fn): meta.retry.attempts is ${attempts}; it counts every attempt, the first included, so it is a whole number of at least 1`,
    );
  }
}

/**
 * Runs `fn` as one tracked call. With `meta.retry`, a throwing `fn` is run again
 * up to `attempts` times in all, and every attempt counts in `costlens.retry.count`;
 * callers that retry by themselves call `call.attempt()` instead.
 */
export async function runTracked<T>(
  tracker: CallTracker,
  meta: TrackMeta<T>,
  fn: (call: TrackedCall) => T | Promise<T>,
): Promise<T> {
  checkMeta(meta as TrackMeta<unknown>);
  if (typeof fn !== 'function')
    throw new TypeError('track(meta, fn): fn must be the function that makes the call');
  const callType = meta.callType ?? 'text';
  let call: Call | undefined;
  try {
    call = tracker.start({
      provider: meta.provider,
      model: meta.model,
      operation: meta.operation ?? OPERATION_OF[callType],
      callType,
      stream: meta.stream,
      serverAddress: meta.serverAddress,
      serverPort: meta.serverPort,
      usage: meta.usage,
      prompt: meta.prompt,
      attribution: meta.attribution,
    });
  } catch (err) {
    // Telemetry never stops the call: it runs (and retries) unrecorded.
    diag.error('costlens: could not start a tracked call; running it unrecorded', err);
  }
  const handle = call ? handleOf(call) : UNRECORDED;
  const run = call ? () => context.with(call.context, () => fn(handle)) : () => fn(handle);
  const attempts = meta.retry?.attempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await run();
      if (call && meta.extract) safely('track extract', () => call.update(meta.extract!(result)));
      call?.end();
      return result;
    } catch (err) {
      const retryOn = meta.retry?.retryOn ?? (() => true);
      if (attempt >= attempts || !retryOn(err)) {
        call?.fail(err);
        throw err;
      }
      const delay = meta.retry?.delayMs;
      const ms = typeof delay === 'function' ? delay(attempt + 1) : (delay ?? 0);
      if (ms > 0) await sleep(ms);
      call?.attempt();
    }
  }
}

const UNRECORDED: TrackedCall = { attempt() {}, report() {}, firstChunk() {} };

function handleOf(call: Call): TrackedCall {
  return {
    attempt: () => call.attempt(),
    report: (outcome) => call.update(outcome),
    firstChunk: () => call.firstChunk(),
  };
}
