import {
  type Attributes,
  type AttrValue,
  type DecodedResourceSpans,
  type DecodedScopeSpans,
  type DecodedSpan,
  DecodeError,
  MAX_DEPTH,
  type TraceRequest,
} from './types.js';
import { hex, I64, LEN, VARINT, WireReader } from './wire.js';

// Field numbers of opentelemetry-proto (common/v1, resource/v1, trace/v1, collector/trace/v1).

function anyValue(r: WireReader, depth: number): AttrValue {
  if (depth > MAX_DEPTH) r.fail(`attribute values nested deeper than ${MAX_DEPTH}`);
  let value: AttrValue = null;
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'AnyValue');
      value = r.string();
    } else if (f === 2) {
      r.expect(f, w, VARINT, 'AnyValue');
      value = r.uint32() !== 0;
    } else if (f === 3) {
      r.expect(f, w, VARINT, 'AnyValue');
      value = r.int64();
    } else if (f === 4) {
      r.expect(f, w, I64, 'AnyValue');
      value = r.double();
    } else if (f === 5) {
      r.expect(f, w, LEN, 'AnyValue');
      value = arrayValue(r.message(), depth + 1);
    } else if (f === 6) {
      r.expect(f, w, LEN, 'AnyValue');
      value = keyValues(r.message(), depth + 1);
    } else if (f === 7) {
      r.expect(f, w, LEN, 'AnyValue');
      value = r.bytes().slice();
    } else {
      r.skip(w);
    }
  }
  return value;
}

function arrayValue(r: WireReader, depth: number): AttrValue[] {
  const out: AttrValue[] = [];
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'ArrayValue');
      out.push(anyValue(r.message(), depth));
    } else r.skip(w);
  }
  return out;
}

/** A KeyValueList (or a repeated KeyValue field read one at a time by `keyValue`). */
function keyValues(r: WireReader, depth: number): Attributes {
  const out: Attributes = {};
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'KeyValueList');
      keyValue(r.message(), out, depth);
    } else r.skip(w);
  }
  return out;
}

function keyValue(r: WireReader, into: Attributes, depth: number): void {
  let key = '';
  let value: AttrValue = null;
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'KeyValue');
      key = r.string();
    } else if (f === 2) {
      r.expect(f, w, LEN, 'KeyValue');
      value = anyValue(r.message(), depth);
    } else r.skip(w);
  }
  into[key] = value;
}

function status(r: WireReader): DecodedSpan['status'] {
  const s = { code: 0, message: '' };
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 2) {
      r.expect(f, w, LEN, 'Status');
      s.message = r.string();
    } else if (f === 3) {
      r.expect(f, w, VARINT, 'Status');
      s.code = r.uint32();
    } else r.skip(w);
  }
  return s;
}

function span(r: WireReader): DecodedSpan {
  const at = r.pos;
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
  };
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    switch (f) {
      case 1:
        r.expect(f, w, LEN, 'Span');
        s.traceId = hex(r.bytes());
        break;
      case 2:
        r.expect(f, w, LEN, 'Span');
        s.spanId = hex(r.bytes());
        break;
      case 4:
        r.expect(f, w, LEN, 'Span');
        s.parentSpanId = hex(r.bytes());
        break;
      case 5:
        r.expect(f, w, LEN, 'Span');
        s.name = r.string();
        break;
      case 6:
        r.expect(f, w, VARINT, 'Span');
        s.kind = r.uint32();
        break;
      case 7:
        r.expect(f, w, I64, 'Span');
        s.startTimeUnixNano = r.fixed64();
        break;
      case 8:
        r.expect(f, w, I64, 'Span');
        s.endTimeUnixNano = r.fixed64();
        break;
      case 9:
        r.expect(f, w, LEN, 'Span');
        keyValue(r.message(), s.attributes, 0);
        break;
      case 15:
        r.expect(f, w, LEN, 'Span');
        s.status = status(r.message());
        break;
      default:
        r.skip(w); // trace_state, events, links, dropped counts, flags
    }
  }
  if (s.traceId.length !== 32)
    r.fail(`span has a trace_id of ${s.traceId.length / 2} bytes, expected 16`, at);
  if (s.spanId.length !== 16)
    r.fail(`span has a span_id of ${s.spanId.length / 2} bytes, expected 8`, at);
  return s;
}

function scope(r: WireReader, into: DecodedScopeSpans): void {
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'InstrumentationScope');
      into.name = r.string();
    } else if (f === 2) {
      r.expect(f, w, LEN, 'InstrumentationScope');
      into.version = r.string();
    } else r.skip(w);
  }
}

function scopeSpans(r: WireReader): DecodedScopeSpans {
  const out: DecodedScopeSpans = { name: '', version: '', spans: [] };
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'ScopeSpans');
      scope(r.message(), out);
    } else if (f === 2) {
      r.expect(f, w, LEN, 'ScopeSpans');
      out.spans.push(span(r.message()));
    } else r.skip(w);
  }
  return out;
}

/** Resource.attributes (field 1); other Resource fields are skipped. */
export function resource(r: WireReader): Attributes {
  const out: Attributes = {};
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'Resource');
      keyValue(r.message(), out, 0);
    } else r.skip(w);
  }
  return out;
}

function resourceSpans(r: WireReader): DecodedResourceSpans {
  const out: DecodedResourceSpans = { resource: {}, scopes: [] };
  while (!r.done) {
    const t = r.tag();
    const f = t >>> 3;
    const w = t & 7;
    if (f === 1) {
      r.expect(f, w, LEN, 'ResourceSpans');
      out.resource = resource(r.message());
    } else if (f === 2) {
      r.expect(f, w, LEN, 'ResourceSpans');
      out.scopes.push(scopeSpans(r.message()));
    } else r.skip(w);
  }
  return out;
}

/** Decodes an ExportTraceServiceRequest; throws DecodeError for anything malformed. */
export function decodeTraceRequestProto(body: Uint8Array): TraceRequest {
  const r = new WireReader(body);
  const out: TraceRequest = { resourceSpans: [] };
  try {
    while (!r.done) {
      const t = r.tag();
      const f = t >>> 3;
      const w = t & 7;
      if (f === 1) {
        r.expect(f, w, LEN, 'ExportTraceServiceRequest');
        out.resourceSpans.push(resourceSpans(r.message()));
      } else r.skip(w);
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`malformed protobuf: ${(err as Error).message}`);
  }
  return out;
}
