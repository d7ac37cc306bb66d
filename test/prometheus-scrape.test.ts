import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { freePort } from './collector-process.js';
import { finishedSpans } from './spans.js';

// A real Prometheus (Debian's package, installed by scripts/install.sh --test) scrapes
// the real /metrics. In CI this fails, it does not skip, when Prometheus cannot start.
let collector: RunningCollector;
let prometheus: ChildProcess;
afterAll(async () => {
  prometheus?.kill('SIGKILL');
  await collector?.close();
});

async function query(base: string, promql: string): Promise<number | undefined> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
  const v = body.data?.result?.[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

describe('Prometheus scraping the collector', () => {
  it('sees the cost the collector stored, to the cent', async () => {
    collector = await startCollector();
    const spans = finishedSpans(
      { 'service.name': 'app', 'costlens.project': 'shop' },
      '@costlens/instrumentation',
      (t) => {
        for (let i = 0; i < 3; i++) {
          t.startSpan('chat gpt-4o', {
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.usage.input_tokens': 1_000_000,
              'gen_ai.usage.output_tokens': 100_000,
            },
          }).end();
        }
      },
    );
    const exported = await new Promise<{ code: number }>((resolve) =>
      new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }).export(spans, resolve),
    );
    expect(exported.code).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'costlens-prom-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: costlens\n    static_configs: [{ targets: ['${new URL(collector.url).host}'] }]\n`,
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const failed = new Promise<never>((_, reject) => {
      prometheus.on('error', (err) =>
        reject(
          new Error(`prometheus could not start (apt-get install prometheus): ${err.message}`),
        ),
      );
      prometheus.on('exit', (code) => reject(new Error(`prometheus exited ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const poll = async () => {
      for (let i = 0; i < 60; i++) {
        const v = await query(base, 'sum(costlens_cost_usd_total{project="shop"})').catch(
          () => undefined,
        );
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error('Prometheus never saw costlens_cost_usd_total');
    };
    // 3 calls of 1M input at $2.50 and 100k output at $10 per 1M: $10.50.
    expect(await Promise.race([poll(), failed])).toBe(10.5);
    expect(await query(base, 'sum(costlens_calls_total)')).toBe(3);
  }, 60_000);
});
