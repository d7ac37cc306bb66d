import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type RunningCollector, startCollector } from './collector-harness.js';
import {
  type RunningAlertmanager,
  type RunningPrometheus,
  startAlertmanager,
  startPrometheus,
} from './prometheus-harness.js';
import { finishedSpans } from './spans.js';

// alertmanager/alertmanager.yml as amtool sees it, then the whole path: a real
// collector with a budget, a real Prometheus with the real rule files, a real
// Alertmanager with the real routing, and a webhook receiver here.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const AM_CONFIG = join(ROOT, 'alertmanager/alertmanager.yml');
const temp = (name: string) => mkdtempSync(join(tmpdir(), `costlens-${name}-`));

function amtool(args: string[]): { status: number; out: string } {
  const r = spawnSync('amtool', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) {
    throw new Error(
      `amtool could not run (apt-get install prometheus-alertmanager): ${r.error.message}`,
    );
  }
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** `text` with `from` replaced by `to`, failing when `from` is not there (the file changed). */
function swap(text: string, from: string, to: string): string {
  expect(text, `expected ${from}`).toContain(from);
  return text.split(from).join(to);
}

describe('alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    const r = amtool(['check-config', AM_CONFIG]);
    expect(r.out).toContain('SUCCESS');
    expect(r.status, r.out).toBe(0);
  });

  it('routes page and ticket alerts to their receivers, anything else to tickets', () => {
    const route = (...labels: string[]) =>
      amtool(['config', 'routes', 'test', `--config.file=${AM_CONFIG}`, ...labels]).out.split(
        '\n',
      )[0];
    expect(route('severity=page', 'alertname=CostlensBudgetSpent')).toBe('costlens-pages');
    expect(route('severity=ticket', 'alertname=CostlensUnpricedCalls')).toBe('costlens-tickets');
    expect(route('alertname=SomethingElse')).toBe('costlens-tickets');
  });

  it('its commented Slack and email examples are valid once uncommented', () => {
    const dir = temp('am-examples');
    writeFileSync(join(dir, 'slack_webhook_url'), 'https://hooks.slack.example/T0/B0/x\n');
    writeFileSync(join(dir, 'smtp_password'), 'password\n');
    let text = readFileSync(AM_CONFIG, 'utf8');
    const commented = text.split('\n').filter((l) => /^ {4}# {1,5}\S/.test(l)).length;
    text = text
      .replace(/^ {4}# (slack_configs|email_configs):$/gm, '    $1:')
      .replace(/^ {4}# {3}/gm, '      ')
      .replace(/^ {4}# {5}/gm, '        ');
    text = swap(text, '/run/secrets/slack_webhook_url', join(dir, 'slack_webhook_url'));
    text = swap(text, '/run/secrets/smtp_password', join(dir, 'smtp_password'));
    writeFileSync(join(dir, 'alertmanager.yml'), text);
    const receivers = parse(text).receivers as Record<string, unknown[]>[];
    expect(receivers.find((r) => r.slack_configs)?.slack_configs).toHaveLength(1);
    expect(receivers.find((r) => r.email_configs)?.email_configs).toHaveLength(1);
    expect(commented).toBeGreaterThan(10);
    const r = amtool(['check-config', join(dir, 'alertmanager.yml')]);
    expect(r.status, r.out).toBe(0);
  });
});

interface Hook {
  path: string;
  body: {
    receiver: string;
    status: string;
    groupLabels: Record<string, string>;
    alerts: {
      status: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }[];
  };
}

/** A webhook receiver on loopback keeping what Alertmanager POSTs. */
async function startReceiver(): Promise<{ url: string; hooks: Hook[]; server: Server }> {
  const hooks: Hook[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hooks, server };
}

/** `n` calls to gpt-4o of 1M input and 100k output tokens ($3.50 each); `failed` more that failed. */
function calls(tracer: Tracer, n: number, failed = 0) {
  for (let i = 0; i < n + failed; i++) {
    const span = tracer.startSpan('chat gpt-4o', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        ...(i < n
          ? { 'gen_ai.usage.input_tokens': 1_000_000, 'gen_ai.usage.output_tokens': 100_000 }
          : { 'error.type': 'rate_limit' }),
      },
    });
    if (i >= n) span.setStatus({ code: 2, message: 'rate limited' });
    span.end();
  }
}

let collector: RunningCollector | undefined;
let prometheus: RunningPrometheus | undefined;
let alertmanager: RunningAlertmanager | undefined;
let receiver: Server | undefined;
afterAll(async () => {
  await prometheus?.close();
  await alertmanager?.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  await collector?.close();
});

describe('a budget spent, from the collector to a webhook', () => {
  it('fires CostlensBudgetSpent in Prometheus, routed by Alertmanager to the page receiver with its labels and annotations', async () => {
    const READ_KEY = 'e2e-read-key';
    const INGEST_KEY = 'e2e-ingest-key';
    collector = await startCollector({
      keys: { ingest: [{ key: INGEST_KEY }], read: [{ key: READ_KEY }], admin: [] },
      budgets: [
        {
          name: 'e2e-month',
          scope: { project: 'shop' },
          period: 'month',
          timezone: 'UTC',
          limit_usd: 5,
          alert_at: [1],
          notify: [],
        },
      ],
    });
    const hook = await startReceiver();
    receiver = hook.server;

    // The real alertmanager.yml, its webhooks pointed here and its 30 s
    // group_wait cut to 1 s so the test is quick.
    let amConfig = readFileSync(AM_CONFIG, 'utf8');
    amConfig = swap(amConfig, 'http://alert-receiver:9000', hook.url);
    amConfig = swap(amConfig, 'group_wait: 30s', 'group_wait: 1s');
    const am = await startAlertmanager(amConfig);
    alertmanager = am;

    // The real prometheus.yml: loopback targets, the read key in a temp file,
    // the real rule files by absolute path, scrapes and rules every second.
    // CostlensBudgetSpent has no `for:`, so no rule is rewritten.
    const keyFile = join(temp('secret'), 'costlens_read_key');
    writeFileSync(keyFile, `${READ_KEY}\n`);
    let promConfig = readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8');
    promConfig = swap(promConfig, 'collector:4318', new URL(collector.url).host);
    promConfig = swap(promConfig, 'alertmanager:9093', new URL(am.url).host);
    promConfig = swap(promConfig, '/run/secrets/costlens_read_key', keyFile);
    promConfig = swap(promConfig, '- rules/', `- ${join(ROOT, 'prometheus/rules')}/`);
    promConfig = swap(promConfig, 'scrape_interval: 15s', 'scrape_interval: 1s');
    promConfig = swap(promConfig, 'evaluation_interval: 30s', 'evaluation_interval: 1s');
    prometheus = await startPrometheus({ config: promConfig });
    const prom = prometheus;
    // Scraped with the read key (the collector has keys, so without it: 401, up 0).
    await prom.waitFor('up{job="costlens"} == 1', (s) => s.length === 1, 15_000);

    const exporter = new OTLPTraceExporter({
      url: `${collector.url}/v1/traces`,
      headers: { 'x-api-key': INGEST_KEY },
    });
    const send = async (n: number, failed: number) => {
      const spans = finishedSpans(
        { 'service.name': 'app', 'costlens.project': 'shop' },
        'e2e',
        (t) => calls(t, n, failed),
      );
      const r = await new Promise<{ code: number }>((resolve) => exporter.export(spans, resolve));
      expect(r.code).toBe(0);
    };
    // $3.50 and a failed call: under the $5 limit. Once a scrape has seen these
    // counters, the next calls are an increase Prometheus counts (increase() and
    // rate() do not count a counter's first value).
    await send(1, 1);
    await prom.waitFor('costlens_budget_spent_usd', (s) => s[0]?.value === 3.5, 15_000);
    await send(2, 1);
    const [spent] = await prom.waitFor(
      'costlens_budget_spent_usd',
      (s) => s[0]?.value === 10.5,
      15_000,
    );
    expect(spent!.metric).toMatchObject({ budget: 'e2e-month', job: 'costlens' });

    // Every rule of both files loads and evaluates without an error.
    type RuleState = {
      name: string;
      type: string;
      health: string;
      lastError?: string;
      query: string;
    };
    const ruleFiles = ['costlens-recording.yml', 'costlens-alerts.yml'].map(
      (f) =>
        parse(readFileSync(join(ROOT, 'prometheus/rules', f), 'utf8')) as {
          groups: { rules: { record?: string; alert?: string }[] }[];
        },
    );
    const names = ruleFiles.flatMap((f) =>
      f.groups.flatMap((g) => g.rules.map((r) => r.record ?? r.alert)),
    );
    let states: RuleState[] = [];
    for (let i = 0; i < 60; i++) {
      const { groups } = await prom.api<{ groups: { rules: RuleState[] }[] }>('rules');
      states = groups.flatMap((g) => g.rules);
      if (states.length === names.length && states.every((s) => s.health === 'ok')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(states.map((s) => s.name).sort()).toEqual([...names].sort());
    for (const s of states)
      expect({ rule: s.name, health: s.health, error: s.lastError ?? '' }).toEqual({
        rule: s.name,
        health: 'ok',
        error: '',
      });
    // Each expression parses and runs as an instant query too.
    for (const s of states)
      await expect(prom.query(s.query), s.name).resolves.toBeInstanceOf(Array);

    // The recording rules the dashboards read produce series from this traffic.
    // (The spike baseline needs a week of history, so it has none here.)
    const recorded = {
      'provider_model_project:costlens_cost_usd:increase1h': { project: 'shop', model: 'gpt-4o' },
      'provider_model_project:costlens_cost_usd:increase1d': { project: 'shop', model: 'gpt-4o' },
      'project:costlens_cost_usd:month_to_date': { project: 'shop' },
      'project:costlens_cost_usd:increase1h': { project: 'shop' },
      'model:costlens_calls_failed:ratio_rate15m': { model: 'gpt-4o' },
    };
    for (const [name, labels] of Object.entries(recorded)) {
      const [s] = await prom.waitFor(name, (r) => r.length > 0, 15_000);
      expect(s!.metric, name).toMatchObject(labels);
      expect(s!.value, name).toBeGreaterThanOrEqual(0);
    }
    // Month to date counts what Prometheus saw happen: the $7.00 of calls since
    // its first scrape (about that, should an hour start in between).
    await prom.waitFor('project:costlens_cost_usd:month_to_date{project="shop"}', (r) =>
      r.some((x) => Math.abs(x.value - 7) < 0.5),
    );
    // Of the calls since the first scrape, 1 failed in 3.
    const [ratio] = await prom.waitFor('model:costlens_calls_failed:ratio_rate15m', (r) =>
      r.some((x) => Math.abs(x.value - 1 / 3) < 1e-9),
    );
    expect(ratio!.metric.model).toBe('gpt-4o');

    // Prometheus fires it, Alertmanager routes it by severity to the page webhook.
    const firing = await waitForHook(hook.hooks, 'CostlensBudgetSpent', 30_000);
    expect(firing.path).toBe('/costlens/page');
    expect(firing.body.receiver).toBe('costlens-pages');
    expect(firing.body.groupLabels).toEqual({
      alertname: 'CostlensBudgetSpent',
      budget: 'e2e-month',
    });
    const alert = firing.body.alerts.find((a) => a.labels.alertname === 'CostlensBudgetSpent')!;
    expect(alert.status).toBe('firing');
    expect(alert.labels).toEqual({
      alertname: 'CostlensBudgetSpent',
      budget: 'e2e-month',
      severity: 'page',
    });
    expect(alert.annotations.summary).toBe('Budget e2e-month is spent: $10.50');
    expect(alert.annotations.description).toContain(
      'Budget e2e-month has spent $10.50 this period, its limit is $5.00.',
    );
    expect(alert.annotations.runbook).toBe('docs/alerts.md#budget-spent');
    // A spent budget is not also reported as forecast to pass its limit.
    const forecast = await prom.query('ALERTS{alertname="CostlensBudgetForecastOverLimit"}');
    expect(forecast).toEqual([]);
  }, 60_000);
});

async function waitForHook(hooks: Hook[], alertname: string, timeoutMs: number): Promise<Hook> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const hit = hooks.find((h) => h.body.alerts.some((a) => a.labels.alertname === alertname));
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no webhook for ${alertname} in ${timeoutMs} ms; got ${JSON.stringify(hooks)}`);
}
