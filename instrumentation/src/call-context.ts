import { type Context, createContextKey, type Span, trace } from '@opentelemetry/api';

/**
 * The span key of @opentelemetry/api: a registered symbol (`Symbol.for`), so the
 * same in every copy of the API an app may load.
 */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/**
 * The context a call's SDK request runs in: its parent with the call's span
 * active and one more value (the call). The API's own contexts would take two
 * copies of the parent's map and six closures a call (`setSpan`, then
 * `setValue`); this one is one small object that answers those two keys and asks
 * its parent for the rest. Anything derived from it (`setValue`, `deleteValue`)
 * is made from the API's own context, built the first time it is needed.
 */
export class CallContext implements Context {
  private expanded: Context | undefined;

  constructor(
    private readonly parent: Context,
    private readonly span: Span,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === this.key) return this.value;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.expand().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.expand().deleteValue(key);
  }

  private expand(): Context {
    this.expanded ??= trace.setSpan(this.parent, this.span).setValue(this.key, this.value);
    return this.expanded;
  }
}
