import type { Store } from '../store/store.js';

const DAY_MS = 86_400_000;

/**
 * Removes raw calls older than `days` in small chunks, yielding to the event
 * loop between them so exports keep flowing; hourly rollups stay. Runs now and
 * then every `everyMs`. Returns a function that stops it.
 */
export function startRetention(store: Store, days: number, everyMs = 3_600_000): () => void {
  let stopped = false;
  let running = false;
  const pass = () => {
    if (stopped || running) return;
    running = true;
    const cutoff = Date.now() - days * DAY_MS;
    const step = () => {
      if (stopped) return;
      if (store.pruneCalls(cutoff) === 5000) setImmediate(step);
      else running = false;
    };
    step();
  };
  pass();
  const timer = setInterval(pass, everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
