import { CostlensInstrumentation } from './instrumentation.js';
import type { TrackedCall, TrackMeta } from './types.js';

/** Where `register` leaves the instrumentation it started; also its idempotence sentinel. */
export const REGISTERED = Symbol.for('@costlens/instrumentation.registered');

type Holder = { [REGISTERED]?: CostlensInstrumentation };

export function registeredInstrumentation(): CostlensInstrumentation | undefined {
  return (globalThis as Holder)[REGISTERED];
}

export function setRegisteredInstrumentation(instrumentation: CostlensInstrumentation): void {
  (globalThis as Holder)[REGISTERED] = instrumentation;
}

// Apps that run their own NodeSDK without register still get track(): it then uses
// the globally registered tracer and meter providers, as any instrumentation would.
let fallback: CostlensInstrumentation | undefined;

/**
 * Records a call made with any client (see CostlensInstrumentation#track), with the
 * instrumentation that `@costlens/instrumentation/register` started, or else with
 * the global OpenTelemetry providers.
 *
 *   const out = await track({ provider: 'cloudflare', model: '@cf/meta/llama-3.1-8b-instruct',
 *     extract: (r) => ({ usage: { input_tokens: r.usage.prompt_tokens } }) }, () => callWorkersAi());
 */
export function track<T>(
  meta: TrackMeta<T>,
  fn: (call: TrackedCall) => T | Promise<T>,
): Promise<T> {
  const registered = registeredInstrumentation();
  if (registered) return registered.track(meta, fn);
  fallback ??= new CostlensInstrumentation({ enabled: false });
  return fallback.track(meta, fn);
}
