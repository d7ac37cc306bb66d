import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { CallContext } from '../src/call-context.js';

describe('CallContext', () => {
  const parentKey = createContextKey('test parent value');
  const callKey = createContextKey('test call');
  const span = trace.wrapSpanContext({
    traceId: '1'.repeat(32),
    spanId: '2'.repeat(16),
    traceFlags: 1,
  });
  const parent = ROOT_CONTEXT.setValue(parentKey, 'from the parent');

  it('answers as the API’s own context with the span set and one value would', () => {
    const c = new CallContext(parent, span, callKey, 'the call');
    expect(trace.getSpan(c)).toBe(span);
    expect(c.getValue(callKey)).toBe('the call');
    expect(c.getValue(parentKey)).toBe('from the parent');
    expect(c.getValue(createContextKey('unset'))).toBeUndefined();
  });

  it('keeps everything in what is derived from it', () => {
    const c = new CallContext(parent, span, callKey, 'the call');
    const other = createContextKey('test derived');
    const d = c.setValue(other, 42);
    expect([
      trace.getSpan(d),
      d.getValue(callKey),
      d.getValue(parentKey),
      d.getValue(other),
    ]).toEqual([span, 'the call', 'from the parent', 42]);
    expect(c.getValue(other)).toBeUndefined();
    const without = c.deleteValue(callKey);
    expect([trace.getSpan(without), without.getValue(callKey)]).toEqual([span, undefined]);
    expect(trace.getSpan(trace.deleteSpan(c))).toBeUndefined();
  });
});
