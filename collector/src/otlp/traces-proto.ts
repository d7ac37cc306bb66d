import {
  type Attributes,
  type AttrValue,
  type DecodedEvent,
  type DecodedResourceSpans,
  type DecodedScopeSpans,
  type DecodedSpan,
  MAX_DEPTH,
  setAttribute,
  TooManySpansError,
  type TraceRequest,
} from './types.js';
import { I64, LEN, VARINT, WireReader } from './wire.js';

// ExportTraceServiceRequest as protobuf. Field numbers are those of
// opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1);
// every reader takes the embedded message at the reader's position (length
// prefix first) and consumes it whole. Fields not read here (trace_state,
// flags, links, dropped counts, schema_url, scope attributes, entity refs)
// are skipped by wire type, as are fields added by later versions.

/** AnyValue: a oneof; when a sender repeats it, the last value wins, as protobuf says. */
function anyValue(r: WireReader, depth: number): AttrValue {
  if (depth > MAX_DEPTH) r.fail(`attribute values nested deeper than ${MAX_DEPTH}`);
  const outer = r.enter();
  let value: AttrValue = null;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: // string_value
        r.want(tag, LEN, 'AnyValue');
        value = r.string();
        break;
      case 2: // bool_value
        r.want(tag, VARINT, 'AnyValue');
        value = r.bool();
        break;
      case 3: // int_value
        r.want(tag, VARINT, 'AnyValue');
        value = r.int64();
        break;
      case 4: // double_value
        r.want(tag, I64, 'AnyValue');
        value = r.double();
        break;
      case 5: // array_value: ArrayValue { repeated AnyValue values = 1 }
        r.want(tag, LEN, 'AnyValue');
        value = arrayValue(r, depth + 1);
        break;
      case 6: // kvlist_value: KeyValueList { repeated KeyValue values = 1 }
        r.want(tag, LEN, 'AnyValue');
        value = keyValueList(r, depth + 1);
        break;
      case 7: // bytes_value
        r.want(tag, LEN, 'AnyValue');
        value = r.bytesCopy();
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return value;
}

function arrayValue(r: WireReader, depth: number): AttrValue[] {
  const outer = r.enter();
  const out: AttrValue[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.want(tag, LEN, 'ArrayValue');
      out.push(anyValue(r, depth));
    } else r.skip(tag);
  }
  r.leave(outer);
  return out;
}

function keyValueList(r: WireReader, depth: number): Attributes {
  const outer = r.enter();
  const out: Attributes = {};
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.want(tag, LEN, 'KeyValueList');
      keyValue(r, out, depth);
    } else r.skip(tag);
  }
  r.leave(outer);
  return out;
}

/** One KeyValue { key = 1, value = 2 } into `into`: repeated KeyValue fields are read one at a time. */
function keyValue(r: WireReader, into: Attributes, depth: number): void {
  const outer = r.enter();
  let key = '';
  let value: AttrValue = null;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.want(tag, LEN, 'KeyValue');
      key = r.string();
    } else if (field === 2) {
      r.want(tag, LEN, 'KeyValue');
      value = anyValue(r, depth);
    } else r.skip(tag);
  }
  r.leave(outer);
  setAttribute(into, key, value);
}

/** Status { message = 2, code = 3 } (field 1 is reserved), merged into `into` as protobuf merges a repeated message. */
function status(r: WireReader, into: DecodedSpan['status']): void {
  const outer = r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 2) {
      r.want(tag, LEN, 'Status');
      into.message = r.string();
    } else if (field === 3) {
      r.want(tag, VARINT, 'Status');
      into.code = r.int32();
    } else r.skip(tag);
  }
  r.leave(outer);
}

/** Span.Event { time_unix_nano = 1, name = 2, attributes = 3 }. */
function event(r: WireReader): DecodedEvent {
  const outer = r.enter();
  const out: DecodedEvent = { name: '', timeUnixNano: 0n, attributes: {} };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.want(tag, I64, 'Span.Event');
        out.timeUnixNano = r.fixed64();
        break;
      case 2:
        r.want(tag, LEN, 'Span.Event');
        out.name = r.string();
        break;
      case 3:
        r.want(tag, LEN, 'Span.Event');
        keyValue(r, out.attributes, 0);
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  return out;
}

function span(r: WireReader): DecodedSpan {
  const outer = r.enter();
  const at = r.pos; // the span's first byte, where id errors point
  const s: DecodedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    status: { code: 0, message: '' },
    events: [],
  };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: // trace_id
        r.want(tag, LEN, 'Span');
        s.traceId = r.hex();
        break;
      case 2: // span_id
        r.want(tag, LEN, 'Span');
        s.spanId = r.hex();
        break;
      case 4: // parent_span_id
        r.want(tag, LEN, 'Span');
        s.parentSpanId = r.hex();
        break;
      case 5: // name
        r.want(tag, LEN, 'Span');
        s.name = r.string();
        break;
      case 6: // kind (enum)
        r.want(tag, VARINT, 'Span');
        s.kind = r.int32();
        break;
      case 7: // start_time_unix_nano
        r.want(tag, I64, 'Span');
        s.startTimeUnixNano = r.fixed64();
        break;
      case 8: // end_time_unix_nano
        r.want(tag, I64, 'Span');
        s.endTimeUnixNano = r.fixed64();
        break;
      case 9: // attributes
        r.want(tag, LEN, 'Span');
        keyValue(r, s.attributes, 0);
        break;
      case 11: // events
        r.want(tag, LEN, 'Span');
        s.events.push(event(r));
        break;
      case 15: // status
        r.want(tag, LEN, 'Span');
        status(r, s.status);
        break;
      default:
        r.skip(tag);
    }
  }
  r.leave(outer);
  // Ids key idempotent storage: a span without proper ones cannot be stored, so the request is malformed.
  if (s.traceId.length !== 32) {
    r.fail(`Span has a trace_id of ${s.traceId.length / 2} bytes, expected 16`, at);
  }
  if (s.spanId.length !== 16) {
    r.fail(`Span has a span_id of ${s.spanId.length / 2} bytes, expected 8`, at);
  }
  if (s.parentSpanId.length !== 0 && s.parentSpanId.length !== 16) {
    r.fail(`Span has a parent_span_id of ${s.parentSpanId.length / 2} bytes, expected 0 or 8`, at);
  }
  return s;
}

/** InstrumentationScope { name = 1, version = 2 } merged into its ScopeSpans. */
function scope(r: WireReader, into: DecodedScopeSpans): void {
  const outer = r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.want(tag, LEN, 'InstrumentationScope');
      into.name = r.string();
    } else if (field === 2) {
      r.want(tag, LEN, 'InstrumentationScope');
      into.version = r.string();
    } else r.skip(tag);
  }
  r.leave(outer);
}

/** ScopeSpans { scope = 1, spans = 2 }. */
function scopeSpans(r: WireReader): DecodedScopeSpans {
  const outer = r.enter();
  const out: DecodedScopeSpans = { name: '', version: '', spans: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.want(tag, LEN, 'ScopeSpans');
      scope(r, out);
    } else if (field === 2) {
      r.want(tag, LEN, 'ScopeSpans');
      out.spans.push(span(r));
    } else r.skip(tag);
  }
  r.leave(outer);
  return out;
}

/** Resource { attributes = 1 } merged into `into`. */
function resource(r: WireReader, into: Attributes): void {
  const outer = r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.want(tag, LEN, 'Resource');
      keyValue(r, into, 0);
    } else r.skip(tag);
  }
  r.leave(outer);
}

/** ResourceSpans { resource = 1, scope_spans = 2 }. */
function resourceSpans(r: WireReader): DecodedResourceSpans {
  const outer = r.enter();
  const out: DecodedResourceSpans = { resource: {}, scopes: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.want(tag, LEN, 'ResourceSpans');
      resource(r, out.resource);
    } else if (field === 2) {
      r.want(tag, LEN, 'ResourceSpans');
      out.scopes.push(scopeSpans(r));
    } else r.skip(tag);
  }
  r.leave(outer);
  return out;
}

/**
 * Counts the spans of a request by walking its framing only (resource spans, scope
 * spans, span lengths), stopping once past `limit`; DecodeError for bad framing.
 */
function countSpans(body: Uint8Array, limit: number): number {
  const r = new WireReader(body);
  let n = 0;
  while (r.pos < r.end && n <= limit) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag);
      continue;
    }
    r.want(tag, LEN, 'ExportTraceServiceRequest');
    const resource = r.enter();
    while (r.pos < r.end && n <= limit) {
      const rtag = r.tag();
      if (rtag >>> 3 !== 2) {
        r.skip(rtag);
        continue;
      }
      r.want(rtag, LEN, 'ResourceSpans');
      const scope = r.enter();
      while (r.pos < r.end) {
        const stag = r.tag();
        if (stag >>> 3 === 2) n++;
        r.skip(stag);
      }
      r.leave(scope);
    }
    r.leave(resource);
  }
  return n;
}

/**
 * Decodes an ExportTraceServiceRequest { resource_spans = 1 } from protobuf.
 * Throws DecodeError (with the byte offset) for any malformed body, and
 * TooManySpansError, before decoding any span, for more than `maxSpans`; an
 * empty body is a valid, empty request.
 */
export function decodeTraceRequestProto(body: Uint8Array, maxSpans = Infinity): TraceRequest {
  if (maxSpans !== Infinity && countSpans(body, maxSpans) > maxSpans) {
    throw new TooManySpansError(maxSpans);
  }
  const r = new WireReader(body);
  const out: TraceRequest = { resourceSpans: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.want(tag, LEN, 'ExportTraceServiceRequest');
      out.resourceSpans.push(resourceSpans(r));
    } else r.skip(tag);
  }
  return out;
}
