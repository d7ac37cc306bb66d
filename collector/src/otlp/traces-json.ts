import {
  type Attributes,
  type AttrValue,
  type DecodedEvent,
  type DecodedResourceSpans,
  type DecodedScopeSpans,
  type DecodedSpan,
  DecodeError,
  MAX_DEPTH,
  setAttribute,
  TooManySpansError,
  type TraceRequest,
} from './types.js';

// ExportTraceServiceRequest in the OTLP/HTTP JSON encoding: the protobuf JSON
// mapping with OTLP's deviations. Field names are lowerCamelCase and receivers
// also accept the proto's snake_case; trace and span ids are hex, not base64;
// 64-bit integers come as decimal strings or numbers; enums only as integers;
// bytes as base64. Unknown fields are ignored (newer senders), null means
// absent, and every wrong type is a DecodeError naming the path.

export type JsonObject = Record<string, unknown>;

const CAMEL = [
  'resourceSpans',
  'scopeSpans',
  'resourceMetrics',
  'scopeMetrics',
  'dataPoints',
  'exponentialHistogram',
  'resourceLogs',
  'scopeLogs',
  'logRecords',
  'traceId',
  'spanId',
  'parentSpanId',
  'startTimeUnixNano',
  'endTimeUnixNano',
  'timeUnixNano',
  'arrayValue',
  'kvlistValue',
];
const SNAKE: Record<string, string> = Object.fromEntries(
  CAMEL.map((c) => [c, c.replace(/[A-Z]/g, (l) => `_${l.toLowerCase()}`)]),
);

const isObject = (v: unknown): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A short rendering of a wrong value for an error message (never the whole of a large one). */
function shown(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string')
    return v.length > 40 ? `${JSON.stringify(v.slice(0, 37))}...` : JSON.stringify(v);
  return String(v);
}

/** A field by its JSON name or its proto name; null counts as absent. */
export function field(o: JsonObject, name: string): unknown {
  const v = o[name];
  if (v !== undefined && v !== null) return v;
  const snake = SNAKE[name];
  return snake === undefined ? undefined : (o[snake] ?? undefined);
}

export function object(v: unknown, where: string): JsonObject {
  if (!isObject(v)) throw new DecodeError(`${where} must be an object, got ${shown(v)}`);
  return v;
}

/** An optional sub-object: absent is an empty one. */
function optionalObject(o: JsonObject, name: string, where: string): JsonObject {
  const v = field(o, name);
  return v === undefined ? {} : object(v, `${where}.${name}`);
}

export function list(o: JsonObject, name: string, where: string): unknown[] {
  const v = field(o, name);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${where}.${name} must be a list, got ${shown(v)}`);
  return v;
}

function string(v: unknown, where: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new DecodeError(`${where} must be a string, got ${shown(v)}`);
  return v;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A 64-bit integer as the JSON mapping sends it: a decimal string or a number. */
function bigInteger(v: unknown, where: string, min: bigint, max: bigint): bigint {
  let n: bigint | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) n = BigInt(v);
  if (n === undefined) {
    throw new DecodeError(
      `${where} must be an integer (a number or a decimal string), got ${shown(v)}`,
    );
  }
  if (n < min || n > max) throw new DecodeError(`${where} is out of range: ${v}`);
  return n;
}

/** fixed64 nanoseconds; absent is 0n. */
function timestamp(v: unknown, where: string): bigint {
  return v === undefined ? 0n : bigInteger(v, where, 0n, UINT64_MAX);
}

/** An enum: OTLP/JSON sends enums as integers only, never by name. */
function enumValue(v: unknown, where: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
    throw new DecodeError(
      `${where} must be an integer (enums are numbers in OTLP/JSON), got ${shown(v)}`,
    );
  }
  return v;
}

/** A trace or span id: hex (OTLP/JSON deviates from base64 here), of exactly `bytes` bytes. */
function id(v: unknown, bytes: number, where: string, optional: boolean): string {
  const s = string(v, where);
  if (s === '' && optional) return '';
  if (s.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(s)) {
    // `s`, not `v`: a missing id reads as "" (the proto3 default), as it does on the protobuf path.
    throw new DecodeError(`${where} must be ${bytes * 2} hex digits, got ${shown(s)}`);
  }
  return s.toLowerCase();
}

function double(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  // The JSON mapping spells the non-finite doubles as strings and allows numeric strings.
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  if (typeof v === 'string' && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  throw new DecodeError(`${where} must be a number, got ${shown(v)}`);
}

/** Standard or URL-safe base64, padded or not: what the JSON mapping accepts for bytes. */
function base64(v: unknown, where: string): Uint8Array {
  const s = string(v, where);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new DecodeError(`${where} must be base64, got ${shown(v)}`);
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function anyValue(v: unknown, where: string, depth: number): AttrValue {
  if (depth > MAX_DEPTH) {
    throw new DecodeError(`${where}: attribute values nested deeper than ${MAX_DEPTH}`);
  }
  if (v === undefined || v === null) return null;
  const o = object(v, where);
  let value: AttrValue = null;
  let seen: string | undefined;
  for (const key in o) {
    const x = o[key];
    if (x === undefined || x === null) continue;
    const at = `${where}.${key}`;
    let got: AttrValue;
    switch (key) {
      case 'stringValue':
      case 'string_value':
        got = string(x, at);
        break;
      case 'boolValue':
      case 'bool_value':
        if (typeof x !== 'boolean')
          throw new DecodeError(`${at} must be true or false, got ${shown(x)}`);
        got = x;
        break;
      case 'intValue':
      case 'int_value': {
        const n = bigInteger(x, at, INT64_MIN, INT64_MAX);
        got = n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n;
        break;
      }
      case 'doubleValue':
      case 'double_value':
        got = double(x, at);
        break;
      case 'arrayValue':
      case 'array_value':
        got = list(object(x, at), 'values', at).map((e, i) =>
          anyValue(e, `${at}.values[${i}]`, depth + 1),
        );
        break;
      case 'kvlistValue':
      case 'kvlist_value':
        got = keyValues(list(object(x, at), 'values', at), `${at}.values`, depth + 1);
        break;
      case 'bytesValue':
      case 'bytes_value':
        got = base64(x, at);
        break;
      default:
        continue; // a value kind from a newer OTLP: ignored like any unknown field
    }
    if (seen !== undefined) {
      throw new DecodeError(`${where} sets both ${seen} and ${key}; an AnyValue holds one value`);
    }
    seen = key;
    value = got;
  }
  return value;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Repeated KeyValue into an object (`into` when given, so resource attributes can merge). */
function keyValues(
  items: unknown[],
  where: string,
  depth: number,
  into: Attributes = {},
): Attributes {
  for (let i = 0; i < items.length; i++) {
    const kv = object(items[i], `${where}[${i}]`);
    setAttribute(
      into,
      string(field(kv, 'key'), `${where}[${i}].key`),
      anyValue(field(kv, 'value'), `${where}[${i}].value`, depth),
    );
  }
  return into;
}

function attributes(o: JsonObject, where: string): Attributes {
  return keyValues(list(o, 'attributes', where), `${where}.attributes`, 0);
}

function event(v: unknown, where: string): DecodedEvent {
  const e = object(v, where);
  return {
    name: string(field(e, 'name'), `${where}.name`),
    timeUnixNano: timestamp(field(e, 'timeUnixNano'), `${where}.timeUnixNano`),
    attributes: attributes(e, where),
  };
}

function span(v: unknown, where: string): DecodedSpan {
  const s = object(v, where);
  const status = optionalObject(s, 'status', where);
  return {
    traceId: id(field(s, 'traceId'), 16, `${where}.traceId`, false),
    spanId: id(field(s, 'spanId'), 8, `${where}.spanId`, false),
    parentSpanId: id(field(s, 'parentSpanId'), 8, `${where}.parentSpanId`, true),
    name: string(field(s, 'name'), `${where}.name`),
    kind: enumValue(field(s, 'kind'), `${where}.kind`),
    startTimeUnixNano: timestamp(field(s, 'startTimeUnixNano'), `${where}.startTimeUnixNano`),
    endTimeUnixNano: timestamp(field(s, 'endTimeUnixNano'), `${where}.endTimeUnixNano`),
    attributes: attributes(s, where),
    status: {
      code: enumValue(field(status, 'code'), `${where}.status.code`),
      message: string(field(status, 'message'), `${where}.status.message`),
    },
    events: list(s, 'events', where).map((e, i) => event(e, `${where}.events[${i}]`)),
  };
}

function scopeSpans(v: unknown, where: string): DecodedScopeSpans {
  const o = object(v, where);
  const scope = optionalObject(o, 'scope', where);
  return {
    name: string(field(scope, 'name'), `${where}.scope.name`),
    version: string(field(scope, 'version'), `${where}.scope.version`),
    spans: list(o, 'spans', where).map((s, i) => span(s, `${where}.spans[${i}]`)),
  };
}

function resourceSpans(v: unknown, where: string): DecodedResourceSpans {
  const o = object(v, where);
  return {
    resource: attributes(optionalObject(o, 'resource', where), `${where}.resource`),
    scopes: list(o, 'scopeSpans', where).map((s, i) => scopeSpans(s, `${where}.scopeSpans[${i}]`)),
  };
}

/** Parses a JSON request body, which must be an object; the parser's own complaint becomes a DecodeError. */
export function parseJsonObject(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DecodeError(`the request is not valid JSON: ${(err as Error).message}`);
  }
  return object(parsed, 'the request');
}

/** The spans a parsed request holds, as far as its arrays say; the decode checks the rest. */
function countSpans(root: JsonObject): number {
  const each = (o: unknown, name: string): unknown[] => {
    const v = isObject(o) ? field(o, name) : undefined;
    return Array.isArray(v) ? v : [];
  };
  let n = 0;
  for (const rs of each(root, 'resourceSpans')) {
    for (const ss of each(rs, 'scopeSpans')) n += each(ss, 'spans').length;
  }
  return n;
}

/**
 * Decodes an ExportTraceServiceRequest in OTLP/JSON. Throws DecodeError, with
 * the path of the offending value, for invalid JSON or a wrong shape, and
 * TooManySpansError, before decoding any span, for more than `maxSpans`.
 */
export function decodeTraceRequestJson(text: string, maxSpans = Infinity): TraceRequest {
  const root = parseJsonObject(text);
  if (countSpans(root) > maxSpans) throw new TooManySpansError(maxSpans);
  return {
    resourceSpans: list(root, 'resourceSpans', 'request').map((r, i) =>
      resourceSpans(r, `request.resourceSpans[${i}]`),
    ),
  };
}
