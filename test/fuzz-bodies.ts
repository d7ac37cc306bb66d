import { gzipSync } from 'node:zlib';

// OTLP trace export bodies written by hand, in both encodings, so a fuzzer can
// make a hundred thousand of them quickly and bend any field of them: values of
// any type, ids of any length, nesting of any depth. The official serializers
// cannot produce most of what a hostile client sends.

/** An AnyValue: string, int (number or exact bigint), double (NaN and ±Infinity allowed), bool, array, kvlist. */
export type V =
  | { s: string }
  | { i: number | bigint }
  | { d: number }
  | { b: boolean }
  | { arr: V[] }
  | { kv: Attr[] };
export type Attr = [string, V];

export interface SpanSpec {
  traceId: string; // hex; any length (the decoder decides)
  spanId: string;
  name: string;
  startNs: bigint;
  endNs: bigint;
  attrs: Attr[];
}

export interface BodySpec {
  resource: Attr[];
  spans: SpanSpec[];
}

/** A small seeded PRNG (xorshift32): the same seed makes the same bodies, so a failure replays. */
export function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

// ---- protobuf ----

function varint(v: number | bigint): number[] {
  const out: number[] = [];
  if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return out;
  }
  let u = BigInt.asUintN(64, BigInt(v));
  do {
    let b = Number(u & 0x7fn);
    u >>= 7n;
    if (u) b |= 0x80;
    out.push(b);
  } while (u);
  return out;
}

const cat = (parts: (Uint8Array | number[])[]) =>
  Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Buffer.from(p))));
const len = (no: number, body: Uint8Array) => cat([varint(no * 8 + 2), varint(body.length), body]);
const str = (no: number, s: string) => len(no, Buffer.from(s, 'utf8'));
function fixed64(no: number, v: bigint): Buffer {
  const b = Buffer.alloc(9);
  b[0] = no * 8 + 1;
  b.writeBigUInt64LE(BigInt.asUintN(64, v), 1);
  return b;
}
function double(no: number, v: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = no * 8 + 1;
  b.writeDoubleLE(v, 1);
  return b;
}

function anyProto(v: V): Buffer {
  if ('s' in v) return str(1, v.s);
  if ('b' in v) return cat([[0x10], varint(v.b ? 1 : 0)]);
  if ('i' in v) return cat([[0x18], varint(v.i)]);
  if ('d' in v) return double(4, v.d);
  if ('arr' in v) return len(5, cat(v.arr.map((x) => len(1, anyProto(x)))));
  return len(6, cat(v.kv.map((a) => len(1, kvProto(a)))));
}
const kvProto = ([k, v]: Attr) => cat([str(1, k), len(2, anyProto(v))]);
const hexBytes = (h: string) => Buffer.from(h.length % 2 ? `${h}0` : h, 'hex');

function spanProto(s: SpanSpec): Buffer {
  return cat([
    len(1, hexBytes(s.traceId)),
    len(2, hexBytes(s.spanId)),
    str(5, s.name),
    [0x30, 3], // kind: client
    fixed64(7, s.startNs),
    fixed64(8, s.endNs),
    ...s.attrs.map((a) => len(9, kvProto(a))),
  ]);
}

export function toProto(b: BodySpec): Buffer {
  const scope = cat([len(1, str(1, 'fuzz')), ...b.spans.map((s) => len(2, spanProto(s)))]);
  const resource = cat(b.resource.map((a) => len(1, kvProto(a))));
  return len(1, cat([len(1, resource), len(2, scope)]));
}

// ---- JSON ----

function anyJson(v: V): unknown {
  if ('s' in v) return { stringValue: v.s };
  if ('b' in v) return { boolValue: v.b };
  // int64 on the wire: 2^64 - 1 is -1 in both encodings.
  if ('i' in v) return { intValue: String(BigInt.asIntN(64, BigInt(v.i))) };
  if ('d' in v) return { doubleValue: Number.isFinite(v.d) ? v.d : String(v.d) };
  if ('arr' in v) return { arrayValue: { values: v.arr.map(anyJson) } };
  return { kvlistValue: { values: v.kv.map(kvJson) } };
}
const kvJson = ([key, v]: Attr) => ({ key, value: anyJson(v) });

export function toJson(b: BodySpec): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: b.resource.map(kvJson) },
        scopeSpans: [
          {
            scope: { name: 'fuzz' },
            spans: b.spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              name: s.name,
              kind: 3,
              startTimeUnixNano: String(s.startNs),
              endTimeUnixNano: String(s.endNs),
              attributes: s.attrs.map(kvJson),
            })),
          },
        ],
      },
    ],
  });
}

// ---- mutation ----

/** 1 to 4 edits: a flipped bit, a cut, random bytes, a copied segment, a random byte. */
export function mutate(input: Uint8Array, rand: (n: number) => number): Buffer {
  let b = Buffer.from(input);
  const edits = 1 + rand(4);
  for (let e = 0; e < edits; e++) {
    const at = rand(b.length + 1);
    const insert = (bytes: Uint8Array) => Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)]);
    switch (rand(5)) {
      case 0:
        if (b.length) b[at % b.length]! ^= 1 << rand(8);
        break;
      case 1:
        b = b.subarray(0, at);
        break;
      case 2:
        b = insert(Buffer.from(Array.from({ length: 1 + rand(8) }, () => rand(256))));
        break;
      case 3: {
        const from = rand(b.length + 1);
        b = insert(Buffer.from(b.subarray(from, Math.min(from + rand(256), b.length))));
        break;
      }
      default:
        if (b.length) b[at % b.length] = rand(256);
    }
  }
  return b;
}

/** Protobuf fields nested `depth` deep: an AnyValue of arrays of arrays of ... */
export function deepProto(depth: number): Buffer {
  let v: Buffer = str(1, 'bottom');
  for (let i = 0; i < depth; i++) v = len(5, len(1, v));
  const attr = len(9, cat([str(1, 'deep'), len(2, v)]));
  const span = cat([len(1, Buffer.alloc(16, 7)), len(2, Buffer.alloc(8, 7)), attr]);
  return len(1, len(2, len(2, span)));
}

/** JSON nested `depth` deep in an attribute value (or, with `raw`, as bare arrays). */
export function deepJson(depth: number, raw: boolean): string {
  if (raw) return `{"resourceSpans":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const open = '{"arrayValue":{"values":['.repeat(depth);
  const close = ']}}'.repeat(depth);
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'7'.repeat(32)}","spanId":"${'7'.repeat(16)}","attributes":[{"key":"deep","value":${open}{"stringValue":"x"}${close}}]}]}]}]}`;
}

export const gzip = (b: Uint8Array | string) => gzipSync(b);
export { varint as protoVarint };
