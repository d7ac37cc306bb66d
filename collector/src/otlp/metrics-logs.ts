import { parseJsonObject } from './traces-json.js';
import { DecodeError } from './types.js';
import { LEN, WireReader } from './wire.js';

// Metrics and logs requests are validated and counted; costs come from spans.

/** Walks `path` of repeated message fields (field numbers) and counts the messages at its end. */
function countProto(r: WireReader, path: number[][], what: string): number {
  const [fields = [], ...rest] = path;
  let n = 0;
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (fields.includes(f)) {
      r.expect(f, w, LEN, what);
      const inner = r.message(); // bounds-checked even when only counted
      n += rest.length ? countProto(inner, rest, what) : 1;
    } else r.skip(w);
  }
  return n;
}

// ExportMetricsServiceRequest.resource_metrics(1) > ResourceMetrics.scope_metrics(2) >
// ScopeMetrics.metrics(2) > Metric.{gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11} > data_points(1)
const METRIC_PATH = [[1], [2], [2], [5, 7, 9, 10, 11], [1]];
// ExportLogsServiceRequest.resource_logs(1) > ResourceLogs.scope_logs(2) > ScopeLogs.log_records(2)
const LOG_PATH = [[1], [2], [2]];

type Obj = Record<string, unknown>;
const arr = (o: unknown, k: string): unknown[] => {
  if (o === null || typeof o !== 'object') return [];
  const v = (o as Obj)[k] ?? (o as Obj)[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${k} must be a list`);
  return v;
};

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`malformed request: ${(err as Error).message}`);
  }
}

export function countMetricsRequest(
  body: Uint8Array,
  kind: 'protobuf' | 'json',
): { dataPoints: number } {
  return wrap(() => {
    if (kind === 'protobuf')
      return { dataPoints: countProto(new WireReader(body), METRIC_PATH, 'metrics') };
    const root = parseJsonObject(Buffer.from(body).toString('utf8'), 'the request');
    let dataPoints = 0;
    for (const rm of arr(root, 'resourceMetrics')) {
      for (const sm of arr(rm, 'scopeMetrics')) {
        for (const m of arr(sm, 'metrics')) {
          for (const type of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) {
            const data = (m as Obj)[type];
            if (data) dataPoints += arr(data, 'dataPoints').length;
          }
        }
      }
    }
    return { dataPoints };
  });
}

export function countLogsRequest(
  body: Uint8Array,
  kind: 'protobuf' | 'json',
): { logRecords: number } {
  return wrap(() => {
    if (kind === 'protobuf')
      return { logRecords: countProto(new WireReader(body), LOG_PATH, 'logs') };
    const root = parseJsonObject(Buffer.from(body).toString('utf8'), 'the request');
    let logRecords = 0;
    for (const rl of arr(root, 'resourceLogs'))
      for (const sl of arr(rl, 'scopeLogs')) logRecords += arr(sl, 'logRecords').length;
    return { logRecords };
  });
}
