import { readFileSync } from 'node:fs';
import { loadCatalogue } from '@costlens/pricing';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequestJson } from '../src/otlp/index.js';
import { enclosingSpans } from '../src/records/nesting.js';
import { type RequestRecords, recordsOfRequest } from '../src/records/request.js';
import { prepareBatch } from '../src/store/batch.js';
import { Store } from '../src/store/store.js';

const catalogue = loadCatalogue();
const T = '63f0183d52ef83ae1f272c5c0c1a5083';

describe('enclosingSpans: a model-call span that is the parent of another', () => {
  it('is found in the same trace only, and a root or a lone span encloses nothing', () => {
    const spans = [
      { traceId: T, spanId: '00000000000000a1' },
      { traceId: T, spanId: '00000000000000b1', parentSpanId: '00000000000000a1' },
      { traceId: T, spanId: '00000000000000c1', parentSpanId: '00000000000000ff' },
      { traceId: 'ff'.repeat(16), spanId: '00000000000000d1', parentSpanId: '00000000000000c1' },
    ];
    expect([...enclosingSpans(spans)]).toEqual([`${T}00000000000000a1`]);
    expect(enclosingSpans(spans.slice(2)).size).toBe(0);
  });
});

// The embed call of the AI SDK 7 with @ai-sdk/otel: an outer `embeddings` span
// (no usage) around the provider call's `embeddings` span (8 tokens).
function embedCall(): { outer: RequestRecords; inner: RequestRecords } {
  const request = decodeTraceRequestJson(
    readFileSync(new URL('./fixtures/ai-sdk-7-otel.json', import.meta.url), 'utf8'),
  );
  const spans = request.resourceSpans[0]!.scopes[0]!.spans;
  const inner = spans.find((s) => Number(s.attributes['gen_ai.usage.input_tokens']) === 8)!;
  const outer = spans.find((s) => s.spanId === inner.parentSpanId)!;
  const one = (span: typeof inner) =>
    recordsOfRequest(
      { resourceSpans: [{ resource: {}, scopes: [{ name: 'gen_ai', spans: [span] }] }] },
      { catalogue },
    );
  return { outer: one(outer), inner: one(inner) };
}

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
function store(): Store {
  const s = new Store(':memory:');
  stores.push(s);
  return s;
}
const insert = (s: Store, r: RequestRecords) =>
  s.insertPrepared(prepareBatch(r.records, r.parents)).length;
const stored = (s: Store) =>
  s.db
    .prepare(
      'SELECT span_id, input_tokens, cost_pusd, (SELECT sum(calls) FROM rollups_hourly) AS rollup_calls FROM call_records',
    )
    .all();

describe('spans of one call in separate export requests', () => {
  it('the inner span first (the usual order): the outer one is not a second record', () => {
    const { outer, inner } = embedCall();
    const s = store();
    expect(insert(s, inner)).toBe(1);
    expect(insert(s, outer)).toBe(0);
    expect(stored(s)).toEqual([
      {
        span_id: inner.records[0]!.span_id,
        input_tokens: 8,
        cost_pusd: 160_000,
        rollup_calls: 1,
      },
    ]);
    // Retried exports of either change nothing.
    expect(insert(s, inner)).toBe(0);
    expect(insert(s, outer)).toBe(0);
    expect(stored(s)).toHaveLength(1);
  });

  // Counters never go down, so a stored record is not replaced; the outer span
  // reports no usage, so the call is unpriced (visible), not free.
  it('the outer span first: it stays the one record, unpriced, and the inner one is not a second', () => {
    const { outer, inner } = embedCall();
    const s = store();
    expect(insert(s, outer)).toBe(1);
    expect(insert(s, inner)).toBe(0);
    expect(stored(s)).toEqual([
      { span_id: outer.records[0]!.span_id, input_tokens: null, cost_pusd: null, rollup_calls: 1 },
    ]);
  });

  it('the parent span id is stored with the call; a root span has none', () => {
    const { outer, inner } = embedCall();
    const s = store();
    insert(s, inner);
    const s2 = store();
    insert(s2, outer);
    const parent = (st: Store) =>
      st.db.prepare('SELECT lower(hex(parent_span_id)) AS p FROM calls').pluck().get();
    expect(parent(s)).toBe(inner.parents[0]);
    expect(parent(s)).toBe(outer.records[0]!.span_id);
    expect(parent(s2)).toBe('');
  });

  it('calls of other traces with the same span ids are other calls', () => {
    const { outer, inner } = embedCall();
    const s = store();
    insert(s, inner);
    for (const r of outer.records) r.trace_id = 'ab'.repeat(16);
    expect(insert(s, outer)).toBe(1);
  });
});
