import type { Attrs } from './attrs.js';
import type { CallRecord } from './call-record.js';
import { isGenAiSpan, type MappingOptions, recordFromSpan, type SpanInput } from './from-span.js';
import { enclosingSpans, spanKey } from './nesting.js';

/** The spans of one trace export request, as the OTLP decoders give them. */
export interface SpansOfRequest {
  resourceSpans: readonly {
    resource: Attrs;
    scopes: readonly { name: string; spans: readonly SpanInput[] }[];
  }[];
}

/** What one export request's spans became. */
export interface RequestRecords {
  records: CallRecord[];
  /** Each record's parent span id, hex ('' for a root span), by position. */
  parents: string[];
  /** Spans that are not model calls: other spans, agents, steps, tools. */
  notGenai: number;
  /** Model-call spans enclosing another of the request's: the same call, recorded once. */
  enclosing: number;
  /** Model-call spans that cannot be a record (RangeError from recordFromSpan). */
  rejected: number;
  /** Why the first of them was refused, naming the span; '' when none was. */
  firstRejection: string;
}

/**
 * One record per model call of an export request (docs/architecture.md, "What
 * becomes a record"): spans that are not model calls are left out, and so is a
 * model-call span that encloses another one of the request, the same call seen
 * from outside. Whether a stored span encloses one of these, or one of these a
 * stored span, the store decides when it writes them.
 */
export function recordsOfRequest(request: SpansOfRequest, opts: MappingOptions): RequestRecords {
  const out: RequestRecords = {
    records: [],
    parents: [],
    notGenai: 0,
    enclosing: 0,
    rejected: 0,
    firstRejection: '',
  };
  const calls: { span: SpanInput; resource: Attrs; scope: string }[] = [];
  for (const rs of request.resourceSpans) {
    for (const scope of rs.scopes) {
      for (const span of scope.spans) {
        if (isGenAiSpan(span.attributes))
          calls.push({ span, resource: rs.resource, scope: scope.name });
        else out.notGenai++;
      }
    }
  }
  const enclosing = enclosingSpans(calls.map((c) => c.span));
  for (const { span, resource, scope } of calls) {
    if (enclosing.size > 0 && enclosing.has(spanKey(span))) {
      out.enclosing++;
      continue;
    }
    try {
      out.records.push(recordFromSpan(span, { resource, scopeName: scope }, opts));
      out.parents.push(span.parentSpanId ?? '');
    } catch (err) {
      out.rejected++;
      out.firstRejection ||= `span ${span.spanId}: ${(err as Error).message}`;
    }
  }
  return out;
}
