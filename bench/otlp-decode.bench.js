// The collector's own OTLP protobuf reader on a real 512-span export request (made by
// the official serializer), with the official serializer's encoding of the same
// request beside it for scale: there is no maintained OTLP decoder to compare with.
// Run: scripts/run node bench/otlp-decode.bench.js   (after npm run build), then node bench/publish.js
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTraceRequestProto } from '../collector/dist/otlp/index.js';
import { makeSpans } from './collector-load.js';
import { median, save } from './lib.js';

const SPANS = 512;
const spans = makeSpans(SPANS);
const body = ProtobufTraceSerializer.serializeRequest(spans);

function perSpan(fn, reps = 40, rounds = 15) {
  const out = [];
  for (let r = 0; r < rounds + 3; r++) {
    const t0 = performance.now();
    for (let k = 0; k < reps; k++) fn();
    if (r >= 3) out.push(((performance.now() - t0) * 1e6) / (reps * SPANS));
  }
  return { median: median(out), min: Math.min(...out) };
}

// With the collector's default span limit, as ingest calls it: the framing is counted first.
const decode = perSpan(() => decodeTraceRequestProto(body, 10_000));
const encode = perSpan(() => ProtobufTraceSerializer.serializeRequest(spans));
const result = {
  spans: SPANS,
  bytes: body.length,
  decodeNsPerSpan: decode,
  encodeNsPerSpan: encode,
  decodeMBps: body.length / SPANS / decode.median / 1e-3,
};
const file = save('otlp-decode', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
