import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AiMetrics } from '../src/metrics/ai-metrics.js';
import { IngestMetrics } from '../src/metrics/ingest-metrics.js';
import { LabelCap, SeriesBudget } from '../src/metrics/label-cap.js';
import type { CallRecord } from '../src/records/call-record.js';
import { callRecord } from './call-record.js';

function rec(i: number, over: Partial<CallRecord> = {}): CallRecord {
  return callRecord({
    id: `${i}`,
    duration_ms: 1200,
    output_tokens: 10,
    cache_read_tokens: 800,
    cost_pusd: 100_000_000,
    ...over,
  });
}

/** Records that are committed, all of them new. */
function record(m: AiMetrics, records: CallRecord[]): void {
  m.commit(
    m.prepare(records),
    records.map((_, i) => i),
  );
}

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('/metrics content', () => {
  it('sums cost exactly, counts calls, tokens, media and unpriced calls', async () => {
    const registry = new Registry();
    const m = new AiMetrics(registry);
    new IngestMetrics(registry, () => 4096);
    // 0.1 + 0.2 style amounts: 30,000 calls of $0.0001 must show $3 exactly.
    record(
      m,
      Array.from({ length: 30_000 }, (_, i) => rec(i)),
    );
    record(m, [
      rec(1, { status: 'error', error_type: 'RateLimitError', cost_pusd: 0 }),
      rec(2, { cost_pusd: null, response_model: 'mystery-1' }),
      rec(3, {
        call_type: 'video',
        video_seconds: 8,
        video_resolution: '1080p',
        video_audio: true,
        cost_pusd: 3_200_000_000_000,
      }),
    ]);
    const text = await registry.metrics();
    const base = 'provider="openai",model="gpt-4o-2024-08-06",project="shop"';
    expect(value(text, `costlens_cost_usd_total{${base},call_type="text"}`)).toBe(3);
    expect(value(text, `costlens_cost_usd_total{${base},call_type="video"}`)).toBe(3.2);
    expect(
      value(text, `costlens_calls_total{${base},call_type="text",status="success",error_type=""}`),
    ).toBe(30_000);
    expect(
      value(
        text,
        `costlens_calls_total{${base},call_type="text",status="error",error_type="RateLimitError"}`,
      ),
    ).toBe(1);
    expect(
      value(
        text,
        `costlens_unpriced_calls_total{provider="openai",model="mystery-1",project="shop"}`,
      ),
    ).toBe(1);
    expect(value(text, `costlens_tokens_total{${base},token_type="cache_read"}`)).toBe(
      800 * 30_002,
    );
    expect(
      value(text, `costlens_video_seconds_total{${base},resolution="1080p",audio="true"}`),
    ).toBe(8);
    expect(value(text, 'costlens_store_size_bytes')).toBe(4096);
    expect(text).not.toMatch(/user=/);
  });

  it('caps label values: a flood of model names becomes __other__', async () => {
    const registry = new Registry();
    const m = new AiMetrics(registry, { labelCaps: { model: 3 } });
    record(
      m,
      Array.from({ length: 10 }, (_, i) => rec(i, { response_model: `typo-${i}` })),
    );
    const text = await registry.metrics();
    const models = new Set(
      [...text.matchAll(/costlens_calls_total\{[^}]*model="([^"]+)"/g)].map((x) => x[1]),
    );
    expect(models).toEqual(new Set(['typo-0', 'typo-1', 'typo-2', '__other__']));
  });

  it('promtool check metrics finds nothing to fix', async () => {
    const registry = new Registry();
    record(new AiMetrics(registry), [
      rec(1, { ttft_ms: 120, retry_count: 1 }),
      rec(2, { status: 'error', error_type: 'APIError' }),
    ]);
    new IngestMetrics(registry, () => 1);
    const text = await registry.metrics();
    // Fails (does not skip) where promtool is missing: .ci/run installs Debian's prometheus.
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool is not installed: apt-get install prometheus').toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('time to first chunk and retries', () => {
  const streamed = () => [
    rec(0, { ttft_ms: 30 }),
    rec(1, { ttft_ms: 300, retry_count: 2 }),
    rec(2, { retry_count: 1, status: 'error', error_type: 'RateLimitError', cost_pusd: 0 }),
    rec(3, { response_model: 'gpt-4o-mini', project: 'blog', retry_count: 0 }),
  ];

  it('observes first chunks only where a call reported one, and adds up retries', async () => {
    const registry = new Registry();
    record(new AiMetrics(registry), streamed());
    const text = await registry.metrics();
    const pm = 'provider="openai",model="gpt-4o-2024-08-06"';
    expect(value(text, `costlens_time_to_first_chunk_seconds_count{${pm}}`)).toBe(2);
    expect(value(text, `costlens_time_to_first_chunk_seconds_sum{${pm}}`)).toBeCloseTo(0.33, 9);
    expect(value(text, `costlens_time_to_first_chunk_seconds_bucket{le="0.04",${pm}}`)).toBe(1);
    expect(value(text, `costlens_time_to_first_chunk_seconds_bucket{le="0.5",${pm}}`)).toBe(2);
    // A model with no streamed call has no first-chunk series, not a zero one.
    expect(text).not.toMatch(/costlens_time_to_first_chunk_seconds_count\{[^}]*gpt-4o-mini/);
    expect(value(text, `costlens_retries_total{${pm},project="shop"}`)).toBe(3);
    expect(text).not.toMatch(/costlens_retries_total\{[^}]*project="blog"/);
  });

  it('are counted again, the same, when the metrics are rebuilt from the stored calls', async () => {
    const live = new Registry();
    const m = new AiMetrics(live);
    record(m, streamed());
    const before = await live.metrics();
    // Rebuild from the same records after more were counted: back to the stored calls only.
    record(m, [rec(9, { ttft_ms: 5, retry_count: 4 })]);
    m.rebuild(streamed());
    expect(await live.metrics()).toBe(before);
    expect(before).toMatch(/^costlens_retries_total\{/m);
    expect(before).toMatch(/^costlens_time_to_first_chunk_seconds_count\{/m);
  });
});

describe('AiMetrics.prepare / commit', () => {
  it('moves only for the committed records that were new, and only at commit', async () => {
    const registry = new Registry();
    const m = new AiMetrics(registry);
    const records = [
      rec(0),
      rec(1, { input_tokens: 7 }),
      rec(2, { status: 'error', error_type: 'Timeout', cost_pusd: 0 }),
      rec(3, { cost_pusd: null }),
    ];
    const pending = m.prepare(records);
    const calls = async () =>
      [...(await registry.metrics()).matchAll(/^costlens_calls_total\{[^}]*\} (\d+)$/gm)].map((x) =>
        Number(x[1]),
      );
    expect(await calls()).toEqual([]);
    m.commit(pending, [1, 3]); // 0 and 2 were already stored (a retried export)
    const text = await registry.metrics();
    const base = 'provider="openai",model="gpt-4o-2024-08-06",project="shop"';
    expect(
      value(text, `costlens_calls_total{${base},call_type="text",status="success",error_type=""}`),
    ).toBe(2);
    expect(text).not.toMatch(/error_type="Timeout"/);
    expect(value(text, `costlens_tokens_total{${base},token_type="input"}`)).toBe(1000 + 7);
    expect(value(text, `costlens_unpriced_calls_total{${base}}`)).toBe(1);
    expect(value(text, `costlens_cost_usd_total{${base},call_type="text"}`)).toBe(0.0001);
  });

  it('a request that is never committed takes no label value from the cap', async () => {
    const registry = new Registry();
    const m = new AiMetrics(registry, { labelCaps: { model: 1 } });
    m.prepare([rec(0, { response_model: 'never-stored' })]);
    record(m, [rec(1, { response_model: 'stored' })]);
    expect(await registry.metrics()).toMatch(/model="stored"/);
  });
});

describe('LabelCap and SeriesBudget', () => {
  it('cuts a long label value and marks it', () => {
    const cap = new LabelCap({}, 200, 8);
    expect(cap.value('model', 'abcdefghijkl')).toBe('abcdefg…');
    expect(cap.value('model', 'short')).toBe('short');
  });

  it('folds new label sets past the budget into __other__, keeping the labels it is told to', () => {
    const budget = new SeriesBudget(2, new Set(['token_type']));
    expect(budget.fit('t', { model: 'a', token_type: 'input' }).folded).toBe(false);
    expect(budget.fit('t', { model: 'b', token_type: 'input' }).folded).toBe(false);
    expect(budget.fit('t', { model: 'a', token_type: 'input' }).folded).toBe(false);
    expect(budget.fit('t', { model: 'c', token_type: 'output' })).toEqual({
      labels: { model: '__other__', token_type: 'output' },
      folded: true,
    });
    // Each family has its own budget.
    expect(budget.fit('u', { model: 'c', token_type: 'output' }).folded).toBe(false);
  });
});
