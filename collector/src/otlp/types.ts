/**
 * What the OTLP decoders produce. Both encodings (protobuf and JSON) decode to
 * the same shapes, so the span -> record mapping never knows which one arrived.
 */

/**
 * An OTLP AnyValue. `int_value` is a number when it is a safe integer
 * (|v| <= 2^53 - 1) and a bigint beyond that, so no count silently loses digits
 * while the common case stays a plain number; `double_value` is a number (an
 * int and a double of the same value are therefore indistinguishable).
 * `bytes_value` is a Uint8Array (copied, never a view of the request body),
 * `array_value` an array, `kvlist_value` a plain object, and an AnyValue with
 * no value set is null.
 */
export type AttrValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | Uint8Array
  | AttrValue[]
  | { [key: string]: AttrValue };

/** Repeated KeyValue as an object; a key sent twice keeps its last value. */
export type Attributes = Record<string, AttrValue>;

/**
 * Sets an attribute as an own property whatever its key: a plain assignment of
 * the key `__proto__` would replace the object's prototype instead.
 */
export function setAttribute(into: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__') {
    Object.defineProperty(into, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else into[key] = value;
}

export interface DecodedEvent {
  name: string;
  /** Nanoseconds since the Unix epoch (fixed64, exact). */
  timeUnixNano: bigint;
  attributes: Attributes;
}

export interface DecodedSpan {
  /** 32 lower-case hex digits (16 bytes), always present. */
  traceId: string;
  /** 16 lower-case hex digits (8 bytes), always present. */
  spanId: string;
  /** 16 lower-case hex digits, or '' for a root span. */
  parentSpanId: string;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Nanoseconds since the Unix epoch (fixed64, exact); 0n when the sender left it out. */
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  /** code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  events: DecodedEvent[];
}

/** One InstrumentationScope's spans; the scope's own attributes are not kept. */
export interface DecodedScopeSpans {
  name: string;
  version: string;
  spans: DecodedSpan[];
}

export interface DecodedResourceSpans {
  /** Resource attributes (service.name and the like). */
  resource: Attributes;
  scopes: DecodedScopeSpans[];
}

/** An ExportTraceServiceRequest. */
export interface TraceRequest {
  resourceSpans: DecodedResourceSpans[];
}

/** What an ExportMetricsServiceRequest holds; metrics are validated and counted, not stored. */
export interface MetricsCount {
  resources: number;
  metrics: number;
  dataPoints: number;
}

/** What an ExportLogsServiceRequest holds; log records are validated and counted, not stored. */
export interface LogsCount {
  resources: number;
  logRecords: number;
}

/** The two OTLP/HTTP body encodings (application/x-protobuf and application/json). */
export type BodyEncoding = 'protobuf' | 'json';

/**
 * A body that is not a valid OTLP request. The message says what is wrong and
 * where: a byte offset into the (decompressed) body for protobuf, a path such
 * as `request.resourceSpans[0].scopeSpans[0].spans[2].traceId` for JSON.
 * Anything else a decoder throws is a bug in the decoder.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';

  constructor(
    message: string,
    /** Byte offset of the problem in a protobuf body; undefined for JSON. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** A request with more spans than the collector takes in one request; nothing of it is decoded. */
export class TooManySpansError extends Error {
  override name = 'TooManySpansError';

  constructor(readonly limit: number) {
    super(
      `the request holds more than ${limit} spans, the most one export request may carry (max_spans_per_request); send smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)`,
    );
  }
}

/**
 * How many arrays and kvlists an attribute value may nest. Real attributes nest
 * two or three levels; the limit keeps hostile input from exhausting the stack.
 */
export const MAX_DEPTH = 32;
