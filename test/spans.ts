import type { Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Spans made by the real SDK, as an instrumented app makes them, kept to export (again). */
export function finishedSpans(
  resource: Record<string, string>,
  scope: string,
  make: (tracer: Tracer) => void,
): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  make(provider.getTracer(scope, '0.1.0'));
  return memory.getFinishedSpans();
}
