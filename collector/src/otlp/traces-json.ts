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

// OTLP/HTTP JSON: lowerCamelCase names (receivers also accept the proto's
// snake_case), trace and span ids in hex, 64-bit integers as decimal strings or
// numbers, enums as integers.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A field by its JSON name or its proto name. */
function field(o: Obj, camel: string): unknown {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

function list(o: Obj, name: string, where: string): unknown[] {
  const v = field(o, name);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${where}.${name} must be a list`);
  return v;
}

function obj(v: unknown, where: string): Obj {
  if (!isObj(v)) throw new DecodeError(`${where} must be an object`);
  return v;
}

function text(v: unknown, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DecodeError(`${where} must be a string`);
  return v;
}

function integer(v: unknown, where: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  throw new DecodeError(
    `${where} must be an integer (a number or a decimal string), got ${JSON.stringify(v)}`,
  );
}

function id(v: unknown, bytes: number, where: string, required: boolean): string {
  const s = text(v, where).toLowerCase();
  if (s === '' && !required) return '';
  if (s.length !== bytes * 2 || !/^[0-9a-f]+$/.test(s)) {
    throw new DecodeError(`${where} must be ${bytes * 2} hex digits, got ${JSON.stringify(v)}`);
  }
  return s;
}

function anyValue(v: unknown, where: string, depth: number): AttrValue {
  if (depth > MAX_DEPTH)
    throw new DecodeError(`${where}: attribute values nested deeper than ${MAX_DEPTH}`);
  if (v === undefined || v === null) return null;
  const o = obj(v, where);
  const s = field(o, 'stringValue');
  if (s !== undefined) return text(s, `${where}.stringValue`);
  const b = field(o, 'boolValue');
  if (b !== undefined) {
    if (typeof b !== 'boolean') throw new DecodeError(`${where}.boolValue must be true or false`);
    return b;
  }
  const i = field(o, 'intValue');
  if (i !== undefined) {
    const n = integer(i, `${where}.intValue`);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : BigInt.asIntN(64, n);
  }
  const d = field(o, 'doubleValue');
  if (d !== undefined) {
    if (typeof d === 'number') return d;
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return Number(d);
    throw new DecodeError(`${where}.doubleValue must be a number`);
  }
  const a = field(o, 'arrayValue');
  if (a !== undefined) {
    return list(obj(a, `${where}.arrayValue`), 'values', `${where}.arrayValue`).map((x, n) =>
      anyValue(x, `${where}.arrayValue.values[${n}]`, depth + 1),
    );
  }
  const kv = field(o, 'kvlistValue');
  if (kv !== undefined)
    return keyValues(
      list(obj(kv, `${where}.kvlistValue`), 'values', where),
      `${where}.kvlistValue`,
      depth + 1,
    );
  const bytes = field(o, 'bytesValue');
  if (bytes !== undefined)
    return new Uint8Array(Buffer.from(text(bytes, `${where}.bytesValue`), 'base64'));
  return null;
}

function keyValues(items: unknown[], where: string, depth: number): Attributes {
  const out: Attributes = {};
  items.forEach((item, n) => {
    const kv = obj(item, `${where}[${n}]`);
    out[text(field(kv, 'key'), `${where}[${n}].key`)] = anyValue(
      field(kv, 'value'),
      `${where}[${n}].value`,
      depth,
    );
  });
  return out;
}

function span(v: unknown, where: string): DecodedSpan {
  const s = obj(v, where);
  const st = field(s, 'status');
  const status = st === undefined || st === null ? {} : obj(st, `${where}.status`);
  const code = field(status, 'code');
  if (code !== undefined && (typeof code !== 'number' || !Number.isInteger(code))) {
    throw new DecodeError(
      `${where}.status.code must be an integer (enums are numbers in OTLP JSON)`,
    );
  }
  const kind = field(s, 'kind');
  if (kind !== undefined && (typeof kind !== 'number' || !Number.isInteger(kind))) {
    throw new DecodeError(`${where}.kind must be an integer (enums are numbers in OTLP JSON)`);
  }
  return {
    traceId: id(field(s, 'traceId'), 16, `${where}.traceId`, true),
    spanId: id(field(s, 'spanId'), 8, `${where}.spanId`, true),
    parentSpanId: id(field(s, 'parentSpanId'), 8, `${where}.parentSpanId`, false),
    name: text(field(s, 'name'), `${where}.name`),
    kind: (kind as number | undefined) ?? 0,
    startTimeUnixNano: integer(field(s, 'startTimeUnixNano'), `${where}.startTimeUnixNano`),
    endTimeUnixNano: integer(field(s, 'endTimeUnixNano'), `${where}.endTimeUnixNano`),
    attributes: keyValues(list(s, 'attributes', where), `${where}.attributes`, 0),
    status: {
      code: (code as number | undefined) ?? 0,
      message: text(field(status, 'message'), `${where}.status.message`),
    },
  };
}

function scopeSpans(v: unknown, where: string): DecodedScopeSpans {
  const o = obj(v, where);
  const sc = field(o, 'scope');
  const scope = sc === undefined || sc === null ? {} : obj(sc, `${where}.scope`);
  return {
    name: text(field(scope, 'name'), `${where}.scope.name`),
    version: text(field(scope, 'version'), `${where}.scope.version`),
    spans: list(o, 'spans', where).map((s, n) => span(s, `${where}.spans[${n}]`)),
  };
}

function resourceSpans(v: unknown, where: string): DecodedResourceSpans {
  const o = obj(v, where);
  const res = field(o, 'resource');
  const resource = res === undefined || res === null ? {} : obj(res, `${where}.resource`);
  return {
    resource: keyValues(
      list(resource, 'attributes', `${where}.resource`),
      `${where}.resource.attributes`,
      0,
    ),
    scopes: list(o, 'scopeSpans', where).map((s, n) => scopeSpans(s, `${where}.scopeSpans[${n}]`)),
  };
}

/** Parses JSON text that must be an object; deep nesting that exhausts the parser is a DecodeError too. */
export function parseJsonObject(body: string, what: string): Obj {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new DecodeError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  return obj(parsed, what);
}

/** Decodes an ExportTraceServiceRequest in OTLP JSON; throws DecodeError for anything malformed. */
export function decodeTraceRequestJson(body: string): TraceRequest {
  const root = parseJsonObject(body, 'the request');
  return {
    resourceSpans: list(root, 'resourceSpans', 'request').map((r, n) =>
      resourceSpans(r, `resourceSpans[${n}]`),
    ),
  };
}
