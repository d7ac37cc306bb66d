import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './collector-process.js';

// A real Prometheus (Debian's package, installed by scripts/install.sh --test). In CI a
// test that needs it fails, it does not skip, when it cannot start.

export interface PrometheusOptions {
  /** The whole prometheus.yml; rule files it names are read as written. */
  config: string;
  /** Extra command-line flags (for example --web.enable-admin-api). */
  flags?: string[];
}

/** One series of an instant query: its labels and its value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  url: string;
  /** The directory holding prometheus.yml and the TSDB. */
  dir: string;
  /** An instant query; throws with Prometheus's own message when the expression is refused. */
  query(promql: string, time?: number): Promise<Sample[]>;
  /** Polls `query` until `ok` accepts its samples, or throws after `timeoutMs`. */
  waitFor(promql: string, ok: (s: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** GET /api/v1/<path> and its `data`, throwing on an error status. */
  api<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

/** A scrape config for one target, with the given scrape and rule evaluation interval. */
export function scrapeConfig(target: string, opts: { interval?: string; job?: string } = {}) {
  const interval = opts.interval ?? '1s';
  return [
    `global: { scrape_interval: ${interval}, evaluation_interval: ${interval} }`,
    'scrape_configs:',
    `  - job_name: ${opts.job ?? 'costlens'}`,
    `    static_configs: [{ targets: ['${target}'] }]`,
    '',
  ].join('\n');
}

export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'costlens-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), opts.config);
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.flags ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d) => {
    output = (output + d).slice(-20_000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (err) =>
      reject(new Error(`prometheus could not start (apt-get install prometheus): ${err.message}`)),
    );
    child.on('exit', (code) => reject(new Error(`prometheus exited ${code}: ${output}`)));
  });
  exited.catch(() => {});
  const url = `http://127.0.0.1:${port}`;

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}/api/v1/${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus: ${body.error} (${path})`);
    return body.data;
  }

  async function query(promql: string, time?: number): Promise<Sample[]> {
    const at = time === undefined ? '' : `&time=${time}`;
    const data = await api<{
      resultType: string;
      result: { metric: Record<string, string>; value: [number, string] }[] | [number, string];
    }>(`query?query=${encodeURIComponent(promql)}${at}`);
    if (data.resultType === 'scalar') {
      const [, v] = data.result as [number, string];
      return [{ metric: {}, value: Number(v) }];
    }
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map(
      (r) => ({ metric: r.metric, value: Number(r.value[1]) }),
    );
  }

  // Ready when its HTTP API answers.
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`prometheus did not become ready in 20 s: ${output}`);
  })();
  await Promise.race([ready, exited]);

  return {
    url,
    dir,
    query,
    api,
    async waitFor(promql, ok, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      let last: Sample[] = [];
      while (Date.now() < end) {
        last = await Promise.race([query(promql).catch(() => []), exited]);
        if (ok(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`prometheus: ${promql} never matched; last ${JSON.stringify(last)}`);
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

export interface RunningAlertmanager {
  url: string;
  close(): Promise<void>;
}

/**
 * Debian's Alertmanager with `config`, clustering off, temp storage, on `address`
 * (host:port) or a free loopback port. Fails, never skips, when it cannot start.
 */
export async function startAlertmanager(
  config: string,
  address?: string,
): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'costlens-am-'));
  const listen = address ?? `127.0.0.1:${await freePort()}`;
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  let output = '';
  const child = spawn(
    '/usr/bin/prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d) => {
    output = (output + d).slice(-20_000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (e) =>
      reject(
        new Error(
          `alertmanager could not start (apt-get install prometheus-alertmanager): ${e.message}`,
        ),
      ),
    );
    child.on('exit', (code) => reject(new Error(`alertmanager exited ${code}: ${output}`)));
  });
  exited.catch(() => {});
  const url = `http://${listen}`;
  const ready = (async () => {
    for (let i = 0; i < 150; i++) {
      const ok = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`alertmanager was not ready in 15 s: ${output}`);
  })();
  await Promise.race([ready, exited]);
  return {
    url,
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
