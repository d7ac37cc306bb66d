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

/** `n` finished gpt-4o-mini chat spans (input tokens 100, 101, ...), as an instrumented app makes them. */
export function chatSpans(n: number, service = 'svc'): ReadableSpan[] {
  return finishedSpans({ 'service.name': service }, 't', (tracer) => {
    for (let i = 0; i < n; i++) {
      tracer
        .startSpan('chat gpt-4o-mini', {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 100 + i,
          },
        })
        .end();
    }
  });
}
