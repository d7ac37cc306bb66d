/**
 * The one import: `node --import @costlens/instrumentation/register app.js`, or
 * `import '@costlens/instrumentation/register'` first in the entry file.
 *
 * Starts the OpenTelemetry Node SDK with OTLP/HTTP trace and metric exporters
 * (default http://localhost:4318, the costlens collector), configured by the
 * standard OTEL_* variables plus COSTLENS_*, with the AI SDKs patched and every AI
 * span kept whatever sampler OTEL_TRACES_SAMPLER names. Importing it twice starts
 * nothing twice. On SIGTERM, SIGINT and when the event loop empties, it flushes,
 * for SHUTDOWN_TIMEOUT_MS at most, and says what it could not deliver.
 */
import * as nodeModule from 'node:module';
import { diag } from '@opentelemetry/api';
import type { AggregationTemporality, InstrumentType } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resolveConfig } from './config.js';
import { type Delivery, sayUndelivered, takeOverDelivery } from './delivery.js';
import { patchLoadedSdks } from './early-import.js';
import { CostlensInstrumentation } from './instrumentation.js';
import { PROVIDER_PACKAGES } from './providers/packages.js';
import { keepGenAiSpans, readSampler } from './sampler.js';
import { registeredInstrumentation, setRegisteredInstrumentation } from './track-global.js';

/** From the moment the app would end (or is signalled) to the end of its telemetry. */
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
  // NodeSDK has set up diag from OTEL_LOG_LEVEL; else diag is silent (see sayUndelivered).
  const logLevelSet = (process.env.OTEL_LOG_LEVEL ?? '').trim() !== '';
  sdk.start();
  setRegisteredInstrumentation(instrumentation);
  patchLoadedSdks(instrumentation);

  // Each OTLP/HTTP exporter sends through a courier: nothing on its way holds the app.
  const delivery = takeOverDelivery(sdk);
  addSpanProcessor(sdk, instrumentation);
  addMetricProducers(sdk, instrumentation);

  let stopping: Promise<boolean> | undefined;
  const stop = () => {
    stopping ??= flush(sdk, delivery, logLevelSet);
    return stopping;
  };
  // The app has nothing left to do: telemetry gets SHUTDOWN_TIMEOUT_MS, and the
  // process then ends by itself, with the app's exit code.
  process.once('beforeExit', () => {
    void stop().then((done) => {
      // Past the deadline, only what was not ours to cut short (an exporter of another
      // kind, a DNS lookup) can still hold the loop of an app that was ending anyway.
      if (!done && delivery.mayHoldLoop()) process.exit();
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

/**
 * Adds the instrumentation's span processor (the AI SDK's open spans) beside the
 * exporters' processors NodeSDK built from the OTEL_* variables. NodeSDK takes
 * processors only in place of those, so it goes in the tracer provider's list,
 * which NodeSDK does not export (delivery.ts reads the same list); no list, no
 * tracer provider (OTEL_TRACES_EXPORTER=none): there are no spans to nest.
 */
function addSpanProcessor(sdk: NodeSDK, instrumentation: CostlensInstrumentation): void {
  const provider = (sdk as unknown as { _tracerProvider?: { _activeSpanProcessor?: unknown } })
    ._tracerProvider;
  const processors = (provider?._activeSpanProcessor as { _spanProcessors?: unknown } | undefined)
    ?._spanProcessors;
  if (Array.isArray(processors)) processors.push(instrumentation.spanProcessor());
  else if (provider) {
    diag.warn(
      'costlens: this OpenTelemetry SDK keeps its span processors elsewhere; AI SDK calls ' +
        'made with @ai-sdk/otel registered may be recorded twice',
    );
  }
}

/** What addMetricProducers needs of a metric reader (the SDK's MetricReader). */
interface ReaderParts {
  _metricProducers?: unknown;
  selectAggregationTemporality?: (type: InstrumentType) => AggregationTemporality;
}

/**
 * Gives each metric reader NodeSDK built from the OTEL_* variables a producer
 * of the instrumentation's metrics, with the temporality that reader asks for:
 * a call then records its histograms in the instrumentation's own sums, not
 * through the SDK's instruments (see CostlensInstrumentation.metricProducer).
 * NodeSDK takes producers only with readers built by the app, so they go in each
 * reader's list; no reader found, the SDK's instruments are used as they are.
 */
function addMetricProducers(sdk: NodeSDK, instrumentation: CostlensInstrumentation): void {
  const provider = (sdk as unknown as { _meterProvider?: { _sharedState?: unknown } })
    ._meterProvider;
  const collectors = (provider?._sharedState as { metricCollectors?: unknown } | undefined)
    ?.metricCollectors;
  if (!Array.isArray(collectors)) return;
  const readers = collectors
    .map((c) => (c as { _metricReader?: ReaderParts } | undefined)?._metricReader)
    .filter(
      (r): r is ReaderParts & { _metricProducers: unknown[] } =>
        Array.isArray(r?._metricProducers) && typeof r.selectAggregationTemporality === 'function',
    );
  // Every reader or none: a reader without a producer would get no AI metrics at all.
  if (readers.length === 0 || readers.length !== collectors.length) return;
  for (const reader of readers) {
    reader._metricProducers.push(
      instrumentation.metricProducer({
        aggregationTemporalitySelector: (type) => reader.selectAggregationTemporality!(type),
      }),
    );
  }
}

/**
 * Ends telemetry within SHUTDOWN_TIMEOUT_MS: one deadline for traces and metrics,
 * flushed together; what is still on its way then is given up, and one line says
 * what was not delivered, and where to. Resolves false when the deadline came first.
 */
async function flush(sdk: NodeSDK, delivery: Delivery, logLevelSet: boolean): Promise<boolean> {
  delivery.cutOff(Date.now() + SHUTDOWN_TIMEOUT_MS);
  let deadline: NodeJS.Timeout | undefined;
  // The one timer that keeps the process alive while telemetry is flushed.
  const outOfTime = new Promise<false>((done) => {
    deadline = setTimeout(done, SHUTDOWN_TIMEOUT_MS, false);
  });
  const flushed = sdk
    .shutdown()
    .catch((err) => diag.error('costlens: flushing telemetry failed', err))
    .then(() => delivery.idle())
    .then(() => true);
  const done = await Promise.race([flushed, outOfTime]);
  clearTimeout(deadline);
  delivery.abandon();
  const line = delivery.undeliveredLine();
  if (line) sayUndelivered(line, logLevelSet);
  return done;
}

if (!registeredInstrumentation()) {
  try {
    start();
  } catch (err) {
    // Telemetry never stops the app: it runs, unobserved, and says why.
    console.error(`costlens: telemetry is off: ${(err as Error).message}`);
  }
}
