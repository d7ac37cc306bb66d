import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';
import { prng } from './fuzz-bodies.js';

// The official SDK (BatchSpanProcessor, OTLPTraceExporter over protobuf, its own
// retries) streams spans from three apps while the collector is killed with
// SIGKILL at random moments and restarted on the same port and database. An
// export the exporter reports as done is an acknowledged one. Afterwards the
// database must hold each acknowledged span exactly once, the rollups must
// equal the calls, and each budget message must have reached the webhook once.

const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STREAM_MS = 20_000;
const APPS = 3;

/** Wraps the official exporter to note which spans it reported as exported, or as failed. */
class Witness implements SpanExporter {
  readonly acked: string[] = [];
  readonly failed: string[] = [];
  /** The spans of exports given up, to send again as an app's own retry would. */
  readonly given: ReadableSpan[] = [];
  readonly errors: string[] = [];
  constructor(private readonly inner: OTLPTraceExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      const ids = spans.map((s) => s.spanContext().traceId + s.spanContext().spanId);
      if (r.code === ExportResultCode.SUCCESS) this.acked.push(...ids);
      else {
        this.failed.push(...ids);
        this.given.push(...spans);
        this.errors.push(r.error?.message ?? 'failed');
      }
      done(r);
    });
  }
  shutdown() {
    return this.inner.shutdown();
  }
  forceFlush() {
    return this.inner.forceFlush();
  }
}

/** A webhook receiver keeping each budget message it is sent. */
async function receiver(): Promise<{
  server: Server;
  url: string;
  got: { budget: string; kind: string }[];
}> {
  const got: { budget: string; kind: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const m = JSON.parse(body) as { budget: string; kind: string };
      got.push({ budget: m.budget, kind: m.kind });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe(`kill -9 while the official exporters stream spans (CRASH_SEED=${SEED})`, () => {
  it('every acknowledged span stored once, rollups equal to the calls, each budget message sent once', async () => {
    const rand = prng(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'costlens-crash-otel-'));
    const db = join(dir, 'c.db');
    const hook = await receiver();
    cleanup.push(() => new Promise((r) => hook.server.close(r)));
    // 1,000 input and 200 output tokens of gpt-4o-mini: $0.00027 a call, some 300
    // calls a second: the thresholds are crossed one by one while the collector is killed.
    const config = join(dir, 'costlens.json');
    writeFileSync(
      config,
      JSON.stringify({
        budgets: [
          {
            name: 'crash-day',
            period: 'day',
            limit_usd: 1,
            alert_at: [0.1, 0.25, 0.5, 0.75, 1],
            notify: [hook.url],
          },
        ],
      }),
    );
    const port = await freePort();
    const start = () => spawnCollector(['--config', config, '--port', String(port), '--db', db]);
    let collector: CollectorProcess = await start();
    cleanup.push(() => collector.child.kill('SIGKILL'));

    const witnesses: Witness[] = [];
    const providers = Array.from({ length: APPS }, (_, i) => {
      // 30 s for an export with its retries: the exporter's five retries then span
      // some 13 s of backoff, more than a few restarts in a row take.
      const w = new Witness(
        new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 30_000 }),
      );
      witnesses.push(w);
      return new TracerProvider({
        resource: resourceFromAttributes({
          'service.name': `app-${i}`,
          'costlens.project': `p${i}`,
        }),
        spanProcessors: [
          new BatchSpanProcessor({
            exporter: w,
            scheduledDelayMillis: 200,
            maxExportBatchSize: 100,
            maxQueueSize: 100_000,
          }),
        ],
      });
    });
    let created = 0;
    let streaming = true;
    const apps = providers.map(async (p) => {
      const tracer = p.getTracer('@costlens/instrumentation');
      while (streaming) {
        for (let i = 0; i < 10; i++) {
          tracer
            .startSpan('chat gpt-4o-mini', {
              attributes: {
                'gen_ai.operation.name': 'chat',
                'gen_ai.provider.name': 'openai',
                'gen_ai.request.model': 'gpt-4o-mini',
                'gen_ai.usage.input_tokens': 1000,
                'gen_ai.usage.output_tokens': 200,
              },
            })
            .end();
          created++;
        }
        await sleep(100);
      }
    });

    // Kill at random moments, restart at once on the same port and file.
    const t0 = performance.now();
    let kills = 0;
    while (performance.now() - t0 < STREAM_MS) {
      await sleep(500 + rand(3_000));
      collector.child.kill('SIGKILL');
      await collector.exited();
      kills++;
      collector = await start();
    }
    streaming = false;
    await Promise.all(apps);
    // A flush rejects when one of its exports was given up: the witness has noted those.
    await Promise.all(providers.map((p) => p.forceFlush().catch(() => {})));
    // Every budget message made is delivered before the collector stops.
    const delivered = () => {
      const d = new Database(db, { readonly: true });
      const { n } = d
        .prepare('SELECT count(*) n FROM budget_messages WHERE delivered_at IS NULL')
        .get() as { n: number };
      d.close();
      return n === 0;
    };
    for (let i = 0; i < 100 && !delivered(); i++) await sleep(100);
    collector.child.kill('SIGTERM');
    expect((await collector.exited()).code, collector.output()).toBe(0);
    await Promise.all(providers.map((p) => p.shutdown().catch(() => {})));

    const acked = witnesses.flatMap((w) => w.acked);
    const failed = witnesses.flatMap((w) => w.failed);
    const check = new Database(db, { readonly: true });
    const storedIds = () =>
      (
        check.prepare('SELECT lower(hex(trace_id)) || lower(hex(span_id)) id FROM calls').all() as {
          id: string;
        }[]
      ).map((r) => r.id);
    const stored = storedIds();
    console.log(
      `crash seed ${SEED}: ${kills} kills in ${STREAM_MS / 1000} s; ${created} spans made, ${acked.length} acknowledged, ${failed.length} given up by the exporter after its retries (${[...new Set(witnesses.flatMap((w) => w.errors))].join('; ')}), ${stored.length} stored; ${hook.got.length} budget messages`,
    );
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(acked.length + failed.length).toBe(created);
    // Each acknowledged span is stored, once; what is stored and not acknowledged
    // is of an export the exporter gave up on after the collector had committed it.
    expect(new Set(stored).size).toBe(stored.length);
    const storedSet = new Set(stored);
    expect(acked.filter((id) => !storedSet.has(id))).toEqual([]);
    const ackedSet = new Set(acked);
    const failedSet = new Set(failed);
    expect(stored.filter((id) => !ackedSet.has(id) && !failedSet.has(id))).toEqual([]);
    // Sent again (as an app's own retry would), the given-up spans complete the
    // set: every span made is stored exactly once, those already stored not twice.
    const again = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
    collector = await start();
    for (const w of witnesses) {
      if (w.given.length === 0) continue;
      const r = await new Promise<ExportResult>((resolve) => again.export(w.given, resolve));
      expect(r.code, r.error?.message).toBe(ExportResultCode.SUCCESS);
    }
    await again.shutdown();
    for (let i = 0; i < 100 && !delivered(); i++) await sleep(100);
    collector.child.kill('SIGTERM');
    await collector.exited();
    expect(storedIds().sort()).toEqual([...acked, ...failed].sort());

    const sums = (from: string) =>
      check
        .prepare(
          `SELECT sum(${from === 'calls' ? '1' : 'calls'}) n, sum(cost_pusd) pusd, sum(input_tokens) input, sum(output_tokens) output FROM ${from}`,
        )
        .get();
    expect(sums('rollups_hourly')).toEqual(sums('calls'));
    expect(sums('calls')).toMatchObject({ n: created, pusd: created * 270_000_000 });

    // Each threshold crossed (and the forecast) made one message, delivered once.
    const rows = check
      .prepare("SELECT budget, kind FROM budget_messages WHERE budget = 'crash-day' ORDER BY kind")
      .all() as { budget: string; kind: string }[];
    check.close();
    expect(rows.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['threshold:0.1', 'threshold:0.25', 'threshold:0.5']),
    );
    const sent = hook.got.map((m) => `${m.budget} ${m.kind}`).sort();
    expect(sent).toEqual(rows.map((r) => `${r.budget} ${r.kind}`));
  }, 85_000);
});
