import {
  context,
  type HrTime,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  countLogsRequest,
  countMetricsRequest,
  type DecodedSpan,
  DecodeError,
  decodeTraceRequestJson,
  decodeTraceRequestProto,
  encodeExportResponse,
  encodeStatus,
  exportResponseJson,
  exportResponseProto,
  type TraceRequest,
} from '../src/otlp/index.js';

// Payloads come from the official OpenTelemetry JS SDK and serializers, so the
// decoders are checked against what real exporters send, not against our own
// reading of the spec. Hand-made bytes appear only where a body must be broken.

const RESOURCE = { 'service.name': 'chat-app', 'deployment.environment': 'test' };
const SCOPE = '@costlens/instrumentation';

function finishedSpans(make: (tracer: Tracer) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    // A given resource replaces the SDK's default one (telemetry.sdk.*) instead of merging with it.
    resource: defaultResource().merge(resourceFromAttributes(RESOURCE)),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  make(provider.getTracer(SCOPE, '0.1.0'));
  return memory.getFinishedSpans();
}

const proto = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!;
const json = (spans: ReadableSpan[]) =>
  new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!);
const nanos = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** A chat call as the instrumentation records it, with every AnyValue kind, and a plain span. */
function genAiSpans(): ReadableSpan[] {
  return finishedSpans((tracer) => {
    const s = tracer.startSpan('chat gpt-4o', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 345,
        'costlens.cost.usd': 0.0123,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.request.stream': true,
        'costlens.test.kvlist': { input: 0.01, output: 0.0023, tiers: ['a', 2, false] },
        'costlens.test.bytes': new Uint8Array([0, 1, 254, 255]),
        'costlens.test.big': 2 ** 60,
        'costlens.test.negative': -42,
        'costlens.test.empty': '',
        'costlens.test.array_with_null': [1, null],
      },
    });
    s.addEvent('gen_ai.first_chunk', { 'gen_ai.response.time_to_first_chunk': 0.25 });
    s.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    tracer.startSpan('retry', { kind: SpanKind.INTERNAL }).end();
    s.end();
  });
}

/** The whole decoded request for `genAiSpans()`, built from the SDK's own record of the spans. */
function expectedGenAi(spans: ReadableSpan[]): TraceRequest {
  const [retry, chat] = spans as [ReadableSpan, ReadableSpan];
  return {
    resourceSpans: [
      {
        resource: {
          ...RESOURCE,
          'telemetry.sdk.language': 'nodejs',
          'telemetry.sdk.name': 'opentelemetry',
          'telemetry.sdk.version': expect.any(String),
        },
        scopes: [
          {
            name: SCOPE,
            version: '0.1.0',
            spans: [
              {
                traceId: retry.spanContext().traceId,
                spanId: retry.spanContext().spanId,
                parentSpanId: '',
                name: 'retry',
                kind: 1,
                startTimeUnixNano: nanos(retry.startTime),
                endTimeUnixNano: nanos(retry.endTime),
                attributes: {},
                status: { code: 0, message: '' },
                events: [],
              },
              {
                traceId: chat.spanContext().traceId,
                spanId: chat.spanContext().spanId,
                parentSpanId: '',
                name: 'chat gpt-4o',
                kind: 3, // OTLP's CLIENT (the API's enum is one lower)
                startTimeUnixNano: nanos(chat.startTime),
                endTimeUnixNano: nanos(chat.endTime),
                attributes: {
                  'gen_ai.operation.name': 'chat',
                  'gen_ai.provider.name': 'openai',
                  'gen_ai.request.model': 'gpt-4o',
                  'gen_ai.usage.input_tokens': 1200,
                  'gen_ai.usage.output_tokens': 345,
                  'costlens.cost.usd': 0.0123,
                  'gen_ai.response.finish_reasons': ['stop'],
                  'gen_ai.request.stream': true,
                  'costlens.test.kvlist': { input: 0.01, output: 0.0023, tiers: ['a', 2, false] },
                  'costlens.test.bytes': new Uint8Array([0, 1, 254, 255]),
                  'costlens.test.big': 1152921504606846976n,
                  'costlens.test.negative': -42,
                  'costlens.test.empty': '',
                  'costlens.test.array_with_null': [1, null],
                },
                status: { code: 2, message: 'rate limited' },
                events: [
                  {
                    name: 'gen_ai.first_chunk',
                    timeUnixNano: nanos(chat.events[0]!.time),
                    attributes: { 'gen_ai.response.time_to_first_chunk': 0.25 },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** A parent and child in one trace, so parent_span_id is set. */
function parentChild(): ReadableSpan[] {
  return finishedSpans((tracer) => {
    // The parent is passed explicitly: no context manager is registered here.
    const parent = tracer.startSpan('parent');
    tracer.startSpan('child', {}, trace.setSpan(context.active(), parent)).end();
    parent.end();
  });
}

// --- test-only protobuf writer, for bodies that must be broken on purpose ---

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const ld = (field: number, ...parts: ArrayLike<number>[]) => {
  const body = parts.flatMap((p) => Array.from(p));
  return [...tag(field, 2), ...varint(body.length), ...body];
};
const bytesOf = (...parts: ArrayLike<number>[]) =>
  Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const TRACE_ID = Array.from({ length: 16 }, (_, i) => i + 1);
const SPAN_ID = Array.from({ length: 8 }, (_, i) => 0xa0 + i);
/** ExportTraceServiceRequest > ResourceSpans > ScopeSpans > Span with valid ids and `fields`. */
const requestWithSpan = (...fields: ArrayLike<number>[]) =>
  bytesOf(ld(1, ld(2, ld(2, ld(1, TRACE_ID), ld(2, SPAN_ID), ...fields))));
/** An attribute `k` whose value is `inner` wrapped in `depth` arrays. */
function nestedArrays(depth: number): number[] {
  let value = ld(1, new TextEncoder().encode('leaf')); // AnyValue.string_value
  for (let i = 0; i < depth; i++) value = ld(5, ld(1, value)); // array_value > values
  return ld(9, ld(1, [0x6b]), ld(2, value)); // Span.attributes: KeyValue { key 'k', value }
}

function refusal(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  throw new Error('expected a DecodeError, but the body decoded');
}

describe('decodeTraceRequestProto on the official protobuf serializer', () => {
  it('decodes GenAI spans with every kind of attribute value, whole object', () => {
    const spans = genAiSpans();
    expect(decodeTraceRequestProto(proto(spans))).toEqual(expectedGenAi(spans));
  });

  it('keeps int64 attributes exact: numbers when safe, bigint beyond', () => {
    const spans = genAiSpans();
    const attrs = decodeTraceRequestProto(proto(spans)).resourceSpans[0]!.scopes[0]!.spans[1]!
      .attributes;
    expect(typeof attrs['gen_ai.usage.input_tokens']).toBe('number');
    expect(attrs['costlens.test.big']).toBe(2n ** 60n);
    expect(attrs['costlens.test.negative']).toBe(-42);
    expect(attrs['costlens.test.bytes']).toBeInstanceOf(Uint8Array);
  });

  it('decodes parent span ids', () => {
    const spans = parentChild();
    const [child, parent] = decodeTraceRequestProto(proto(spans)).resourceSpans[0]!.scopes[0]!
      .spans as [DecodedSpan, DecodedSpan];
    expect(child.name).toBe('child');
    expect(child.parentSpanId).toBe(spans[1]!.spanContext().spanId);
    expect(child.traceId).toBe(spans[1]!.spanContext().traceId);
    expect(parent).toMatchObject({ name: 'parent', parentSpanId: '' });
  });

  it('decodes unicode text in names, keys and values', () => {
    const spans = finishedSpans((t) =>
      t
        .startSpan('聊天 gpt-4o 🤖', {
          attributes: { 'costlens.prompt': 'héllo wörld ✓ 𝄞', 'ключ.😀': 'значение' },
        })
        .end(),
    );
    const span = decodeTraceRequestProto(proto(spans)).resourceSpans[0]!.scopes[0]!.spans[0]!;
    expect(span.name).toBe('聊天 gpt-4o 🤖');
    expect(span.attributes).toEqual({
      'costlens.prompt': 'héllo wörld ✓ 𝄞',
      'ключ.😀': 'значение',
    });
  });

  it('decodes short strings that repeat, collide or differ by one byte exactly, across requests', () => {
    // Short strings come from a fixed-size table of recently decoded ones: more
    // distinct strings than it has slots, of equal lengths, must still each decode to
    // themselves (100 spans of 60 attributes: the SDK keeps at most 128 per span).
    const keys = Array.from({ length: 6000 }, (_, i) => `k.${String(i).padStart(5, '0')}`);
    const value = (i: number) => (i % 2 ? `v${i}é` : `v${i}`);
    for (let round = 0; round < 2; round++) {
      const spans = finishedSpans((t) => {
        for (let s = 0; s < 100; s++) {
          const attributes: Record<string, string> = {};
          for (let i = s * 60; i < (s + 1) * 60; i++) attributes[keys[i]!] = value(i);
          t.startSpan(`span ${s}`, { attributes }).end();
        }
      });
      const decoded = decodeTraceRequestProto(proto(spans)).resourceSpans[0]!.scopes[0]!.spans;
      expect(decoded).toHaveLength(100);
      decoded.forEach((span, s) => {
        expect(span.name).toBe(`span ${s}`);
        const expected: Record<string, string> = {};
        for (let i = s * 60; i < (s + 1) * 60; i++) expected[keys[i]!] = value(i);
        expect(span.attributes).toEqual(expected);
      });
    }
  });

  it('decodes invalid UTF-8 in a short string to U+FFFD every time, and the valid string beside it as itself', () => {
    // A span whose name is a stray continuation byte, then the same span named 'é'
    // (0xc3 0xa9): the same length, and the first byte alone is invalid too.
    const nameOf = (name: number[]) =>
      decodeTraceRequestProto(requestWithSpan(ld(5, name))).resourceSpans[0]!.scopes[0]!.spans[0]!
        .name;
    for (let i = 0; i < 2; i++) {
      expect(nameOf([0xa9, 0x41])).toBe('\ufffdA');
      expect(nameOf([0xc3, 0xa9])).toBe('é');
    }
  });

  it('decodes an empty request, and an empty body, to no spans', () => {
    expect(decodeTraceRequestProto(proto([]))).toEqual({ resourceSpans: [] });
    expect(decodeTraceRequestProto(new Uint8Array(0))).toEqual({ resourceSpans: [] });
  });

  it('skips unknown fields of every wire type, at the top and inside messages', () => {
    const spans = genAiSpans();
    const body = proto(spans);
    const want = expectedGenAi(spans);
    const unknown = [
      ...tag(99, 0),
      ...varint(2n ** 63n),
      ...tag(100, 1),
      ...[1, 2, 3, 4, 5, 6, 7, 8],
      ...ld(101, [9, 9, 9]),
      ...tag(102, 5),
      ...[1, 2, 3, 4],
      ...tag(536_870_911, 0), // the largest field number there is
      0,
    ];
    expect(decodeTraceRequestProto(bytesOf(body, unknown))).toEqual(want);
    expect(decodeTraceRequestProto(bytesOf(unknown, body))).toEqual(want);
    // Inside ResourceSpans: unwrap the request's only field 1, append, wrap again.
    expect(body[0]).toBe(0x0a);
    let len = 0;
    let at = 1;
    for (let shift = 0; ; shift += 7) {
      const b = body[at++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    expect(at + len).toBe(body.length);
    const inner = bytesOf(ld(1, body.subarray(at), unknown));
    expect(decodeTraceRequestProto(inner)).toEqual(want);
  });

  it('reads a span with a negative kind, sign-extended to ten bytes, as that int32', () => {
    const request = decodeTraceRequestProto(requestWithSpan(tag(6, 0), varint(-1)));
    expect(request.resourceSpans[0]!.scopes[0]!.spans[0]!.kind).toBe(-1);
  });

  it('accepts values nested as deep as the limit (32)', () => {
    const span = decodeTraceRequestProto(requestWithSpan(nestedArrays(32))).resourceSpans[0]!
      .scopes[0]!.spans[0]!;
    let v: unknown = span.attributes.k;
    for (let i = 0; i < 32; i++) v = (v as unknown[])[0];
    expect(v).toBe('leaf');
  });
});

describe('decodeTraceRequestProto refuses malformed bodies with DecodeError', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['a truncated tag', bytesOf([0x8a]), /truncated varint at byte 0/],
    ['a missing length', bytesOf([0x0a]), /truncated varint at byte 1/],
    ['a truncated length', bytesOf([0x0a, 0x80]), /truncated varint at byte 1/],
    [
      'a length past the end',
      bytesOf([0x0a, 0x05, 0x00]),
      /length 5 runs past the end .* at byte 1/,
    ],
    [
      'a claimed length of 4 GiB',
      bytesOf([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      /length 4294967295 runs past the end/,
    ],
    [
      'a known field with the wrong wire type',
      bytesOf([0x08, 0x01]),
      /ExportTraceServiceRequest field 1 has wire type 0, expected 2 at byte 1/,
    ],
    [
      'a span name sent as a varint',
      requestWithSpan(tag(5, 0), [1]),
      /Span field 5 has wire type 0, expected 2 at byte \d+/,
    ],
    [
      'a start time sent as a varint',
      requestWithSpan(tag(7, 0), [1]),
      /Span field 7 has wire type 0, expected 1/,
    ],
    [
      'an int attribute sent as 32-bit',
      requestWithSpan(ld(9, ld(1, [0x6b]), ld(2, tag(3, 5), [0, 0, 0, 0]))),
      /AnyValue field 3 has wire type 5, expected 0/,
    ],
    [
      'a varint longer than 10 bytes',
      bytesOf(tag(99, 0), Array(10).fill(0xff), [0x01]),
      /varint longer than 10 bytes at byte 2/,
    ],
    [
      'a tag longer than 10 bytes',
      bytesOf(Array(11).fill(0x80)),
      /varint longer than 10 bytes at byte 0/,
    ],
    [
      'a varint with bits beyond 64',
      bytesOf(tag(99, 0), Array(9).fill(0xff), [0x02]),
      /varint overflows 64 bits at byte 2/,
    ],
    ['a tag beyond field 2^29 - 1', bytesOf(varint(2 ** 32 + 8)), /out of range at byte 0/],
    ['a group start', bytesOf([0x0b]), /field 1 is a group \(wire type 3\).* at byte 0/],
    ['a group end', bytesOf(tag(7, 4)), /field 7 is a group \(wire type 4\)/],
    ['wire type 6', bytesOf([0x0e]), /field 1 has invalid wire type 6 at byte 0/],
    ['field number 0', bytesOf([0x02, 0x00]), /field number 0 at byte 0/],
    [
      'a truncated fixed64',
      requestWithSpan(tag(7, 1), [1, 2, 3]),
      /truncated fixed64 \(8 bytes needed, 3 left\) at byte 35/,
    ],
    [
      'a truncated unknown 32-bit field',
      bytesOf(tag(99, 5), [1, 2]),
      /truncated 32-bit field \(4 bytes needed, 2 left\) at byte 2/,
    ],
    [
      'a trace_id of 5 bytes',
      bytesOf(ld(1, ld(2, ld(2, ld(1, [1, 2, 3, 4, 5]), ld(2, SPAN_ID))))),
      /Span has a trace_id of 5 bytes, expected 16 at byte 6/,
    ],
    [
      'a span without a span_id',
      bytesOf(ld(1, ld(2, ld(2, ld(1, TRACE_ID))))),
      /Span has a span_id of 0 bytes, expected 8/,
    ],
    [
      'a parent_span_id of 3 bytes',
      requestWithSpan(ld(4, [1, 2, 3])),
      /Span has a parent_span_id of 3 bytes, expected 0 or 8/,
    ],
    [
      'values nested deeper than 32',
      requestWithSpan(nestedArrays(33)),
      /nested deeper than 32 at byte \d+/,
    ],
    ['values nested 10,000 deep', requestWithSpan(nestedArrays(10_000)), /nested deeper than 32/],
  ];
  it.each(cases)('%s', (_, body, message) => {
    const err = refusal(() => decodeTraceRequestProto(body));
    expect(err.message).toMatch(message);
    expect(err.offset).toBeTypeOf('number');
  });

  it('a field length that overruns its enclosing message (not the body) is refused', () => {
    // ScopeSpans claims 2 bytes, but the span inside claims 40: still within the body.
    const body = bytesOf(ld(1, [0x12, 0x02, 0x12, 0x28]), Array(50).fill(0));
    expect(refusal(() => decodeTraceRequestProto(body)).message).toMatch(
      /length 40 runs past the end of its message \(0 bytes left\) at byte 5/,
    );
  });

  it('every truncation of a real payload decodes a valid prefix or throws DecodeError', () => {
    const spans = genAiSpans();
    const body = proto(spans);
    let decoded = 0;
    for (let cut = 0; cut < body.length; cut++) {
      try {
        const request = decodeTraceRequestProto(body.subarray(0, cut));
        decoded++;
        for (const rs of request.resourceSpans)
          for (const s of rs.scopes)
            for (const span of s.spans) expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    }
    // Only the empty prefix is a whole message: the request is a single resource_spans field.
    expect(decoded).toBe(1);
  });

  it('decodes from a view into a larger buffer (a Buffer slice, as HTTP hands it over)', () => {
    const spans = genAiSpans();
    const body = proto(spans);
    const big = Buffer.alloc(body.length + 20, 0xff);
    big.set(body, 10);
    expect(decodeTraceRequestProto(big.subarray(10, 10 + body.length))).toEqual(
      expectedGenAi(spans),
    );
  });
});

describe('decodeTraceRequestJson on the official JSON serializer', () => {
  it('decodes GenAI spans with every kind of attribute value, whole object', () => {
    const spans = genAiSpans();
    expect(decodeTraceRequestJson(json(spans))).toEqual(expectedGenAi(spans));
  });

  it('gives the same object as the protobuf decoder', () => {
    const spans = [...genAiSpans(), ...parentChild()];
    expect(decodeTraceRequestJson(json(spans))).toEqual(decodeTraceRequestProto(proto(spans)));
  });

  it('decodes unicode text', () => {
    const spans = finishedSpans((t) =>
      t.startSpan('聊天 🤖', { attributes: { 'ключ.😀': 'héllo ✓ 𝄞' } }).end(),
    );
    expect(decodeTraceRequestJson(json(spans))).toEqual(decodeTraceRequestProto(proto(spans)));
  });

  it('decodes an empty request', () => {
    expect(decodeTraceRequestJson(json([]))).toEqual({ resourceSpans: [] });
    expect(decodeTraceRequestJson('{}')).toEqual({ resourceSpans: [] });
  });

  it('accepts the proto snake_case field names, as receivers must', () => {
    const spans = genAiSpans();
    const snake = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(snake)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v).map(([k, x]) => [
                k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
                snake(x),
              ]),
            )
          : v;
    const body = JSON.stringify(snake(JSON.parse(json(spans))));
    expect(body).toContain('"start_time_unix_nano"');
    expect(body).toContain('"kvlist_value"');
    expect(decodeTraceRequestJson(body)).toEqual(expectedGenAi(spans));
  });

  it('accepts 64-bit integers as strings or numbers, ids in upper case, and ignores unknown fields', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          futureField: { x: 1 },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  parentSpanId: '',
                  startTimeUnixNano: 1_764_000_000_000_000_000,
                  endTimeUnixNano: '18446744073709551615',
                  kind: 3,
                  attributes: [
                    { key: 'a', value: { intValue: '-9223372036854775808' } },
                    { key: 'b', value: { intValue: 7 } },
                    { key: 'c', value: { doubleValue: 'NaN' } },
                    { key: 'd', value: { doubleValue: '1.5e3' } },
                    { key: 'e', value: { bytesValue: '-_8' } },
                    { key: 'f', value: {} },
                    { key: 'g', value: { stringValue: 'x', stringValueStrindex: 3 } },
                    { key: 'h', value: { boolValue: false, intValue: null } },
                    { key: 'i', value: { kvlistValue: {} } },
                  ],
                  links: [{ whatever: true }],
                  status: null,
                },
              ],
            },
          ],
        },
      ],
    });
    expect(decodeTraceRequestJson(body)).toEqual({
      resourceSpans: [
        {
          resource: {},
          scopes: [
            {
              name: '',
              version: '',
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  parentSpanId: '',
                  name: '',
                  kind: 3,
                  startTimeUnixNano: 1_764_000_000_000_000_000n,
                  endTimeUnixNano: 2n ** 64n - 1n,
                  attributes: {
                    a: -(2n ** 63n),
                    b: 7,
                    c: Number.NaN,
                    d: 1500,
                    e: new Uint8Array([0xfb, 0xff]),
                    f: null,
                    g: 'x',
                    h: false,
                    i: {},
                  },
                  status: { code: 0, message: '' },
                  events: [],
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('keeps an attribute named __proto__ as an own property, not a prototype', () => {
    const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"__proto__","value":{"kvlistValue":{"values":[{"key":"polluted","value":{"boolValue":true}}]}}}]}}]}`;
    const resource = decodeTraceRequestJson(body).resourceSpans[0]!.resource;
    expect(Object.getPrototypeOf(resource)).toBe(Object.prototype);
    expect(Object.keys(resource)).toEqual(['__proto__']);
    expect((resource as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeTraceRequestJson refuses malformed bodies with DecodeError', () => {
  const valid = (span: Record<string, unknown>) =>
    JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  ...span,
                },
              ],
            },
          ],
        },
      ],
    });
  const attr = (value: unknown) => valid({ attributes: [{ key: 'k', value }] });
  // Built as text: JSON.stringify recurses once per level and would exhaust the stack itself.
  const nested = (depth: number) =>
    attr('NESTED').replace(
      '"NESTED"',
      `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"leaf"}${']}}'.repeat(depth)}`,
    );
  const SPAN = 'request.resourceSpans[0].scopeSpans[0].spans[0]';
  const cases: [string, string, RegExp][] = [
    ['invalid JSON', '{"resourceSpans": [', /^the request is not valid JSON: /],
    ['an empty body', '', /the request is not valid JSON/],
    ['a list', '[]', /the request must be an object, got a list/],
    ['null', 'null', /the request must be an object, got null/],
    ['resourceSpans not a list', '{"resourceSpans": {}}', /request\.resourceSpans must be a list/],
    [
      'a span that is not an object',
      '{"resourceSpans":[{"scopeSpans":[{"spans":[7]}]}]}',
      /request\.resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\] must be an object, got 7/,
    ],
    ['a short traceId', valid({ traceId: 'abc' }), /\.traceId must be 32 hex digits, got "abc"/],
    [
      'a base64 traceId',
      valid({ traceId: 'W47/95gDgQPSabYzgT/GDA==' }),
      /traceId must be 32 hex digits/,
    ],
    ['a traceId that is not hex', valid({ traceId: 'x'.repeat(32) }), /traceId must be 32 hex/],
    ['a missing spanId', valid({ spanId: undefined }), /spanId must be 16 hex digits, got ""/],
    ['a numeric spanId', valid({ spanId: 12 }), /spanId must be a string, got 12/],
    ['a short parentSpanId', valid({ parentSpanId: 'ab' }), /parentSpanId must be 16 hex/],
    [
      'a name that is a number',
      valid({ name: 5 }),
      new RegExp(`${esc(SPAN)}\\.name must be a string`),
    ],
    [
      'a kind by name',
      valid({ kind: 'SPAN_KIND_CLIENT' }),
      /kind must be an integer \(enums are numbers/,
    ],
    ['a fractional kind', valid({ kind: 1.5 }), /kind must be an integer/],
    [
      'a status code by name',
      valid({ status: { code: 'STATUS_CODE_ERROR' } }),
      /status\.code must be an integer/,
    ],
    ['a status that is a string', valid({ status: 'ok' }), /\.status must be an object/],
    [
      'a time that is not a number',
      valid({ startTimeUnixNano: 'soon' }),
      /startTimeUnixNano must be an integer/,
    ],
    ['a negative time', valid({ endTimeUnixNano: '-1' }), /endTimeUnixNano is out of range/],
    ['a time beyond 64 bits', valid({ endTimeUnixNano: '18446744073709551616' }), /out of range/],
    ['a fractional time', valid({ startTimeUnixNano: 1.5 }), /must be an integer/],
    ['attributes not a list', valid({ attributes: {} }), /\.attributes must be a list/],
    [
      'an attribute key that is not a string',
      valid({ attributes: [{ key: 1 }] }),
      /attributes\[0\]\.key must be a string/,
    ],
    [
      'an intValue that is not an integer',
      attr({ intValue: '12x' }),
      /value\.intValue must be an integer/,
    ],
    [
      'an intValue beyond int64',
      attr({ intValue: '9223372036854775808' }),
      /intValue is out of range/,
    ],
    ['a boolValue as a string', attr({ boolValue: 'true' }), /boolValue must be true or false/],
    ['a doubleValue as a word', attr({ doubleValue: 'lots' }), /doubleValue must be a number/],
    ['bytesValue that is not base64', attr({ bytesValue: '@@' }), /bytesValue must be base64/],
    ['bytesValue of impossible length', attr({ bytesValue: 'AAAAA' }), /bytesValue must be base64/],
    [
      'two values in one AnyValue',
      attr({ stringValue: 'a', intValue: 1 }),
      /sets both stringValue and intValue/,
    ],
    ['arrayValue without an object', attr({ arrayValue: [] }), /arrayValue must be an object/],
    [
      'kvlistValue values not a list',
      attr({ kvlistValue: { values: 1 } }),
      /kvlistValue\.values must be a list/,
    ],
    ['values nested deeper than 32', nested(33), /nested deeper than 32/],
    ['values nested 10,000 deep', nested(10_000), /nested deeper than 32/],
    ['30,000 nested JSON lists', `${'['.repeat(30_000)}${']'.repeat(30_000)}`, /must be an object/],
    [
      '30,000 nested lists as resourceSpans',
      `{"resourceSpans":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
      /resourceSpans\[0\] must be an object, got a list/,
    ],
  ];
  it.each(cases)('%s', (_, body, message) => {
    expect(refusal(() => decodeTraceRequestJson(body)).message).toMatch(message);
  });

  it('accepts values nested as deep as the limit (32)', () => {
    expect(() => decodeTraceRequestJson(nested(32))).not.toThrow();
  });
});

function esc(s: string): string {
  return s.replace(/[.[\]]/g, '\\$&');
}

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
