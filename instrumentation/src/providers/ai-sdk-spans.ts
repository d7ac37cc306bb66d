import { type Context, context, type Span, trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor, Span as StartedSpan } from '@opentelemetry/sdk-trace';

/**
 * The AI SDK's own OpenTelemetry spans, as far as costlens's spans need them.
 *
 * With `@ai-sdk/otel` registered, AI SDK 7 makes its model-call span (`chat`) the
 * active one around the provider call of `generateText` and `streamText` only:
 * the `chat` span of `generateObject` and `streamObject` and the inner
 * `embeddings` span of `embed` and `embedMany` are started beside the provider
 * call, never made active. Our span would then start a trace of its own, and the
 * collector, which keeps the innermost of nested model-call spans, would see two
 * unrelated calls and bill the call twice. This processor keeps the AI SDK's open
 * model-call spans, so that the provider call's span is started as their child.
 *
 * Pairing: a provider call takes the oldest open, not yet taken, model-call span
 * of the same model and kind in its own trace (the trace of the span active at the
 * call, or, with none, a trace the AI SDK began). The AI SDK starts that span just
 * before it calls the provider, so calls are paired in order; a retry, whose span
 * is already taken, is one more child of the span still open. When concurrent
 * calls of one model in one trace pair crosswise, each AI SDK span still has one
 * child of ours, so the records and their totals are the same.
 *
 * It costs a scope-name comparison per span of any other instrumentation, and
 * nothing when the AI SDK's telemetry is not registered.
 */

/** Instrumentation scopes of the AI SDK's telemetry: `@ai-sdk/otel`'s OpenTelemetry, and its Legacy (and AI SDK 6's) `ai.*` spans. */
const GEN_AI_SCOPE = 'gen_ai';
const LEGACY_SCOPE = 'ai';

/** The kinds of model call whose spans are paired. */
export type AiSdkCallKind = 'language' | 'embedding';

/** `gen_ai.operation.name` of a model call, by kind; agent, step and tool spans are none. */
const OPERATIONS: Record<string, AiSdkCallKind> = {
  chat: 'language',
  text_completion: 'language',
  generate_content: 'language',
  embeddings: 'embedding',
};

/** The Legacy integration's provider-call spans: `ai.generateObject.doGenerate`, `ai.embed.doEmbed`... */
const LEGACY_CALL = /^ai\.[A-Za-z]+\.do(Generate|Stream|Embed)$/;

/** Open model-call spans kept per model, and traces kept, at most: spans never ended must not pile up. */
const MAX_OPEN_PER_MODEL = 256;
const MAX_OWN_TRACES = 4096;

interface Open {
  span: Span;
  kind: AiSdkCallKind;
  traceId: string;
  /** Whether the AI SDK began its trace (no span of the app above it). */
  ownTrace: boolean;
  taken: boolean;
}

const scopeOf = (span: { instrumentationScope?: { name?: string } } | undefined) =>
  span?.instrumentationScope?.name;
const isAiSdkScope = (name: string | undefined) => name === GEN_AI_SCOPE || name === LEGACY_SCOPE;

export class AiSdkSpans implements SpanProcessor {
  /** Open model-call spans by model id, oldest first. */
  private readonly open = new Map<string, Open[]>();
  /** Traces the AI SDK began, with their open AI SDK root spans' count. */
  private readonly ownTraces = new Map<string, number>();

  onStart(span: StartedSpan, parentContext: Context): void {
    const scope = scopeOf(span);
    if (!isAiSdkScope(scope)) return;
    const { traceId } = span.spanContext();
    const parent = trace.getSpan(parentContext);
    if (!parent || !trace.isSpanContextValid(parent.spanContext())) {
      if (this.ownTraces.size >= MAX_OWN_TRACES) {
        this.ownTraces.delete(this.ownTraces.keys().next().value as string);
      }
      this.ownTraces.set(traceId, (this.ownTraces.get(traceId) ?? 0) + 1);
    }
    const call = modelCallOf(span, scope, parent);
    if (!call) return;
    let list = this.open.get(call.model);
    if (!list) {
      list = [];
      this.open.set(call.model, list);
    }
    if (list.length >= MAX_OPEN_PER_MODEL) list.shift();
    list.push({
      span,
      kind: call.kind,
      traceId,
      ownTrace: this.ownTraces.has(traceId),
      taken: false,
    });
  }

  onEnd(span: ReadableSpan): void {
    if (!isAiSdkScope(scopeOf(span))) return;
    if (!span.parentSpanContext) {
      const { traceId } = span.spanContext();
      const n = (this.ownTraces.get(traceId) ?? 1) - 1;
      if (n > 0) this.ownTraces.set(traceId, n);
      else this.ownTraces.delete(traceId);
    }
    const model = modelOf(span);
    const list = model === undefined ? undefined : this.open.get(model);
    if (!list) return;
    const i = list.findIndex((o) => o.span === (span as unknown as Span));
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.open.delete(model as string);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.open.clear();
    this.ownTraces.clear();
    return Promise.resolve();
  }

  /**
   * The context to start the span of a provider call in: `ctx` with the AI SDK's
   * open model-call span of this call as the active span, or undefined when there
   * is none or it is active already.
   */
  parentFor(
    modelId: unknown,
    kind: AiSdkCallKind,
    ctx: Context = context.active(),
  ): Context | undefined {
    if (this.open.size === 0 || typeof modelId !== 'string') return undefined;
    const list = this.open.get(modelId);
    if (!list) return undefined;
    const active = trace.getSpan(ctx);
    const activeContext = active?.spanContext();
    const traceId =
      activeContext && trace.isSpanContextValid(activeContext) ? activeContext.traceId : undefined;
    let first: Open | undefined;
    let lastTaken: Open | undefined;
    for (const o of list) {
      if (o.kind !== kind) continue;
      if (o.span === active) {
        // generateText, streamText: the AI SDK made it our parent already.
        o.taken = true;
        return undefined;
      }
      if (traceId === undefined ? !o.ownTrace : o.traceId !== traceId) continue;
      if (!o.taken) first ??= o;
      else lastTaken = o;
    }
    const chosen = first ?? lastTaken;
    if (!chosen) return undefined;
    chosen.taken = true;
    return trace.setSpan(ctx, chosen.span);
  }
}

/** The model id of an AI SDK span, in either convention. */
function modelOf(span: ReadableSpan): string | undefined {
  const a = span.attributes;
  const model = scopeOf(span) === LEGACY_SCOPE ? a['ai.model.id'] : a['gen_ai.request.model'];
  return typeof model === 'string' ? model : undefined;
}

/**
 * Whether an AI SDK span just started is one model call, and of which model. An
 * `embeddings` span with no AI SDK span above it is `embed`'s outer span, around
 * the operation (its retries included), not a provider call.
 */
function modelCallOf(
  span: StartedSpan,
  scope: string | undefined,
  parent: Span | undefined,
): { model: string; kind: AiSdkCallKind } | undefined {
  const model = modelOf(span);
  if (model === undefined) return undefined;
  if (scope === LEGACY_SCOPE) {
    const m = LEGACY_CALL.exec(span.name);
    return m ? { model, kind: m[1] === 'Embed' ? 'embedding' : 'language' } : undefined;
  }
  const operation = span.attributes['gen_ai.operation.name'];
  const kind = typeof operation === 'string' ? OPERATIONS[operation] : undefined;
  if (!kind) return undefined;
  const parentScope = scopeOf(parent as { instrumentationScope?: { name?: string } } | undefined);
  return isAiSdkScope(parentScope) ? { model, kind } : undefined;
}
