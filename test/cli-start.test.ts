import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../collector/test/run-cli.js';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';

const running: CollectorProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.child.kill('SIGKILL');
});

describe('costlens start', () => {
  it('serves health, takes an OTLP JSON export, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-start-'));
    const port = await freePort();
    const collector = await spawnCollector(['--port', String(port), '--db', join(dir, 'c.db')]);
    running.push(collector);
    const { child, output } = collector;
    expect(output()).toContain(`costlens collector listening on http://127.0.0.1:${port}`);
    expect(output()).toContain('no keys configured: serving loopback only');
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeSpans: [
            {
              scope: { name: 'hand-written' },
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  name: 'chat gpt-4o',
                  kind: 3,
                  startTimeUnixNano: '1764000000000000000',
                  endTimeUnixNano: '1764000001000000000',
                  attributes: [
                    { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                    { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                    { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                    { key: 'gen_ai.usage.input_tokens', value: { intValue: '1000000' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'costlens_cost_usd_total{provider="openai",model="gpt-4o",project="unknown",call_type="text"} 2.5',
    );
    const exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output()).toContain('SIGTERM: stopping');
  });

  it('refuses to expose the collector without keys, and names a bad setting', async () => {
    const open = await runCli('start', '--host', '0.0.0.0');
    expect(open.code).toBe(2);
    expect(open.stderr).toBe(
      'costlens: start: host 0.0.0.0 would expose the collector without keys: configure keys.ingest and keys.read in the config file, or keep host 127.0.0.1.\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'costlens-config-'));
    const file = join(dir, 'costlens.yaml');
    writeFileSync(file, 'port: 4318\nmax_inflight: lots\n');
    const bad = await runCli('start', '--config', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `costlens: start: ${file}: max_inflight must be a whole number from 1 to 10000, got "lots".\n`,
    );
    writeFileSync(file, 'prot: 4318\n');
    const typo = await runCli('start', '--config', file);
    expect(typo.stderr).toMatch(
      /^costlens: start: .*costlens\.yaml: unknown key "prot" \(known: host, port, /,
    );
  });
});
