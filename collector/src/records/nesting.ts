/**
 * One model call, one record. Two instrumentations watching the same call (the AI
 * SDK's OpenTelemetry integration and ours, or an SDK wrapper and the SDK) each
 * make a span for it, the outer one the parent of the inner; some integrations
 * also wrap a call in a span of the same operation (the AI SDK's `embeddings`
 * span around its provider call). The inner span is the one kept: it is the
 * call's own, with its own usage. The rule: a model-call span that is the parent
 * of another model-call span is not a record.
 *
 * Within one export request that is decided here. Across requests the store
 * decides it (store.ts): the inner span usually ends, and is exported, first.
 */

/** A decoded span's ids, as far as nesting needs them. */
export interface SpanIds {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

const key = (traceId: string, spanId: string) => traceId + spanId;

/**
 * The spans among `calls` (model-call spans of one request) that enclose another
 * of them, by trace id + span id: these are not records.
 */
export function enclosingSpans(calls: readonly SpanIds[]): Set<string> {
  const parents = new Set<string>();
  for (const s of calls) {
    if (s.parentSpanId) parents.add(key(s.traceId, s.parentSpanId));
  }
  const enclosing = new Set<string>();
  if (parents.size === 0) return enclosing;
  for (const s of calls) {
    const k = key(s.traceId, s.spanId);
    if (parents.has(k)) enclosing.add(k);
  }
  return enclosing;
}

export const spanKey = (s: SpanIds) => key(s.traceId, s.spanId);
