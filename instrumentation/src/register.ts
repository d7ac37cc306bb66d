/**
 * The one import: `node --import @costlens/instrumentation/register app.js`, or
 * `import '@costlens/instrumentation/register'` first in the entry file.
 *
 * Starts the OpenTelemetry Node SDK with OTLP/HTTP trace and metric exporters
 * (default http://localhost:4318, the costlens collector), configured by the
 * standard OTEL_* variables plus COSTLENS_*, with the AI SDKs patched and every AI
 * span kept whatever sampler OTEL_TRACES_SAMPLER names. Importing it twice starts
 * nothing twice. On SIGTERM, SIGINT and when the event loop empties, it flushes.
 */
import * as nodeModule from 'node:module';
import { diag } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resolveConfig } from './config.js';
import { patchLoadedSdks } from './early-import.js';
import { CostlensInstrumentation } from './instrumentation.js';
import { PROVIDER_PACKAGES } from './providers/packages.js';
import { keepGenAiSpans, readSampler } from './sampler.js';
import { registeredInstrumentation, setRegisteredInstrumentation } from './track-global.js';

const SHUTDOWN_TIMEOUT_MS = 5_000;

function start(): void {
  // ESM apps: the loader hook lets the instrumentation see `import 'openai'`.
  // Only the AI SDKs are intercepted; every other module loads untouched.
  nodeModule.register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: PROVIDER_PACKAGES },
  });
  // A malformed variable does not stop anything: its default is used, and the
  // line that says so waits until the SDK has set up diag (OTEL_LOG_LEVEL).
  const malformed: string[] = [];
  const note = (message: string) => void malformed.push(message);
  const instrumentation = new CostlensInstrumentation(resolveConfig({}, process.env, note));
  const sdk = new NodeSDK({
    sampler: keepGenAiSpans(readSampler(process.env, note)),
    instrumentations: [instrumentation],
    // Logs are not ours to send; traces and metrics are.
    logRecordProcessors: [],
  });
  for (const message of malformed) diag.warn(message);
  sdk.start();
  setRegisteredInstrumentation(instrumentation);
  patchLoadedSdks(instrumentation);

  let stopping: Promise<boolean> | undefined;
  /** Flushes; resolves false when SHUTDOWN_TIMEOUT_MS ran out first. */
  const stop = () => {
    stopping ??= Promise.race([
      sdk.shutdown().then(() => true),
      new Promise<boolean>((done) => setTimeout(done, SHUTDOWN_TIMEOUT_MS, false).unref()),
    ]).catch((err) => {
      diag.error('costlens: flushing telemetry failed', err);
      return true;
    });
    return stopping;
  };
  // The app has nothing left to do. An exporter that cannot reach the collector
  // retries for up to its own timeout (10 s by default), which would keep the
  // process alive that long: past ours, the app ends as it was about to.
  process.once('beforeExit', () => {
    void stop().then((flushed) => {
      if (!flushed) process.exit();
    });
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stop().then(() => {
        // The app did not handle the signal itself: end as the signal would have.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
}

if (!registeredInstrumentation()) {
  try {
    start();
  } catch (err) {
    // Telemetry never stops the app: it runs, unobserved, and says why.
    console.error(`costlens: telemetry is off: ${(err as Error).message}`);
  }
}
