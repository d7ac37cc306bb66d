import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// prometheus/ as Prometheus's own tools see it: promtool (Debian's prometheus
// package) checks the config and the rules and runs the rules' unit tests.

const PROM = fileURLToPath(new URL('../prometheus/', import.meta.url));
const RULE_FILES = ['costlens-recording.yml', 'costlens-alerts.yml'];
const TEST_FILES = readdirSync(join(PROM, 'tests'))
  .filter((f) => f.endsWith('.yml'))
  .sort();

/** Runs promtool; fails the test with a hint when it is not installed. */
function promtool(args: string[], cwd = PROM): { status: number; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 180_000 });
  if (r.error)
    throw new Error(`promtool could not run (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesOf = (file: string): Rule[] =>
  (
    parse(readFileSync(join(PROM, 'rules', file), 'utf8')) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((g) => g.rules);
const allRules = RULE_FILES.flatMap(rulesOf);
const alerts = allRules.filter((r) => r.alert);
const records = allRules.filter((r) => r.record);

interface UnitTests {
  rule_files: string[];
  tests: {
    promql_expr_test?: { expr: string }[];
    alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
  }[];
}
const unitTests = TEST_FILES.map(
  (f) => parse(readFileSync(join(PROM, 'tests', f), 'utf8')) as UnitTests,
);

/** prometheus/ copied to a temp dir, `edit` applied to one of its files. */
function copyWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'costlens-promtool-'));
  cpSync(PROM, dir, { recursive: true });
  const before = readFileSync(join(dir, file), 'utf8');
  const after = edit(before);
  // An edit that changed nothing would make the test below pass for no reason.
  expect(after).not.toBe(before);
  writeFileSync(join(dir, file), after);
  return dir;
}

describe('prometheus.yml', () => {
  const config = parse(readFileSync(join(PROM, 'prometheus.yml'), 'utf8'));

  it('scrapes the collector with the read key from a secret file, loads both rule files and sends to Alertmanager', () => {
    const [job] = config.scrape_configs;
    expect(config.scrape_configs).toHaveLength(1);
    expect(job.job_name).toBe('costlens');
    expect(job.static_configs).toEqual([{ targets: ['collector:4318'] }]);
    expect(job.authorization).toEqual({ credentials_file: '/run/secrets/costlens_read_key' });
    expect(config.alerting.alertmanagers[0].static_configs).toEqual([
      { targets: ['alertmanager:9093'] },
    ]);
    expect(config.rule_files).toEqual(RULE_FILES.map((f) => `rules/${f}`));
    for (const f of config.rule_files) expect(existsSync(join(PROM, f)), f).toBe(true);
  });

  it('passes promtool check config (the secret file stood in for by a temp file)', () => {
    // promtool checks that a credentials file exists; /run/secrets/ is the
    // container's, so a copy points at a temp file holding a key.
    const key = join(mkdtempSync(join(tmpdir(), 'costlens-secret-')), 'costlens_read_key');
    writeFileSync(key, 'read-key\n');
    const dir = copyWith('prometheus.yml', (t) => t.replace('/run/secrets/costlens_read_key', key));
    const r = promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(r.out).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
    for (const f of RULE_FILES) expect(r.out).toMatch(new RegExp(`Checking rules/${f}\\s+SUCCESS`));
    expect(r.status, r.out).toBe(0);
  });
});

describe('the rules', () => {
  it('pass promtool check rules, every rule counted', () => {
    const r = promtool(['check', 'rules', ...RULE_FILES.map((f) => `rules/${f}`)]);
    expect(r.status, r.out).toBe(0);
    for (const f of RULE_FILES) {
      expect(r.out).toContain(`Checking rules/${f}\n  SUCCESS: ${rulesOf(f).length} rules found`);
    }
  });

  it('are the recording rules the dashboards use and seven alerts, each with a severity and the three annotations', () => {
    expect(records.map((r) => r.record)).toEqual(
      expect.arrayContaining([
        'provider_model_project:costlens_cost_usd:increase1h',
        'provider_model_project:costlens_cost_usd:increase1d',
        'project:costlens_cost_usd:month_to_date',
        'model:costlens_calls_failed:ratio_rate15m',
      ]),
    );
    expect(alerts).toHaveLength(7);
    for (const a of alerts) {
      expect(['page', 'ticket'], a.alert).toContain(a.labels?.severity);
      expect(Object.keys(a.annotations ?? {}).sort(), a.alert).toEqual([
        'description',
        'runbook',
        'summary',
      ]);
      expect(a.annotations?.runbook, a.alert).toMatch(/^docs\/alerts\.md#[a-z-]+$/);
    }
  });

  it('pass their promtool unit tests', () => {
    const r = promtool(['test', 'rules', ...TEST_FILES.map((f) => `tests/${f}`)]);
    expect(r.status, r.out).toBe(0);
    expect(r.out.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
  }, 180_000);

  it('each have unit tests: every alert fires in one and stays quiet in another, every recording rule is read', () => {
    for (const u of unitTests) expect(u.rule_files).toContain('../rules/costlens-recording.yml');
    const cases = unitTests.flatMap((u) => u.tests.flatMap((t) => t.alert_rule_test ?? []));
    const firing = new Set(cases.filter((c) => c.exp_alerts?.length).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => !c.exp_alerts?.length).map((c) => c.alertname));
    const names = alerts.map((a) => a.alert!).sort();
    expect([...firing].sort()).toEqual(names);
    expect([...quiet].sort()).toEqual(names);
    const exprs = unitTests.flatMap((u) =>
      u.tests.flatMap((t) => (t.promql_expr_test ?? []).map((p) => p.expr)),
    );
    for (const r of records) {
      expect(
        exprs.some((e) => e.includes(r.record!)),
        `${r.record} has no promql_expr_test`,
      ).toBe(true);
    }
  });
});

describe('docs/alerts.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../docs/alerts.md', import.meta.url)), 'utf8');
  const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has the section each alert runbook annotation points at', () => {
    const anchors = doc
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .map((l) =>
        l
          .replace(/^#+ /, '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      );
    for (const a of alerts)
      expect(anchors, a.alert).toContain(a.annotations!.runbook!.split('#')[1]);
  });

  it('its example rules pass promtool check rules and its example unit test', () => {
    const rules = yamlBlocks.find((b) => b.startsWith('groups:'))!;
    const test = yamlBlocks.find((b) => b.startsWith('rule_files:'))!;
    expect(test).toContain('../rules/my-alerts.yml');
    const dir = mkdtempSync(join(tmpdir(), 'costlens-doc-rules-'));
    cpSync(PROM, dir, { recursive: true });
    writeFileSync(join(dir, 'rules/my-alerts.yml'), rules);
    writeFileSync(join(dir, 'tests/my-alerts.test.yml'), test);
    const check = promtool(['check', 'rules', 'rules/my-alerts.yml'], dir);
    expect(check.out).toContain('SUCCESS: 2 rules found');
    const r = promtool(['test', 'rules', 'tests/my-alerts.test.yml'], dir);
    expect(r.status, r.out).toBe(0);
  }, 60_000);
});

// The unit tests hold the rules to what they should do: each rule broken the way
// it could plausibly be gets a failing `promtool test rules`.
describe('the unit tests fail on a broken rule', () => {
  const broken: {
    name: string;
    file: string;
    tests: string;
    from: string | RegExp;
    to: string;
    /** What promtool names in its failure. */
    fails: string;
  }[] = [
    {
      name: 'failure rate without its minimum of 20 calls (claude, 8 calls in 15 minutes, would fire)',
      file: 'rules/costlens-alerts.yml',
      tests: 'tests/alerts.test.yml',
      from: 'increase(costlens_calls_total[15m])) >= 20',
      to: 'increase(costlens_calls_total[15m])) >= 0',
      fails: 'alertname: CostlensModelFailureRate',
    },
    {
      name: 'unpriced calls counted by increase() alone (a new counter at 1 is missed)',
      file: 'rules/costlens-alerts.yml',
      tests: 'tests/alerts.test.yml',
      from: '(costlens_unpriced_calls_total unless costlens_unpriced_calls_total offset 1h)\n            or ',
      to: '',
      fails: 'alertname: CostlensUnpricedCalls',
    },
    {
      name: 'budget spent summary without its dollar figure',
      file: 'rules/costlens-alerts.yml',
      tests: 'tests/alerts.test.yml',
      from: `spent: {{ $value | printf "$%.2f" }}'`,
      to: `spent: {{ $value }}'`,
      fails: 'alertname: CostlensBudgetSpent',
    },
    {
      name: 'month to date without the hour in progress',
      file: 'rules/costlens-recording.yml',
      tests: 'tests/recording.test.yml',
      from: /\s+or\s+label_replace\(\s+costlens_cost_usd_total - [\s\S]*?"part", "now", "", ""\s+\)/,
      to: '',
      fails: 'expr: "project:costlens_cost_usd:month_to_date',
    },
  ];
  for (const b of broken) {
    it(b.name, () => {
      const dir = copyWith(b.file, (t) => t.replace(b.from, b.to));
      expect(promtool(['check', 'rules', b.file], dir).status).toBe(0);
      const r = promtool(['test', 'rules', b.tests], dir);
      expect(r.out).toContain('FAILED');
      expect(r.out).toContain(b.fails);
      expect(r.status).not.toBe(0);
    }, 60_000);
  }
});
