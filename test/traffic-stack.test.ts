import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, vi } from 'vitest';
import { variable as grafanaVariable } from '../grafana/src/datasources.js';
import { freePort } from './collector-process.js';
import {
  env,
  filled,
  node,
  type Obj,
  type Proc,
  portsOf,
  ROOT,
  services,
} from './compose-files.js';
import { apiQueries, committedDashboards, promQueries, substitute } from './grafana-queries.js';
import {
  type RunningAlertmanager,
  type RunningPrometheus,
  startAlertmanager,
  startPrometheus,
} from './prometheus-harness.js';

// `docker compose up` without Docker: every service of docker-compose.yml as a process on
// loopback, started with the command, environment and files the compose file gives it.
// Only what a container would have differently is changed: each `service:port` becomes
// 127.0.0.1 and a free port, the read-key secret a temp file, and Prometheus' and
// Alertmanager's intervals seconds instead of minutes so the test takes seconds. Then the
// demo's calls reach the collector, Prometheus scrapes it with the read key and evaluates
// the rules, an alert goes through Alertmanager to the alert receiver, and every
// dashboard panel has data.

vi.setConfig({ testTimeout: 120_000 });

const temp = () => mkdtempSync(join(tmpdir(), 'costlens-stack-'));
const procs: Proc[] = [];
let prometheus: RunningPrometheus | undefined;
let alertmanager: RunningAlertmanager | undefined;

afterAll(async () => {
  await prometheus?.close();
  await alertmanager?.close();
  for (const p of procs) {
    if (p.child.exitCode !== null) continue;
    const gone = new Promise((resolve) => p.child.once('exit', resolve));
    p.child.kill('SIGKILL');
    await gone;
  }
});

/** `service:port` of every service, and where it listens in this test. */
async function addresses(): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const name of Object.keys(services))
    for (const port of portsOf(name)) map.set(`${name}:${port}`, `127.0.0.1:${await freePort()}`);
  return map;
}
const local = (text: string, map: Map<string, string>) =>
  [...map].reduce((t, [from, to]) => t.split(from).join(to), text);
const portOf = (map: Map<string, string>, key: string) => map.get(key)!.split(':')[1]!;

/** A service's environment with its ${VAR}s filled and its service addresses made local. */
const environment = (service: string, map: Map<string, string>) =>
  Object.fromEntries(
    Object.entries(filled(env(service))).map(([k, v]) => [k, local(String(v), map)]),
  );

describe('docker-compose.yml as processes', () => {
  it('the demo is scraped with the read key, the rules evaluate, an alert reaches the alert receiver, every panel has data', async ({
    expect,
  }) => {
    const map = await addresses();
    const command = (s: string) => (services[s].command ?? []) as string[];

    const receiver = await node(
      command('alert-receiver').slice(1),
      {
        ...environment('alert-receiver', map),
        ALERT_RECEIVER_HOST: '127.0.0.1',
        ALERT_RECEIVER_PORT: portOf(map, 'alert-receiver:9000'),
      },
      'listening on',
    );
    procs.push(receiver);
    const fake = await node(
      command('fake-providers').slice(1),
      {
        ...environment('fake-providers', map),
        FAKE_PROVIDERS_HOST: '127.0.0.1',
        FAKE_PROVIDERS_PORT: portOf(map, 'fake-providers:8080'),
      },
      'listening on',
    );
    procs.push(fake);

    // The collector: the image's entry point and the compose command, its config file
    // through the mount, the keys from the environment; loopback, a temp database.
    const collectorEnv = environment('collector', map);
    const args = command('collector').map((a) =>
      a === '/etc/costlens/costlens.yaml' ? join(ROOT, 'examples/traffic/costlens.yaml') : a,
    );
    const collector = await node(
      ['collector/bin/costlens.js', ...args],
      {
        ...collectorEnv,
        COSTLENS_HOST: '127.0.0.1',
        COSTLENS_PORT: portOf(map, 'collector:4318'),
        COSTLENS_DB: join(temp(), 'costlens.db'),
      },
      'listening on',
    );
    procs.push(collector);

    const amConfig = local(readFileSync(join(ROOT, 'alertmanager/alertmanager.yml'), 'utf8'), map);
    alertmanager = await startAlertmanager(
      amConfig.replace(/group_wait: \w+/, 'group_wait: 1s'),
      map.get('alertmanager:9093')!,
    );

    // Prometheus reads the read key from the secret file compose mounts.
    const secrets = temp();
    const readKey = collectorEnv.COSTLENS_READ_KEYS!;
    writeFileSync(join(secrets, 'costlens_read_key'), readKey);
    const promConfig = local(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8'), map)
      .replace('/run/secrets/costlens_read_key', join(secrets, 'costlens_read_key'))
      .replace(/^( {2}- )(rules\/)/gm, `$1${join(ROOT, 'prometheus')}/$2`)
      .replace(/scrape_interval: \w+/, 'scrape_interval: 1s')
      .replace(/evaluation_interval: \w+/, 'evaluation_interval: 1s');
    expect(promConfig).toContain(join(secrets, 'costlens_read_key'));
    prometheus = await startPrometheus({ config: promConfig });

    // Scraping before the demo starts: its counters then rise between two scrapes,
    // which rate() needs (a 4 s demo over before the first scrape left the failure
    // ratio's rule, which keeps models with a rate above 0, with nothing).
    const up = await prometheus.waitFor('up{job="costlens"}', (s) => s[0]?.value === 1, 20_000);
    expect(up).toHaveLength(1);

    const demo = await node(
      ['--import', '@costlens/instrumentation/register', 'examples/traffic/app.mjs'],
      {
        ...environment('demo', map),
        TRAFFIC_CALLS_PER_SECOND: '10',
        TRAFFIC_DURATION_SECONDS: '4',
      },
    );
    procs.push(demo);
    expect(await demo.exited, demo.output()).toBe(0);

    const projects = await prometheus.waitFor(
      'sum by (project) (costlens_calls_total)',
      (s) => s.length === 4,
      20_000,
    );
    expect(projects.map((s) => s.metric.project).sort()).toEqual([
      'marketing',
      'research',
      'search',
      'support-bot',
    ]);
    // A recording rule of prometheus/rules, from the demo's spend.
    await prometheus.waitFor(
      'provider_model_project:costlens_cost_usd:increase1h',
      (s) => s.length > 0,
      20_000,
    );

    // The demo's unknown model fires CostlensUnpricedCalls (a ticket), through Alertmanager.
    const deadline = Date.now() + 45_000;
    while (!receiver.output().includes('CostlensUnpricedCalls') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(receiver.output()).toMatch(
      /\/costlens\/ticket firing: CostlensUnpricedCalls \(ticket\) Calls to acme-support-llm have no price/,
    );
    const alerts = await prometheus.api<{ alerts: Obj[] }>('alerts');
    expect(alerts.alerts.map((a) => a.labels.alertname)).toContain('CostlensUnpricedCalls');

    // What Grafana would show: every panel's query over the last minute has data, with
    // All selected; the demo makes each kind of call a panel counts (images, videos,
    // cache reads, streams, retries, failures, an unpriced model, budgets).
    const empty: string[] = [];
    const queries = promQueries(committedDashboards().map((d) => d.dashboard));
    expect(queries.length).toBeGreaterThan(30);
    // A series the demo's last spans created may have one scrape yet, and increase()
    // needs two; a recording rule's series waits for its group's next evaluation,
    // which a busy machine delays: each query is given 15 s before it counts as empty
    // (a query with data answers at once).
    for (const q of queries) {
      const expr = substitute(q.expr, {}, { range: '1m', rateInterval: '1m', interval: '15s' });
      const ok = await prometheus
        .waitFor(expr, (r) => r.length > 0, 15_000)
        .then(
          () => true,
          () => false,
        );
      if (!ok) empty.push(`${q.dashboard} / ${q.panel}`);
    }
    expect(empty).toEqual([]);
    // And the collector's JSON API panels (Infinity, with the read key): rows with their columns.
    for (const q of apiQueries(committedDashboards().map((d) => d.dashboard))) {
      const url = new URL(q.url, `http://${map.get('collector:4318')}`);
      for (const { key, value } of q.params)
        url.searchParams.set(
          key,
          value
            .replace(grafanaVariable('__from'), String(Date.now() - 600_000))
            .replace(grafanaVariable('__to'), String(Date.now())),
        );
      const res = await fetch(url, { headers: { authorization: `Bearer ${readKey}` } });
      const rows = ((await res.json()) as Obj)[q.rootSelector] as Obj[];
      expect(rows.length, q.panel).toBeGreaterThan(0);
      for (const c of q.columns)
        expect(rows[0], `${q.panel}: ${c.selector}`).toHaveProperty([c.selector]);
    }
  });
});
