/**
 * How register's telemetry leaves the process. NodeSDK builds the span processor,
 * the metric reader and their OTLP/HTTP exporters from the OTEL_* variables; the
 * exporters' own transport retries for up to 10 s with timers and sockets that
 * hold the event loop, and the processor and reader wait for it with timers of
 * their own, so an app whose work was done could not end while a batch was on its
 * way (and never did while metric exports kept failing). Each OTLP/HTTP exporter
 * found gets a Courier as its transport instead: the same requests, retries and
 * timeout, none of it holding the app. Exporters of another kind (console, zipkin,
 * gRPC) are left as they are.
 *
 * The SDK's objects keep what is needed in fields it does not export (NodeSDK's
 * providers, their processors and readers, the exporters' delegate and transport):
 * each step is checked, and an exporter not found where expected is left alone.
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import {
  Courier,
  count,
  type ExportResponse,
  type HttpParameters,
  lookupsUnderWay,
  type Undelivered,
} from './courier.js';

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null;
const fields = (v: unknown, ...path: string[]): unknown => {
  let at = v;
  for (const name of path) at = isObject(at) ? at[name] : undefined;
  return at;
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Taken {
  courier: Courier;
  noun: 'spans' | 'metric points';
}

export interface Delivery {
  /** From now on nothing is sent past `deadline`. */
  cutOff(deadline: number): void;
  /** Resolves once every batch handed over was delivered or given up. */
  idle(): Promise<void>;
  /** Gives up what is still being sent. */
  abandon(): void;
  /** The line that says what was not delivered since the app started; undefined when all was. */
  undeliveredLine(): string | undefined;
  /** Whether something not ours to cut short may still hold the event loop: another kind of exporter, or a DNS lookup. */
  mayHoldLoop(): boolean;
}

/** Gives every OTLP/HTTP exporter of a started NodeSDK a courier. */
export function takeOverDelivery(sdk: object): Delivery {
  const taken: Taken[] = [];
  let leftAlone = 0;

  const processors = list(
    fields(sdk, '_tracerProvider', '_activeSpanProcessor', '_spanProcessors'),
  );
  for (const processor of processors) {
    const flushes = isObject(processor) && typeof processor.forceFlush === 'function';
    const courier = flushes ? takeOver(processor._exporter, 'spans', spanCount) : undefined;
    if (!courier || !isObject(processor)) {
      leftAlone++;
      continue;
    }
    taken.push({ courier, noun: 'spans' });
    // forceFlush() still means "delivered" (the batch span processor does not ask its exporter).
    const forceFlush = processor.forceFlush as () => Promise<void>;
    processor.forceFlush = () => forceFlush.call(processor).then(() => courier.idle());
  }

  const collectors = list(fields(sdk, '_meterProvider', '_sharedState', 'metricCollectors'));
  for (const collector of collectors) {
    const exporter = fields(collector, '_metricReader', '_exporter');
    const flushes = isObject(exporter) && typeof exporter.forceFlush === 'function';
    const courier = flushes ? takeOver(exporter, 'metric points', pointCount) : undefined;
    if (!courier || !isObject(exporter)) {
      leftAlone++;
      continue;
    }
    taken.push({ courier, noun: 'metric points' });
    // The periodic reader asks its exporter to flush when it is flushed or shut down.
    const forceFlush = exporter.forceFlush as () => Promise<void>;
    exporter.forceFlush = () => forceFlush.call(exporter).then(() => courier.idle());
  }
  if (leftAlone > 0) diag.debug(`costlens: ${leftAlone} exporter(s) left to send by themselves`);

  return {
    cutOff: (deadline) => {
      for (const { courier } of taken) courier.cutOff(deadline);
    },
    idle: () => Promise.all(taken.map(({ courier }) => courier.idle())).then(() => {}),
    abandon: () => {
      for (const { courier } of taken) courier.abandon();
    },
    undeliveredLine: () => undeliveredLine(taken),
    mayHoldLoop: () => leftAlone > 0 || lookupsUnderWay() > 0,
  };
}

/**
 * Puts a courier in place of an OTLP/HTTP exporter's transport (OTLPExporterBase
 * -> its delegate -> the retrying transport -> the HTTP transport and its
 * parameters). Undefined, and the exporter untouched, for any other exporter.
 */
function takeOver(
  exporter: unknown,
  noun: Taken['noun'],
  itemsOf: (batch: unknown) => number | undefined,
): Courier | undefined {
  try {
    return install(exporter, noun, itemsOf);
  } catch (err) {
    diag.debug('costlens: an exporter could not be given a courier', err);
    return undefined;
  }
}

function install(
  exporter: unknown,
  noun: Taken['noun'],
  itemsOf: (batch: unknown) => number | undefined,
): Courier | undefined {
  const delegate = fields(exporter, '_delegate');
  const params = fields(delegate, '_transport', '_transport', '_parameters');
  if (
    !isObject(exporter) ||
    typeof exporter.export !== 'function' ||
    !isObject(delegate) ||
    typeof delegate.export !== 'function' ||
    !isObject(params) ||
    typeof params.url !== 'string' ||
    typeof params.headers !== 'function' ||
    typeof params.agentFactory !== 'function'
  ) {
    return undefined;
  }
  const courier = new Courier(params as unknown as HttpParameters, noun);
  // The delegate serialises a batch and gives it to its transport in the same turn:
  // the number of items in it is passed along that way.
  let handed: number | undefined;
  const exportBatch = exporter.export as (items: unknown, done: unknown) => void;
  exporter.export = (items: unknown, done: unknown) => {
    handed = itemsOf(items);
    try {
      exportBatch.call(exporter, items, done);
    } finally {
      handed = undefined;
    }
  };
  delegate._transport = {
    send(data: Uint8Array, timeoutMs: number): Promise<ExportResponse> {
      const items = handed;
      handed = undefined;
      return courier.send(data, timeoutMs, items);
    },
    shutdown() {},
  };
  // The collector's answer may be a partial success: the delegate says so through diag.
  const serializer = fields(delegate, '_serializer');
  const handler = fields(delegate, '_responseHandler');
  const deserialize = fields(serializer, 'deserializeResponse');
  const handle = fields(handler, 'handleResponse');
  if (typeof deserialize === 'function' && typeof handle === 'function') {
    courier.onAnswer = (data) => {
      try {
        handle.call(handler, deserialize.call(serializer, data));
      } catch {
        // An answer that cannot be read changes nothing: the batch was taken.
      }
    };
  }
  return courier;
}

function spanCount(items: unknown): number | undefined {
  return Array.isArray(items) ? items.length : undefined;
}

/** The data points of a ResourceMetrics: each series of each metric. */
function pointCount(items: unknown): number | undefined {
  const scopes = fields(items, 'scopeMetrics');
  if (!Array.isArray(scopes)) return undefined;
  let points = 0;
  for (const scope of scopes) {
    for (const metric of list(fields(scope, 'metrics'))) {
      const dataPoints = fields(metric, 'dataPoints');
      if (!Array.isArray(dataPoints)) return undefined;
      points += dataPoints.length;
    }
  }
  return points;
}

/** The endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT names it, when the URL is its signal path. */
const endpointOf = (url: string) => url.replace(/\/v1\/(?:traces|metrics)$/, '');

function undeliveredLine(taken: Taken[]): string | undefined {
  return describeUndelivered(
    taken.map(({ courier, noun }) => ({ noun, ...courier.undelivered() })),
  );
}

/**
 * `costlens: 3 spans and 12 metric points not delivered to http://localhost:4318
 * (connect ECONNREFUSED); is the collector running?`; undefined when everything
 * was delivered. A batch whose size was not known is counted as an export ("2 span
 * exports").
 */
export function describeUndelivered(
  undelivered: (Undelivered & { noun: Taken['noun'] })[],
): string | undefined {
  const parts = undelivered
    .filter((u) => u.batches > 0)
    .map((u) => ({
      what:
        u.uncounted === 0
          ? count(u.items, u.noun)
          : count(u.batches, u.noun === 'spans' ? 'span exports' : 'metric exports'),
      to: endpointOf(u.url),
      reason: u.last?.reason ?? 'no answer',
      unreachable: u.last?.unreachable ?? true,
    }));
  if (parts.length === 0) return undefined;
  const hint = parts.some((p) => p.unreachable) ? '; is the collector running?' : '';
  const first = parts[0]!;
  if (parts.every((p) => p.to === first.to && p.reason === first.reason)) {
    const what = parts.map((p) => p.what).join(' and ');
    return `costlens: ${what} not delivered to ${first.to} (${first.reason})${hint}`;
  }
  const each = parts.map((p) => `${p.what} not delivered to ${p.to} (${p.reason})`);
  return `costlens: ${each.join(' and ')}${hint}`;
}

/**
 * Says `line` through diag.warn. When OTEL_LOG_LEVEL was not set, diag has no
 * logger and would say nothing: one is set that prints this line, and only it, on
 * stderr (OpenTelemetry's own messages stay as quiet as they were).
 */
export function sayUndelivered(line: string, logLevelSet: boolean): void {
  if (!logLevelSet) {
    const only = (message: string) => {
      if (message === line) console.warn(message);
    };
    const quiet = () => {};
    diag.setLogger(
      { error: only, warn: only, info: quiet, debug: quiet, verbose: quiet },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }
  diag.warn(line);
}
