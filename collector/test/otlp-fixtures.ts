import {
  context,
  type HrTime,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import { DecodeError, type TraceRequest } from '../src/otlp/index.js';

// What the OTLP decoder tests share: spans made by the official SDK and serialized by
// the official serializers, and the few hand-made protobuf bytes that break a body.

export const RESOURCE = { 'service.name': 'chat-app', 'deployment.environment': 'test' };
export const SCOPE = '@costlens/instrumentation';

export function finishedSpans(make: (tracer: Tracer) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    // A given resource replaces the SDK's default one (telemetry.sdk.*) instead of merging with it.
    resource: defaultResource().merge(resourceFromAttributes(RESOURCE)),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  make(provider.getTracer(SCOPE, '0.1.0'));
  return memory.getFinishedSpans();
}

export const proto = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!;
export const json = (spans: ReadableSpan[]) =>
  new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!);
export const nanos = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** A chat call as the instrumentation records it, with every AnyValue kind, and a plain span. */
export function genAiSpans(): ReadableSpan[] {
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
export function expectedGenAi(spans: ReadableSpan[]): TraceRequest {
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
export function parentChild(): ReadableSpan[] {
  return finishedSpans((tracer) => {
    // The parent is passed explicitly: no context manager is registered here.
    const parent = tracer.startSpan('parent');
    tracer.startSpan('child', {}, trace.setSpan(context.active(), parent)).end();
    parent.end();
  });
}

// --- test-only protobuf writer, for bodies that must be broken on purpose ---

export function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
export const tag = (field: number, wire: number) => varint(field * 8 + wire);
export const ld = (field: number, ...parts: ArrayLike<number>[]) => {
  const body = parts.flatMap((p) => Array.from(p));
  return [...tag(field, 2), ...varint(body.length), ...body];
};
export const bytesOf = (...parts: ArrayLike<number>[]) =>
  Uint8Array.from(parts.flatMap((p) => Array.from(p)));
export const TRACE_ID = Array.from({ length: 16 }, (_, i) => i + 1);
export const SPAN_ID = Array.from({ length: 8 }, (_, i) => 0xa0 + i);
/** ExportTraceServiceRequest > ResourceSpans > ScopeSpans > Span with valid ids and `fields`. */
export const requestWithSpan = (...fields: ArrayLike<number>[]) =>
  bytesOf(ld(1, ld(2, ld(2, ld(1, TRACE_ID), ld(2, SPAN_ID), ...fields))));
/** An attribute `k` whose value is `inner` wrapped in `depth` arrays. */
export function nestedArrays(depth: number): number[] {
  let value = ld(1, new TextEncoder().encode('leaf')); // AnyValue.string_value
  for (let i = 0; i < depth; i++) value = ld(5, ld(1, value)); // array_value > values
  return ld(9, ld(1, [0x6b]), ld(2, value)); // Span.attributes: KeyValue { key 'k', value }
}

export function refusal(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  throw new Error('expected a DecodeError, but the body decoded');
}
