import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProto } from '../src/otlp/index.js';
import {
  expectedGenAi,
  finishedSpans,
  genAiSpans,
  json,
  parentChild,
  proto,
  refusal,
} from './otlp-fixtures.js';

// Payloads come from the official OpenTelemetry JS SDK and serializers, so the
// decoders are checked against what real exporters send, not against our own
// reading of the spec. Hand-made bytes appear only where a body must be broken.

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
