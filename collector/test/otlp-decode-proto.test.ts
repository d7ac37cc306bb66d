import { describe, expect, it } from 'vitest';
import { type DecodedSpan, DecodeError, decodeTraceRequestProto } from '../src/otlp/index.js';
import {
  bytesOf,
  expectedGenAi,
  finishedSpans,
  genAiSpans,
  ld,
  nestedArrays,
  parentChild,
  proto,
  refusal,
  requestWithSpan,
  SPAN_ID,
  TRACE_ID,
  tag,
  varint,
} from './otlp-fixtures.js';

// Payloads come from the official OpenTelemetry JS SDK and serializers, so the
// decoders are checked against what real exporters send, not against our own
// reading of the spec. Hand-made bytes appear only where a body must be broken.

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
