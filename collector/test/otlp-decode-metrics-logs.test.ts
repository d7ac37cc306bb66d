import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  countLogsRequest,
  countMetricsRequest,
  DecodeError,
  encodeExportResponse,
  encodeStatus,
  exportResponseJson,
  exportResponseProto,
} from '../src/otlp/index.js';
import { bytesOf, ld, RESOURCE, refusal, SCOPE, tag } from './otlp-fixtures.js';

// Payloads come from the official OpenTelemetry JS SDK and serializers, so the
// decoders are checked against what real exporters send, not against our own
// reading of the spec. Hand-made bytes appear only where a body must be broken.

// --- metrics and logs ---

class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function metricsPayloads() {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes(RESOURCE),
    readers: [reader],
  });
  const meter = provider.getMeter(SCOPE);
  const tokens = meter.createCounter('gen_ai.client.token.usage.total');
  tokens.add(1200, { 'gen_ai.token.type': 'input' });
  tokens.add(345, { 'gen_ai.token.type': 'output' });
  meter.createHistogram('gen_ai.client.operation.duration').record(1.25);
  meter.createGauge('costlens.budget.spent').record(12.5);
  meter.createUpDownCounter('costlens.inflight').add(1);
  const { resourceMetrics } = await reader.collect();
  return {
    proto: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!,
    json: new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(resourceMetrics)!),
  };
}

function logsPayloads() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(RESOURCE),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger(SCOPE);
  logger.emit({ body: 'call started', attributes: { 'gen_ai.operation.name': 'chat' } });
  logger.emit({ body: { structured: ['body', 1] } });
  provider.getLogger('other-scope').emit({ body: 'héllo ✓' });
  const records = exporter.getFinishedLogRecords();
  return {
    proto: ProtobufLogsSerializer.serializeRequest(records)!,
    json: new TextDecoder().decode(JsonLogsSerializer.serializeRequest(records)!),
  };
}

describe('countMetricsRequest and countLogsRequest on the official serializers', () => {
  it('counts metrics and data points, protobuf and JSON, bytes or text', async () => {
    const { proto, json } = await metricsPayloads();
    const want = { resources: 1, metrics: 4, dataPoints: 5 };
    expect(countMetricsRequest(proto, 'protobuf')).toEqual(want);
    expect(countMetricsRequest(json, 'json')).toEqual(want);
    expect(countMetricsRequest(new TextEncoder().encode(json), 'json')).toEqual(want);
  });

  it('counts log records, protobuf and JSON', () => {
    const { proto, json } = logsPayloads();
    const want = { resources: 1, logRecords: 3 };
    expect(countLogsRequest(proto, 'protobuf')).toEqual(want);
    expect(countLogsRequest(json, 'json')).toEqual(want);
  });

  it('counts empty requests as nothing', () => {
    const none = { resources: 0, metrics: 0, dataPoints: 0 };
    expect(countMetricsRequest(new Uint8Array(0), 'protobuf')).toEqual(none);
    expect(countMetricsRequest('{}', 'json')).toEqual(none);
    expect(countLogsRequest(new Uint8Array(0), 'protobuf')).toEqual({
      resources: 0,
      logRecords: 0,
    });
  });

  it('every truncation of real payloads counts a valid prefix or throws DecodeError', async () => {
    const bodies = [(await metricsPayloads()).proto, logsPayloads().proto];
    for (const [i, body] of bodies.entries()) {
      let decoded = 0;
      for (let cut = 0; cut < body.length; cut++) {
        try {
          if (i === 0) countMetricsRequest(body.subarray(0, cut), 'protobuf');
          else countLogsRequest(body.subarray(0, cut), 'protobuf');
          decoded++;
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }
      expect(decoded).toBe(1);
    }
  });

  it('refuses malformed bodies with DecodeError', async () => {
    const { json } = await metricsPayloads();
    const twoKinds = JSON.parse(json);
    twoKinds.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge = { dataPoints: [] };
    const cases: [() => unknown, RegExp][] = [
      [
        () => countMetricsRequest(Uint8Array.from([0x08, 0x01]), 'protobuf'),
        /ExportMetricsServiceRequest field 1 has wire type 0, expected 2 at byte 1/,
      ],
      [
        () => countMetricsRequest(bytesOf(ld(1, ld(2, ld(2, ld(7, [0x0a, 0x09]))))), 'protobuf'),
        /length 9 runs past the end/,
      ],
      [
        () => countMetricsRequest(bytesOf(ld(1, ld(2, ld(2, tag(5, 0), [1])))), 'protobuf'),
        /Metric field 5 has wire type 0, expected 2/,
      ],
      [
        () => countLogsRequest(bytesOf(ld(1, ld(2, tag(2, 1)))), 'protobuf'),
        /ScopeLogs field 2 has wire type 1, expected 2/,
      ],
      [() => countLogsRequest(bytesOf(ld(1, ld(2, ld(2, [0x0b])))), 'protobuf'), /group/],
      [() => countMetricsRequest('{"resourceMetrics":', 'json'), /not valid JSON/],
      [
        () => countMetricsRequest('{"resourceMetrics":[{"scopeMetrics":{}}]}', 'json'),
        /request\.resourceMetrics\[0\]\.scopeMetrics must be a list/,
      ],
      [
        () => countMetricsRequest(JSON.stringify(twoKinds), 'json'),
        /metrics\[0\] sets both gauge and sum|sets both sum and gauge/,
      ],
      [
        () =>
          countMetricsRequest(
            '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[1]}}]}]}]}',
            'json',
          ),
        /metrics\[0\]\.sum\.dataPoints\[0\] must be an object/,
      ],
      [
        () => countLogsRequest('{"resourceLogs":[{"scopeLogs":[{"logRecords":"x"}]}]}', 'json'),
        /scopeLogs\[0\]\.logRecords must be a list/,
      ],
      [
        () => countLogsRequest('{"resource_logs":[{"resource":7}]}', 'json'),
        /request\.resourceLogs\[0\]\.resource must be an object/,
      ],
    ];
    for (const [fn, message] of cases) expect(refusal(fn).message).toMatch(message);
  });
});

// --- responses ---

describe('export responses and error bodies', () => {
  it('a fully accepted export gets an empty response in both encodings', () => {
    expect(exportResponseProto(0, '')).toEqual(new Uint8Array(0));
    expect(exportResponseJson('traces', 0, '')).toEqual({});
    expect(ProtobufTraceSerializer.deserializeResponse(exportResponseProto(0, ''))).toEqual({});
  });

  it('a partial success reads back through the official deserializers', () => {
    const message = '2 GenAI span(s) could not be recorded; first: ✗';
    const bytes = exportResponseProto(2, message);
    expect(ProtobufTraceSerializer.deserializeResponse(bytes)).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: message },
    });
    expect(ProtobufMetricsSerializer.deserializeResponse(exportResponseProto(300, 'm'))).toEqual({
      partialSuccess: { rejectedDataPoints: 300, errorMessage: 'm' },
    });
    expect(ProtobufLogsSerializer.deserializeResponse(exportResponseProto(1, ''))).toEqual({
      partialSuccess: { rejectedLogRecords: 1 },
    });
    const asJson = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(
      JsonTraceSerializer.deserializeResponse(asJson(exportResponseJson('traces', 2, message))),
    ).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: message },
    });
    expect(exportResponseJson('metrics', 3, 'x')).toEqual({
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'x' },
    });
    expect(exportResponseJson('logs', 0, 'a warning')).toEqual({
      partialSuccess: { errorMessage: 'a warning' },
    });
  });

  it('encodeExportResponse picks the encoding', () => {
    expect(encodeExportResponse('logs', 'protobuf', 1, 'x')).toEqual(exportResponseProto(1, 'x'));
    expect(encodeExportResponse('logs', 'json', 1, 'x')).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: 'x' },
    });
  });

  it('refuses a count that is not a non-negative integer', () => {
    expect(() => exportResponseProto(-1, '')).toThrow(RangeError);
    expect(() => exportResponseJson('traces', 1.5, '')).toThrow(RangeError);
  });

  it('google.rpc.Status: code and message, negative codes sign-extended', () => {
    expect(Array.from(encodeStatus(3, 'bad'))).toEqual([0x08, 0x03, 0x12, 0x03, 0x62, 0x61, 0x64]);
    expect(Array.from(encodeStatus(400, 'é'))).toEqual([0x08, 0x90, 0x03, 0x12, 0x02, 0xc3, 0xa9]);
    expect(Array.from(encodeStatus(-1, ''))).toEqual([0x08, ...Array(9).fill(0xff), 0x01]);
    expect(Array.from(encodeStatus(0, ''))).toEqual([]);
    expect(() => encodeStatus(2 ** 31, '')).toThrow(RangeError);
  });
});
