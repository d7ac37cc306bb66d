import type { Attributes } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { finishedSpans } from './spans.js';

// GenAI spans as the instrumentation makes them, covering every metric family and
// label a dashboard reads: streamed chat with a first chunk, retries, failures of two
// types, cache reads and writes, reasoning, images, video with and without sound, an
// unpriced model, two projects and two providers.

const chat = (model: string, extra: Attributes = {}): Attributes => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': model,
  'gen_ai.usage.input_tokens': 1200,
  'gen_ai.usage.output_tokens': 300,
  ...extra,
});

const SPANS: { name: string; attributes: Attributes; error?: string }[] = [
  {
    name: 'chat gpt-4o-mini',
    attributes: chat('gpt-4o-mini', {
      'gen_ai.usage.cache_read.input_tokens': 800,
      'gen_ai.response.time_to_first_chunk': 0.21,
      'costlens.retry.count': 2,
    }),
  },
  {
    name: 'chat gpt-4o',
    attributes: chat('gpt-4o', { 'gen_ai.response.time_to_first_chunk': 0.6 }),
  },
  {
    name: 'chat gpt-4o',
    attributes: chat('gpt-4o', { 'error.type': 'RateLimitError', 'costlens.retry.count': 3 }),
    error: 'Rate limit reached for gpt-4o: retry after 20s',
  },
  {
    name: 'chat claude-sonnet-4-5',
    attributes: {
      ...chat('claude-sonnet-4-5', {
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.usage.cache_creation.input_tokens': 500,
        'error.type': 'overloaded_error',
      }),
      'costlens.project': 'research',
    },
    error: 'Overloaded',
  },
  {
    name: 'chat o4-mini',
    attributes: chat('o4-mini', { 'gen_ai.usage.reasoning.output_tokens': 200 }),
  },
  { name: 'chat mystery-model-1', attributes: chat('mystery-model-1') },
  {
    name: 'image_generation gpt-image-1',
    attributes: {
      'gen_ai.operation.name': 'image_generation',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-image-1',
      'costlens.call_type': 'image',
      'costlens.image.count': 2,
      'costlens.image.size': '1024x1536',
      'costlens.image.resolution': '1024x1536',
      'costlens.image.quality': 'high',
    },
  },
  ...[true, false].map((audio) => ({
    name: 'video_generation veo-3.0-generate-001',
    attributes: {
      'gen_ai.operation.name': 'video_generation',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'veo-3.0-generate-001',
      'costlens.call_type': 'video',
      'costlens.video.seconds': 8,
      'costlens.video.resolution': '720p',
      'costlens.video.audio': audio,
      'costlens.project': 'research',
    },
  })),
];

/** The spans above, charged to project `shop` unless a span names another. */
export function coveringSpans(): ReadableSpan[] {
  return finishedSpans({ 'service.name': 'dash', 'costlens.project': 'shop' }, 'grafana', (t) => {
    for (const s of SPANS) {
      const span = t.startSpan(s.name, { attributes: s.attributes });
      if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
      span.end();
    }
  });
}

/** Sends spans to the collector with the official OTLP/HTTP protobuf exporter. */
export async function exportSpans(
  collectorUrl: string,
  spans: ReadableSpan[],
  ingestKey?: string,
): Promise<void> {
  const exporter = new OTLPTraceExporter({
    url: `${collectorUrl}/v1/traces`,
    headers: ingestKey ? { authorization: `Bearer ${ingestKey}` } : {},
  });
  const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
    exporter.export(spans, resolve),
  );
  await exporter.shutdown();
  if (result.code !== 0) throw new Error(`the export failed: ${result.error?.message}`);
}
