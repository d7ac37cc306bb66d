import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequestProto } from '../collector/src/otlp/index.js';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';
import { finishedSpans } from './spans.js';

const running: CollectorProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.child.kill('SIGKILL');
});

async function startCollector(port: number, db: string): Promise<CollectorProcess> {
  const c = await spawnCollector(['--port', String(port), '--db', db]);
  running.push(c);
  return c;
}

/** 40 export requests of 25 GenAI spans each, every span with its own id. */
function batches(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let b = 0; b < 40; b++) {
    const spans = finishedSpans({ 'service.name': 'crash' }, '@costlens/instrumentation', (t) => {
      for (let i = 0; i < 25; i++) {
        t.startSpan('chat gpt-4o-mini', {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 1000 + i,
            'gen_ai.usage.output_tokens': 10,
          },
        }).end();
      }
    });
    out.push(ProtobufTraceSerializer.serializeRequest(spans)!);
  }
  return out;
}

const spanIds = (batch: Uint8Array) =>
  decodeTraceRequestProto(batch).resourceSpans.flatMap((r) =>
    r.scopes.flatMap((s) => s.spans.map((x) => x.traceId + x.spanId)),
  );

async function post(port: number, body: Uint8Array): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(body),
    });
    return res.status === 200;
  } catch {
    return false; // connection refused or reset: the exporter will retry
  }
}

describe('kill -9 in the middle of a stream of exports', () => {
  it('loses no acknowledged span and duplicates none after the exporter retries', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'costlens-crash-')), 'c.db');
    const port = await freePort();
    let collector = await startCollector(port, db);
    const all = batches();
    const acked = new Set<number>();

    // Four concurrent exporters; the collector is killed once a quarter of the batches are in.
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < all.length) {
        const i = next++;
        if (await post(port, all[i]!)) acked.add(i);
        if (!killed && acked.size >= 10) {
          killed = true;
          collector.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(killed).toBe(true);
    const ackedBeforeCrash = new Set(acked);
    expect(ackedBeforeCrash.size).toBeLessThan(all.length);

    // Restart on the same file; the exporters retry everything not acknowledged,
    // and resend some acknowledged batches too (as when a response is lost).
    await collector.exited();
    // Every acknowledged span is on disk right after the crash, before any retry.
    const afterCrash = new Database(db, { readonly: true });
    const has = afterCrash.prepare('SELECT 1 FROM call_records WHERE id = ?');
    for (const i of ackedBeforeCrash) {
      for (const id of spanIds(all[i]!))
        expect(has.get(id), `span ${id} of acknowledged batch ${i}`).toBeDefined();
    }
    afterCrash.close();
    collector = await startCollector(port, db);
    for (let i = 0; i < all.length; i++) {
      if (!acked.has(i) || i % 3 === 0) {
        for (let attempt = 0; attempt < 5 && !(await post(port, all[i]!)); attempt++);
        acked.add(i);
      }
    }
    collector.child.kill('SIGTERM');
    await collector.exited();

    const check = new Database(db, { readonly: true });
    const calls = check
      .prepare('SELECT count(*) n, count(DISTINCT id) ids, sum(cost_pusd) cost FROM call_records')
      .get() as { n: number; ids: number; cost: number };
    const rollups = check
      .prepare('SELECT sum(calls) n, sum(cost_pusd) cost FROM rollups_hourly')
      .get() as { n: number; cost: number };
    check.close();
    expect(calls.n).toBe(all.length * 25); // every span once: none lost, none twice
    expect(calls.ids).toBe(calls.n);
    expect(rollups).toEqual({ n: calls.n, cost: calls.cost });
  });
});
