import {
  type Attr,
  type BodySpec,
  deepJson,
  deepProto,
  gzip,
  mutate,
  prng,
  protoVarint,
  type SpanSpec,
  toJson,
  toProto,
} from './fuzz-bodies.js';
import type { RawAnswer } from './raw-http.js';

// The classes of export request the collector fuzz test sends, from one seeded
// sequence. Every class but 'mutated' has a known answer; each span's trace id
// starts with its class, so the database says afterwards what was kept from whom.

const MB = 1024 * 1024;

export type Cls = 'good' | 'odd' | 'poison' | 'bad' | 'mutated';
export const PREFIX: Record<Cls, string> = {
  good: '900d',
  odd: '0dd0',
  poison: 'bad1',
  bad: 'bad0',
  mutated: 'f022',
};
export interface Case {
  cls: Cls;
  body: Buffer;
  headers: Record<string, string>;
  /** Trace id and span id, hex: the key the stored calls are found by. */
  ids?: string;
  /** For malformed bodies: the answer they must get. */
  status?: number;
}

let rand = prng(1);

/** Starts the sequence of cases again from `seed`. */
export function seedCases(seed: number): void {
  rand = prng(seed);
}
let serial = 0;
const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
const nowNs = BigInt(Date.now()) * 1_000_000n;

function spanOf(cls: Cls, attrs: Attr[] = []): SpanSpec {
  serial++;
  const start = nowNs - BigInt(rand(3_600_000)) * 1_000_000n;
  return {
    traceId: PREFIX[cls] + serial.toString(16).padStart(28, '0'),
    // Random, not the serial: a flipped bit in a trace id must not land on another span's ids.
    spanId: Array.from({ length: 4 }, () => rand(0x10000).toString(16).padStart(4, '0')).join(''),
    name: 'chat gpt-4o-mini',
    startNs: start,
    endNs: start + BigInt(1 + rand(5_000)) * 1_000_000n,
    attrs: [
      ['gen_ai.operation.name', { s: 'chat' }],
      ['gen_ai.provider.name', { s: 'openai' }],
      ['gen_ai.request.model', { s: 'gpt-4o-mini' }],
      ['gen_ai.usage.input_tokens', { i: 1 + rand(5_000) }],
      ['gen_ai.usage.output_tokens', { i: rand(500) }],
      ...attrs,
    ],
  };
}
const bodyOf = (span: SpanSpec, resource: Attr[] = []): BodySpec => ({
  resource: [['service.name', { s: 'fuzz' }], ...resource],
  spans: [span],
});

/** Values no call can have: each makes its span refused, in a request that is otherwise fine. */
const POISON: Attr[] = [
  ['gen_ai.usage.input_tokens', { i: -5 }],
  ['gen_ai.usage.output_tokens', { i: -(2n ** 62n) }],
  ['gen_ai.usage.input_tokens', { i: 2n ** 62n }],
  ['gen_ai.usage.input_tokens', { i: 2n ** 64n - 1n }],
  ['gen_ai.usage.input_tokens', { d: Number.NaN }],
  ['gen_ai.usage.output_tokens', { d: Number.POSITIVE_INFINITY }],
  ['gen_ai.usage.output_tokens', { d: -1 }],
  ['gen_ai.usage.input_tokens', { d: 1e300 }],
  ['costlens.cost.usd', { d: -0.5 }],
  ['costlens.cost.usd', { d: Number.NaN }],
  ['costlens.cost.usd', { d: 1e300 }],
  ['costlens.video.seconds', { d: Number.NEGATIVE_INFINITY }],
  ['costlens.image.count', { i: -1 }],
];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];

/** Keys and names that break code which treats attributes as a plain object, and huge names. */
function odd(): BodySpec {
  const key = pick(HOSTILE_KEYS);
  const attrs: Attr[] = [
    [
      key,
      {
        kv: [
          ['gen_ai.request.model', { s: 'polluted' }],
          ['polluted', { b: true }],
        ],
      },
    ],
    [pick(HOSTILE_KEYS), pick([{ s: 'x' }, { i: 1 }, { arr: [{ s: 'polluted' }] }])],
  ];
  if (rand(4) === 0) attrs.push(['gen_ai.request.model', { s: pick(HOSTILE_KEYS) }]);
  if (rand(400) === 0) attrs.push(['gen_ai.request.model', { s: 'm'.repeat(MB) }]);
  return bodyOf(spanOf('odd', attrs), [
    ['costlens.project', { s: pick(HOSTILE_KEYS) }],
    ['costlens.user', { s: pick(HOSTILE_KEYS) }],
    [pick(HOSTILE_KEYS), { kv: [['polluted', { b: true }]] }],
  ]);
}

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSONCT = { 'content-type': 'application/json' };

/** A body in a random encoding, gzipped or not. */
function encoded(spec: BodySpec, topLevelJunk = false): Omit<Case, 'cls'> {
  const proto = rand(2) === 0;
  let body: Buffer = proto ? toProto(spec) : Buffer.from(toJson(spec));
  // JSON.parse keeps "__proto__" as an own key: a decoder that copies it pollutes.
  if (!proto && topLevelJunk)
    body = Buffer.from(
      `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":1}},${body.toString().slice(1)}`,
    );
  // Seldom: starting a gzip stream costs more than the rest of the case.
  const zipped = rand(8) === 0;
  return {
    body: zipped ? gzip(body) : body,
    headers: { ...(proto ? PROTO : JSONCT), ...(zipped ? { 'content-encoding': 'gzip' } : {}) },
    ids: spec.spans[0]!.traceId + spec.spans[0]!.spanId,
  };
}

// Costly to build, so built once: nesting past the limit of 32, and 17 MB of zeros gzipped.
const DEEP_PROTO = [33, 34, 100, 1_000, 5_000].map(deepProto);
const BOMB = gzip(Buffer.alloc(17 * MB));

/** Bodies that must be refused whole, each with the status it must get. */
function malformed(): Case {
  const spec = bodyOf(spanOf('bad'));
  const kind = rand(13);
  const proto = [0, 2, 3, 4, 8, 11].includes(kind) ? toProto(spec) : Buffer.alloc(0);
  const json = [1, 9, 10].includes(kind) ? toJson(spec) : '';
  const ids = spec.spans[0]!.traceId + spec.spans[0]!.spanId;
  const bad = (body: Buffer, status: number, headers: Record<string, string> = PROTO): Case => ({
    cls: 'bad',
    body,
    headers,
    ids,
    status,
  });
  switch (kind) {
    case 0: // any cut of a one-field message leaves its length longer than what follows
      return bad(proto.subarray(0, 1 + rand(proto.length - 1)), 400);
    case 1:
      return bad(Buffer.from(json.slice(0, 1 + rand(json.length - 1))), 400, JSONCT);
    case 2: // resource_spans as a varint
      return bad(Buffer.from([0x08, ...protoVarint(rand(1000)), ...proto]), 400);
    case 3: // a length far beyond the body
      return bad(Buffer.from([0x0a, ...protoVarint(2n ** BigInt(20 + rand(43))), 1, 2, 3]), 400);
    case 4: // an 11-byte varint
      return bad(Buffer.from([0x0a, ...Array(10).fill(0xff), 0x01, ...proto]), 400);
    case 5:
      return bad(pick(DEEP_PROTO), 400);
    case 6:
      return bad(Buffer.from(deepJson(33 + rand(500), false)), 400, JSONCT);
    case 7:
      return bad(Buffer.from(deepJson(rand(100) ? 2 + rand(2_000) : 100_000, true)), 400, JSONCT);
    case 8: {
      const z = gzip(proto);
      return bad(z.subarray(0, rand(z.length - 8)), 400, { ...PROTO, 'content-encoding': 'gzip' });
    }
    case 9: // ids of the wrong length
      return bad(
        Buffer.from(json.replace(/"traceId":"[0-9a-f]+"/, '"traceId":"abc"')),
        400,
        JSONCT,
      );
    case 10:
      return bad(Buffer.from(json), 415, { 'content-type': pick(['text/plain', 'x/y', '']) });
    case 11:
      return bad(proto, 415, { ...PROTO, 'content-encoding': pick(['br', 'deflate', 'zstd']) });
    default: // 17 MB of zeros, 17 kB gzipped: stopped at the limit, not inflated
      return rand(50) === 0
        ? bad(BOMB, 413, { ...PROTO, 'content-encoding': 'gzip' })
        : bad(Buffer.from(`{"resourceSpans":${rand(2) ? '{}' : '"x"'}}`), 400, JSONCT);
  }
}

export function nextCase(): Case {
  // Few bodies that store something: each is a transaction, the rest are refused in microseconds.
  const r = rand(100);
  if (r < 2) return { cls: 'good', ...encoded(bodyOf(spanOf('good'))) };
  if (r < 4) return { cls: 'odd', ...encoded(odd(), true) };
  if (r < 8) return { cls: 'poison', ...encoded(bodyOf(spanOf('poison', [pick(POISON)]))) };
  if (r < 60) return malformed();
  // A mutation of any of the above: the answer is not known, only that it is not a 5xx.
  const seed =
    rand(3) === 0
      ? bodyOf(spanOf('mutated', [pick(POISON)]))
      : bodyOf(spanOf('mutated', rand(4) ? [] : odd().spans[0]!.attrs.slice(5)));
  const base = encoded(seed);
  return { cls: 'mutated', ...base, body: mutate(base.body, rand) };
}

/** The sentence of an error answer: google.rpc.Status.message, in JSON or protobuf. */
export function messageOf(a: RawAnswer): string {
  if (a.headers['content-type']?.includes('json'))
    return String((JSON.parse(a.body.toString()) as { message?: string }).message ?? '');
  // code (field 1, varint), then message (field 2, length-delimited).
  const b = a.body;
  let p = 0;
  if (b[p] === 0x08) {
    while (b[++p]! & 0x80);
    p++;
  }
  if (b[p] !== 0x12) return '';
  let n = 0;
  for (let shift = 0; ++p < b.length; shift += 7) {
    n += (b[p]! & 0x7f) * 2 ** shift;
    if (!(b[p]! & 0x80)) break;
  }
  return a.body.subarray(p + 1, p + 1 + n).toString();
}
