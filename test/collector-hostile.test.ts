import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { chatSpans } from './spans.js';

// Absurd and hostile input against a running collector over HTTP: each case
// here once broke it (a false 500 after commit, Infinity dollars, a /metrics
// that a few spans could blow up, a loop stalled by one dense body).

type JsonValue = Record<string, unknown>;
const T0 = BigInt(Date.UTC(2026, 10, 30, 12)) * 1_000_000n;
let seq = 0;

/** One OTLP/JSON span of a priced gpt-4o-mini chat call; `attrs` adds or replaces attributes. */
function span(attrs: Record<string, JsonValue> = {}): JsonValue {
  seq++;
  const all: Record<string, JsonValue> = {
    'gen_ai.operation.name': { stringValue: 'chat' },
    'gen_ai.provider.name': { stringValue: 'openai' },
    'gen_ai.request.model': { stringValue: 'gpt-4o-mini' },
    'gen_ai.usage.input_tokens': { intValue: '1000' },
    'gen_ai.usage.output_tokens': { intValue: '200' },
    ...attrs,
  };
  return {
    traceId: seq.toString(16).padStart(32, '0'),
    spanId: seq.toString(16).padStart(16, 'a'),
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: String(T0 + BigInt(seq) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(seq) * 1_000_000n + 900_000_000n),
    attributes: Object.entries(all).map(([key, value]) => ({ key, value })),
  };
}

const exportOf = (spans: JsonValue[]) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hostile' } }] },
        scopeSpans: [{ scope: { name: 'fuzz' }, spans }],
      },
    ],
  });

async function post(c: RunningCollector, body: string | Uint8Array, proto = false) {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': proto ? 'application/x-protobuf' : 'application/json' },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: proto || text === '' ? {} : JSON.parse(text) };
}

const metrics = async (c: RunningCollector) => (await fetch(`${c.url}/metrics`)).text();

/** The sum of a metric's series in the Prometheus text. */
const total = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

const stored = (c: RunningCollector) =>
  c.parts.store.db
    .prepare('SELECT count(*) calls, sum(cost_pusd) pusd, total(input_tokens) input FROM calls')
    .get() as { calls: number; pusd: number | null; input: number };

describe('counts and costs no call can have', () => {
  let c: RunningCollector;
  beforeAll(async () => {
    c = await startCollector();
  });
  afterAll(() => c.close());

  it('a poison span among 99 good ones: 200, 99 stored, 1 rejected naming the attribute, /metrics equal to the records, no Infinity', async () => {
    const spans = Array.from({ length: 99 }, () => span());
    spans.splice(42, 0, span({ 'gen_ai.usage.input_tokens': { doubleValue: 1e308 } }));
    const res = await post(c, exportOf(spans));
    expect(res.status).toBe(200);
    expect(res.json.partialSuccess.rejectedSpans).toBe('1');
    expect(res.json.partialSuccess.errorMessage).toMatch(
      /gen_ai\.usage\.input_tokens must be a whole number from 0 to 1000000000, got 1e\+308/,
    );
    const db = stored(c);
    expect(db.calls).toBe(99);
    const text = await metrics(c);
    // No sample is infinite or NaN (the histogram's le="+Inf" bucket is a label, not a value).
    expect(text).not.toMatch(/ [+-]?Inf$| NaN$/m);
    expect(total(text, 'costlens_calls_total')).toBe(99);
    expect(total(text, 'costlens_cost_usd_total')).toBeCloseTo(db.pusd! / 1e12, 9);
    const rollup = c.parts.store.db
      .prepare('SELECT sum(calls) calls, sum(cost_pusd) pusd FROM rollups_hourly')
      .get();
    expect(rollup).toEqual({ calls: 99, pusd: db.pusd });
  });

  it('token counts of -5, "abc", NaN, Infinity or 12.5, a cost of 1e300: each span refused with its reason, never stored at $0', async () => {
    const before = stored(c);
    const bad: [Record<string, JsonValue>, RegExp][] = [
      [{ 'gen_ai.usage.input_tokens': { intValue: '-5' } }, /input_tokens .* got -5/],
      [{ 'gen_ai.usage.output_tokens': { stringValue: 'abc' } }, /output_tokens .* got "abc"/],
      [{ 'gen_ai.usage.input_tokens': { doubleValue: 'NaN' } }, /input_tokens .* got NaN/],
      [{ 'gen_ai.usage.input_tokens': { doubleValue: 'Infinity' } }, /got Infinity/],
      [{ 'gen_ai.usage.output_tokens': { doubleValue: 12.5 } }, /output_tokens .* got 12\.5/],
      [
        { 'costlens.cost.usd': { doubleValue: 1e300 } },
        /costlens\.cost\.usd must be a number from 0 to 9000/,
      ],
      [{ 'costlens.image.count': { intValue: '-1' } }, /costlens\.image\.count/],
      [{ 'costlens.video.seconds': { doubleValue: 'Infinity' } }, /costlens\.video\.seconds/],
    ];
    for (const [attrs, reason] of bad) {
      const res = await post(c, exportOf([span(attrs), span()]));
      expect(res.status).toBe(200);
      expect(res.json.partialSuccess.rejectedSpans).toBe('1');
      expect(res.json.partialSuccess.errorMessage).toMatch(reason);
    }
    const after = stored(c);
    expect(after.calls - before.calls).toBe(bad.length);
    // Not one of them was stored, let alone at $0 with NULL tokens.
    expect(
      c.parts.store.db
        .prepare('SELECT count(*) n FROM calls WHERE input_tokens IS NULL OR cost_pusd = 0')
        .get(),
    ).toEqual({ n: 0 });
  });

  it('a negative time to first chunk is not stored as a time', async () => {
    const res = await post(
      c,
      exportOf([span({ 'gen_ai.response.time_to_first_chunk': { doubleValue: -3 } })]),
    );
    expect(res.status).toBe(200);
    expect(
      c.parts.store.db
        .prepare('SELECT ttft_ms FROM call_records ORDER BY started_at DESC LIMIT 1')
        .get(),
    ).toEqual({ ttft_ms: null });
  });

  it('a usage that prices beyond what one call can cost is stored unpriced with the reason', async () => {
    const res = await post(
      c,
      exportOf([
        span({
          'gen_ai.request.model': { stringValue: 'o1' },
          'gen_ai.usage.output_tokens': { intValue: '999000000' },
        }),
      ]),
    );
    expect(res.status).toBe(200);
    expect(
      c.parts.store.db
        .prepare("SELECT cost_pusd, unpriced_reason FROM call_records WHERE request_model = 'o1'")
        .get(),
    ).toEqual({
      cost_pusd: null,
      unpriced_reason: expect.stringMatching(/beyond the \$9000 one call can cost/),
    });
  });
});

describe('what a few spans can do to /metrics', () => {
  it('eight 4 MiB model names: /metrics stays small and 200, labels are cut, the record keeps 512 characters', async () => {
    const c = await startCollector();
    try {
      for (let i = 0; i < 8; i++) {
        const model = String.fromCharCode(97 + i).repeat(4 * 1024 * 1024);
        const res = await post(
          c,
          exportOf([span({ 'gen_ai.request.model': { stringValue: model } })]),
        );
        expect(res.status).toBe(200);
      }
      const res = await fetch(`${c.url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.length).toBeLessThan(200_000);
      expect(text).toMatch(/model="a{127}…"/);
      const lengths = c.parts.store.db
        .prepare('SELECT DISTINCT length(request_model) n FROM call_records')
        .all();
      expect(lengths).toEqual([{ n: 512 }]);
    } finally {
      await c.close();
    }
  });

  it('a cross-product flood within the per-label caps stays within the series budget; the calls are all still counted', async () => {
    const c = await startCollector({ max_series_per_metric: 50 });
    try {
      let sent = 0;
      for (let batch = 0; batch < 4; batch++) {
        const spans = Array.from({ length: 250 }, (_, i) => {
          const n = batch * 250 + i;
          return span({
            'gen_ai.request.model': { stringValue: `model-${n % 40}` },
            'costlens.project': { stringValue: `project-${Math.floor(n / 40) % 25}` },
          });
        });
        sent += spans.length;
        expect((await post(c, exportOf(spans))).status).toBe(200);
      }
      const text = await metrics(c);
      for (const family of [
        'costlens_calls_total',
        'costlens_cost_usd_total',
        'costlens_call_duration_seconds_count',
      ]) {
        const series = text.split('\n').filter((l) => l.startsWith(`${family}{`)).length;
        expect(series, family).toBeLessThanOrEqual(51);
      }
      const tokenSeries = text.split('\n').filter((l) => l.startsWith('costlens_tokens_total{'));
      expect(tokenSeries.length).toBeLessThanOrEqual(50 + 2);
      expect(total(text, 'costlens_calls_total')).toBe(sent);
      expect(text).toMatch(/model="__other__",project="__other__"/);
      expect(total(text, 'costlens_ingest_series_folded_total')).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});

/** Runs `work` while asking /healthz every 20 ms; the slowest answer, in ms, beside its result. */
async function probingHealth<T>(
  c: RunningCollector,
  work: () => Promise<T>,
): Promise<{ results: T; slowest: number }> {
  let slowest = 0;
  let running = true;
  const probe = (async () => {
    while (running) {
      const t0 = performance.now();
      expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
      slowest = Math.max(slowest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const results = await work();
  running = false;
  await probe;
  return { results, slowest };
}

describe('dense bodies', () => {
  const denseProto = (spans: number) =>
    ProtobufTraceSerializer.serializeRequest(chatSpans(spans, 'dense'))!;

  /** A legal ExportTraceServiceRequest of `n` minimal spans (ids and times only), written by hand. */
  function minimalSpans(n: number): Uint8Array {
    const varint = (v: number) => {
      const out: number[] = [];
      while (v > 0x7f) {
        out.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
      }
      out.push(v);
      return out;
    };
    const field = (tag: number, bytes: Uint8Array) =>
      Buffer.concat([Buffer.from([tag, ...varint(bytes.length)]), bytes]);
    const time = Buffer.alloc(8);
    time.writeBigUInt64LE(T0);
    const spans: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const trace = Buffer.alloc(16);
      trace.writeUInt32BE(i + 1, 12);
      const spanBytes = Buffer.concat([
        field(0x0a, trace),
        field(0x12, Buffer.alloc(8, 1)),
        Buffer.from([0x39]), // start_time_unix_nano, fixed64
        time,
        Buffer.from([0x41]), // end_time_unix_nano, fixed64
        time,
      ]);
      spans.push(field(0x12, spanBytes));
    }
    return field(0x0a, field(0x12, Buffer.concat(spans)));
  }

  it('four 16 MiB bodies of minimal spans at once: each 413 at once, /healthz within a second throughout', async () => {
    const c = await startCollector();
    try {
      const body = minimalSpans(340_000);
      expect(body.length).toBeGreaterThan(14 * 1024 * 1024);
      expect(body.length).toBeLessThan(16 * 1024 * 1024);
      const { results, slowest } = await probingHealth(c, () =>
        Promise.all(Array.from({ length: 4 }, () => post(c, body, true))),
      );
      expect(results.map((r) => r.status)).toEqual([413, 413, 413, 413]);
      expect(slowest).toBeLessThan(1_000);
    } finally {
      await c.close();
    }
  });

  it('a request over max_spans_per_request is 413 with the limit, and nothing of it is stored', async () => {
    const c = await startCollector({ max_spans_per_request: 1_000 });
    try {
      const res = await post(c, denseProto(1_001), true);
      expect(res.status).toBe(413);
      expect(res.text).toMatch(/more than 1000 spans/);
      expect(stored(c).calls).toBe(0);
      expect((await post(c, denseProto(1_000), true)).status).toBe(200);
      expect(stored(c).calls).toBe(1_000);
    } finally {
      await c.close();
    }
  });

  it('four dense bodies at the default limit at once: /healthz answers within a second throughout', async () => {
    const c = await startCollector();
    try {
      const body = denseProto(10_000);
      const { results, slowest } = await probingHealth(c, () =>
        Promise.all(Array.from({ length: 4 }, () => post(c, body, true))),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(slowest).toBeLessThan(1_000);
    } finally {
      await c.close();
    }
  });
});

describe('nothing after COMMIT turns a stored batch into an error', () => {
  it('when /metrics cannot count a stored export, the answer is still 200 and /metrics is rebuilt from the records', async () => {
    const c = await startCollector();
    try {
      expect((await post(c, exportOf([span(), span()]))).status).toBe(200);
      const metricsOf = c.parts.aiMetrics;
      const commit = metricsOf.commit.bind(metricsOf);
      let failures = 1;
      metricsOf.commit = (...args) => {
        if (failures-- > 0) throw new Error('injected failure after commit');
        return commit(...args);
      };
      const res = await post(c, exportOf([span(), span(), span()]));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({});
      const text = await metrics(c);
      expect(total(text, 'costlens_calls_total')).toBe(5);
      expect(total(text, 'costlens_ingest_metrics_repairs_total')).toBe(1);
      expect(total(text, 'costlens_cost_usd_total')).toBeCloseTo(stored(c).pusd! / 1e12, 9);
    } finally {
      await c.close();
    }
  });
});

describe('error answers', () => {
  it('an unknown path or method is a one-line 404, never a stack trace or a file path', async () => {
    const c = await startCollector();
    try {
      for (const [method, path] of [
        ['GET', '/nope'],
        ['PUT', '/v1/traces'],
        ['GET', '/%E0%A4%A'],
      ] as const) {
        const res = await fetch(`${c.url}${path}`, { method });
        const text = await res.text();
        expect(res.status, path).toBeGreaterThanOrEqual(400);
        expect(res.status, path).toBeLessThan(500);
        expect(text, path).not.toMatch(/ at |\/work\/|node_modules|<html|<pre/i);
        expect(text.trim().split('\n'), path).toHaveLength(1);
      }
    } finally {
      await c.close();
    }
  });
});
