import { field, type JsonObject, list, object, parseJsonObject } from './traces-json.js';
import type { BodyEncoding, LogsCount, MetricsCount } from './types.js';
import { DecodeError } from './types.js';
import { LEN, WireReader } from './wire.js';

// Metrics and logs requests are accepted (so an app's single OTLP endpoint
// works for all three signals) but costs come from spans: these requests are
// walked down to their data points and log records, which are framing-checked
// and counted, and nothing else is decoded.

/** A JSON body may arrive as bytes (from HTTP) or text; protobuf only as bytes. */
function text(body: Uint8Array | string): string {
  return typeof body === 'string'
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

function reader(body: Uint8Array | string): WireReader {
  if (typeof body === 'string') throw new TypeError('a protobuf body must be bytes, not a string');
  return new WireReader(body);
}

/**
 * Runs `each` for every occurrence of the message field `wanted` in the
 * message at the reader (`top` for the request itself, which has no length
 * prefix); other fields are skipped.
 */
function children(
  r: WireReader,
  message: string,
  wanted: Record<number, (r: WireReader) => void>,
  top = false,
): void {
  const outer = top ? r.end : r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    const each = wanted[tag >>> 3];
    if (each) {
      r.want(tag, LEN, message);
      each(r);
    } else r.skip(tag);
  }
  r.leave(outer);
}

const skipMessage = (r: WireReader) => r.skipMessage();

function metricsProto(r: WireReader): MetricsCount {
  const n: MetricsCount = { resources: 0, metrics: 0, dataPoints: 0 };
  // Gauge, Sum, Histogram, ExponentialHistogram, Summary: data_points = 1 in each.
  const data = (r: WireReader) =>
    children(r, 'metric data', {
      1: (r) => {
        r.skipMessage();
        n.dataPoints++;
      },
    });
  const metric = (r: WireReader) => {
    n.metrics++;
    children(r, 'Metric', { 5: data, 7: data, 9: data, 10: data, 11: data });
  };
  const scopeMetrics = (r: WireReader) =>
    children(r, 'ScopeMetrics', { 1: skipMessage, 2: metric }); // scope, metrics
  const resourceMetrics = (r: WireReader) => {
    n.resources++;
    children(r, 'ResourceMetrics', { 1: skipMessage, 2: scopeMetrics }); // resource, scope_metrics
  };
  children(r, 'ExportMetricsServiceRequest', { 1: resourceMetrics }, true);
  return n;
}

function logsProto(r: WireReader): LogsCount {
  const n: LogsCount = { resources: 0, logRecords: 0 };
  const logRecord = (r: WireReader) => {
    r.skipMessage();
    n.logRecords++;
  };
  const scopeLogs = (r: WireReader) => children(r, 'ScopeLogs', { 1: skipMessage, 2: logRecord }); // scope, log_records
  const resourceLogs = (r: WireReader) => {
    n.resources++;
    children(r, 'ResourceLogs', { 1: skipMessage, 2: scopeLogs }); // resource, scope_logs
  };
  children(r, 'ExportLogsServiceRequest', { 1: resourceLogs }, true);
  return n;
}

/** Each element of a JSON list field, checked to be an object, with its path. */
function objects(o: JsonObject, name: string, where: string): [JsonObject, string][] {
  return list(o, name, where).map((v, i) => {
    const at = `${where}.${name}[${i}]`;
    return [object(v, at), at];
  });
}

/** Checks an optional sub-message (resource, scope) is an object when present. */
function optional(o: JsonObject, name: string, where: string): void {
  const v = field(o, name);
  if (v !== undefined) object(v, `${where}.${name}`);
}

const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

function metricsJson(root: JsonObject): MetricsCount {
  const n: MetricsCount = { resources: 0, metrics: 0, dataPoints: 0 };
  for (const [rm, rmAt] of objects(root, 'resourceMetrics', 'request')) {
    n.resources++;
    optional(rm, 'resource', rmAt);
    for (const [sm, smAt] of objects(rm, 'scopeMetrics', rmAt)) {
      optional(sm, 'scope', smAt);
      for (const [m, mAt] of objects(sm, 'metrics', smAt)) {
        n.metrics++;
        let kind: string | undefined;
        for (const k of METRIC_DATA) {
          const data = field(m, k);
          if (data === undefined) continue;
          if (kind !== undefined) {
            throw new DecodeError(
              `${mAt} sets both ${kind} and ${k}; a metric has one kind of data`,
            );
          }
          kind = k;
          n.dataPoints += objects(object(data, `${mAt}.${k}`), 'dataPoints', `${mAt}.${k}`).length;
        }
      }
    }
  }
  return n;
}

function logsJson(root: JsonObject): LogsCount {
  const n: LogsCount = { resources: 0, logRecords: 0 };
  for (const [rl, rlAt] of objects(root, 'resourceLogs', 'request')) {
    n.resources++;
    optional(rl, 'resource', rlAt);
    for (const [sl, slAt] of objects(rl, 'scopeLogs', rlAt)) {
      optional(sl, 'scope', slAt);
      n.logRecords += objects(sl, 'logRecords', slAt).length;
    }
  }
  return n;
}

/**
 * Validates an ExportMetricsServiceRequest and counts its resources, metrics
 * and data points. Throws DecodeError for a malformed body.
 */
export function countMetricsRequest(
  body: Uint8Array | string,
  encoding: BodyEncoding,
): MetricsCount {
  return encoding === 'protobuf'
    ? metricsProto(reader(body))
    : metricsJson(parseJsonObject(text(body)));
}

/**
 * Validates an ExportLogsServiceRequest and counts its resources and log
 * records. Throws DecodeError for a malformed body.
 */
export function countLogsRequest(body: Uint8Array | string, encoding: BodyEncoding): LogsCount {
  return encoding === 'protobuf' ? logsProto(reader(body)) : logsJson(parseJsonObject(text(body)));
}
