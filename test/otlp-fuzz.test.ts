import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  decodeTraceRequestJson,
  decodeTraceRequestProto,
} from '../collector/src/otlp/index.js';
import { finishedSpans } from './spans.js';

function payloads() {
  const spans = finishedSpans(
    { 'service.name': 'fuzz', 'deployment.environment': 'test' },
    '@costlens/instrumentation',
    (tracer) => {
      const s = tracer.startSpan('chat gpt-4o', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.usage.input_tokens': 1200,
          'costlens.cost.usd': 0.0123,
          'gen_ai.response.finish_reasons': ['stop', 'length'],
          'gen_ai.request.stream': true,
          'costlens.prompt': 'héllo wörld ✓',
        },
      });
      s.addEvent('first chunk', { n: 1 });
      s.end();
    },
  );
  return {
    proto: ProtobufTraceSerializer.serializeRequest(spans)!,
    json: new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!),
  };
}

/** A small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function mutate(input: Uint8Array, rand: (n: number) => number): Uint8Array {
  const b = Array.from(input);
  const edits = 1 + rand(4);
  for (let e = 0; e < edits; e++) {
    const at = rand(b.length + 1);
    switch (rand(5)) {
      case 0: // flip a bit
        if (b.length) b[at % b.length]! ^= 1 << rand(8);
        break;
      case 1: // truncate
        b.length = at;
        break;
      case 2: // insert random bytes
        b.splice(at, 0, ...Array.from({ length: 1 + rand(8) }, () => rand(256)));
        break;
      case 3: // duplicate a segment
        b.splice(at, 0, ...b.slice(rand(b.length + 1), rand(b.length + 1)));
        break;
      default: // a random byte
        if (b.length) b[at % b.length] = rand(256);
    }
  }
  return Uint8Array.from(b);
}

const attempt = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof DecodeError) return 'refused';
    throw err; // anything else is a bug
  }
};

describe('OTLP decoders under mutated input', () => {
  const { proto, json } = payloads();

  it('decode the unmutated payloads', () => {
    expect(decodeTraceRequestProto(proto)).toEqual(decodeTraceRequestJson(json));
  });

  it('protobuf: every truncation and 3,000 seeded mutations either decode or throw DecodeError', () => {
    for (let cut = 0; cut < proto.length; cut++)
      attempt(() => decodeTraceRequestProto(proto.subarray(0, cut)));
    const rand = prng(20261124);
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < 3000; i++)
      seen[attempt(() => decodeTraceRequestProto(mutate(proto, rand)))]++;
    expect(seen.refused).toBeGreaterThan(100);
  });

  it('JSON: 3,000 seeded mutations either decode or throw DecodeError', () => {
    const bytes = new TextEncoder().encode(json);
    const rand = prng(42);
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) {
      seen[attempt(() => decodeTraceRequestJson(new TextDecoder().decode(mutate(bytes, rand))))]++;
    }
    expect(seen.refused).toBeGreaterThan(100);
  });
});
