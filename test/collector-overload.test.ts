import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';
import { memory, rssMB, withMemoryProbe } from './process-stats.js';
import { finishedSpans } from './spans.js';

// More exporters than the collector lets in: sixteen official OTLP exporters
// send 1,000-span exports at once to a collector with max_inflight 4. The rest
// are answered 503 with Retry-After at once, as bodies read and dropped, not
// held: memory stays near where it was, the exporters wait and retry (the
// official exporter takes Retry-After as its next wait, else backs off from
// 1 s), and in the end every span is stored once.

const EXPORTERS = 16;
const EXPORTS_EACH = 2;
const SPANS = 1_000;
const MB = 1024 * 1024;

const running: CollectorProcess[] = [];
afterAll(() => {
  for (const c of running) c.child.kill('SIGKILL');
});

/** `SPANS` priced calls with fresh ids: 1,000 + i input tokens of gpt-4o-mini. */
const batch = (app: number) =>
  finishedSpans({ 'service.name': `app-${app}` }, '@costlens/instrumentation', (t) => {
    for (let i = 0; i < SPANS; i++) {
      t.startSpan('chat gpt-4o-mini', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 1_000 + i,
          'gen_ai.usage.output_tokens': 10,
        },
      }).end();
    }
  });

const metric = (text: string, line: string) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(line))
      ?.split(' ')[1] ?? 0,
  );

describe('overload: sixteen exporters against max_inflight 4', () => {
  it('503 with Retry-After instead of memory, the exporters retry, and the totals are exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-overload-'));
    const db = join(dir, 'c.db');
    const config = join(dir, 'costlens.json');
    writeFileSync(config, JSON.stringify({ max_inflight: 4 }));
    const port = await freePort();
    const probe = join(dir, 'memory.json');
    const collector = await withMemoryProbe(probe, () =>
      spawnCollector(['--config', config, '--port', String(port), '--db', db]),
    );
    running.push(collector);
    const pid = collector.child.pid!;
    const url = `http://127.0.0.1:${port}`;

    const work = Array.from({ length: EXPORTERS }, (_, app) =>
      Array.from({ length: EXPORTS_EACH }, () => batch(app)),
    );
    // A first export warms the collector up before its memory is taken as the baseline.
    const warm = new OTLPTraceExporter({ url: `${url}/v1/traces` });
    const warmResult = await new Promise<ExportResult>((r) => warm.export(batch(99), r));
    expect(warmResult.code).toBe(ExportResultCode.SUCCESS);
    const before = await memory(pid, probe);

    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB(pid))), 100);
    const t0 = performance.now();
    const results = await Promise.all(
      work.map(async (exports) => {
        // Each app its own exporter, one export at a time, as a BatchSpanProcessor sends them.
        const exporter = new OTLPTraceExporter({ url: `${url}/v1/traces`, timeoutMillis: 60_000 });
        const out: ExportResult[] = [];
        for (const spans of exports)
          out.push(await new Promise<ExportResult>((r) => exporter.export(spans, r)));
        await exporter.shutdown();
        return out;
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const after = await memory(pid, probe);
    const text = await (await fetch(`${url}/metrics`)).text();
    const busy = metric(text, 'costlens_ingest_requests_total{signal="traces",result="busy"}');
    const ok = metric(text, 'costlens_ingest_requests_total{signal="traces",result="ok"}');
    const mb = (n: number) => (n / MB).toFixed(0);
    console.log(
      `overload: ${EXPORTERS * EXPORTS_EACH} exports of ${SPANS} spans in ${seconds.toFixed(1)} s; ${busy} answered 503, ${ok} stored;`,
      `RSS ${mb(before.rss)} MB before, peak ${peak.toFixed(0)}, ${mb(after.rss)} after; heap after GC ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB`,
    );

    const failures = results.flat().filter((r) => r.code !== ExportResultCode.SUCCESS);
    expect(failures.map((r) => r.error?.message)).toEqual([]);
    expect(busy).toBeGreaterThan(0);
    // One 200 per export (the warm-up's too): every 503 was retried, none stored twice.
    expect(ok).toBe(EXPORTERS * EXPORTS_EACH + 1);
    // A refused body is dropped, not queued: RSS rises by little more than the
    // bodies in flight (16 of 120 kB) and the four admitted.
    expect(peak).toBeLessThan(before.rss / MB + 150);
    expect(after.heapUsed).toBeLessThan(before.heapUsed + 16 * MB);

    const check = new Database(db, { readonly: true });
    const calls = check
      .prepare(
        'SELECT count(*) n, count(DISTINCT span_id) ids, sum(cost_pusd) pusd, sum(input_tokens) input FROM calls',
      )
      .get() as Record<string, number>;
    const rollups = check
      .prepare(
        'SELECT sum(calls) n, sum(cost_pusd) pusd, sum(input_tokens) input FROM rollups_hourly',
      )
      .get();
    check.close();
    const total = (EXPORTERS * EXPORTS_EACH + 1) * SPANS;
    expect(calls).toMatchObject({ n: total, ids: total });
    // Σ (1,000 + i) for i < 1,000, per export.
    expect(calls.input).toBe(
      (EXPORTERS * EXPORTS_EACH + 1) * (SPANS * 1_000 + (SPANS * (SPANS - 1)) / 2),
    );
    expect(rollups).toEqual({ n: calls.n, pusd: calls.pusd, input: calls.input });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
  }, 85_000);
});
