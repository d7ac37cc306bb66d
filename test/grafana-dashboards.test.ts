import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { variable as ref } from '../grafana/src/datasources.js';
import { API_UID, INFINITY_TYPE, PROMETHEUS_UID } from '../grafana/src/index.js';
import { renderDashboards } from '../grafana/src/render.js';
import {
  allPanels,
  committedDashboards,
  DASHBOARD_DIR,
  type JsonDashboard,
  promQueries,
} from './grafana-queries.js';

// The dashboards are code (grafana/src/); the JSON Grafana loads is generated from it
// (npm run dashboards -w grafana) and committed. These tests keep the two the same and
// hold the dashboards to the rules the issue sets.

const dashboards = committedDashboards();
const variable = (d: JsonDashboard, name: string) =>
  d.templating.list.find((v) => v.name === name) as Record<string, unknown> | undefined;

describe('grafana/dashboards/*.json', () => {
  it('are what the code generates, byte for byte (run npm run dashboards -w grafana)', () => {
    const generated = renderDashboards();
    expect(generated.map((g) => g.file).sort()).toEqual(dashboards.map((d) => d.file));
    for (const { file, text } of generated)
      expect(readFileSync(join(DASHBOARD_DIR, file), 'utf8'), file).toBe(text);
  });

  it('are three: cost, usage and trends, failures and latency', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual([
      'costlens-cost',
      'costlens-failures',
      'costlens-usage',
    ]);
  });

  it.each(dashboards)(
    '$file has project, provider and model variables: multi-select with All',
    ({ dashboard }) => {
      for (const name of ['project', 'provider', 'model']) {
        const v = variable(dashboard, name);
        expect(v, name).toBeDefined();
        expect(v).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: '.*' });
        expect(String(v!.query)).toMatch(/^label_values\(costlens_/);
        expect(v!.datasource).toEqual({ type: 'prometheus', uid: ref('prometheus') });
      }
    },
  );

  it.each(dashboards)(
    '$file names its datasources through variables set to the provisioned uids',
    ({ dashboard }) => {
      expect(variable(dashboard, 'prometheus')).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
        current: { value: PROMETHEUS_UID },
      });
      const text = JSON.stringify(dashboard);
      // Never a numeric id or a datasource by name: a uid variable or nothing.
      expect(text).not.toMatch(/"datasource":\s*(\d|")/);
      for (const p of allPanels(dashboard)) {
        if (p.type === 'row') continue;
        expect([ref('prometheus'), ref('api')], p.title).toContain(p.datasource?.uid);
        for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual(p.datasource);
      }
      const usesApi = text.includes(`"${ref('api')}"`);
      if (usesApi)
        expect(variable(dashboard, 'api')).toMatchObject({
          type: 'datasource',
          query: INFINITY_TYPE,
          current: { value: API_UID },
        });
    },
  );

  it('never show a raw counter or histogram sum: counters only inside increase() or rate()', () => {
    const queries = promQueries(dashboards.map((d) => d.dashboard)).filter(
      (q) => !q.panel.startsWith('$'),
    );
    expect(queries.length).toBeGreaterThan(40);
    for (const q of queries) {
      // Each counter series (…_total, …_bucket, …_sum, …_count) is the first argument of increase or rate.
      for (const m of q.expr.matchAll(/(\w*)\(?\s*(costlens_\w+_(?:total|bucket|sum|count))\b/g))
        expect(['increase', 'rate'], `${q.panel}: ${q.expr}`).toContain(m[1]);
      // Totals over the picked range, speeds over $__rate_interval: no fixed windows.
      for (const w of q.expr.matchAll(/\[([^\]]+)\]/g))
        expect(['$__range', '$__rate_interval'], `${q.panel}: ${q.expr}`).toContain(w[1]);
    }
  });
});

describe('grafana/provisioning', () => {
  const read = (path: string) =>
    parse(readFileSync(new URL(`../grafana/provisioning/${path}`, import.meta.url), 'utf8'));

  it('provides the datasources by the uids the dashboards default to', () => {
    const { datasources } = read('datasources/costlens.yml') as {
      datasources: Record<string, unknown>[];
    };
    expect(datasources).toEqual([
      expect.objectContaining({
        uid: PROMETHEUS_UID,
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
      expect.objectContaining({
        uid: API_UID,
        type: INFINITY_TYPE,
        url: 'http://collector:4318',
        jsonData: { auth_method: 'bearerToken', allowedHosts: ['http://collector:4318'] },
        // Grafana puts the environment's key in; the file holds no secret.
        secureJsonData: { bearerToken: ref('COSTLENS_READ_KEY') },
      }),
    ]);
  });

  it("sets the Prometheus datasource's interval to prometheus.yml's scrape interval", () => {
    const { datasources } = read('datasources/costlens.yml') as {
      datasources: { uid: string; jsonData: { timeInterval?: string } }[];
    };
    const prometheusYml = parse(
      readFileSync(new URL('../prometheus/prometheus.yml', import.meta.url), 'utf8'),
    ) as { global: { scrape_interval: string } };
    // $__rate_interval is at least four of these: shorter than the real interval, rates go blank.
    expect(datasources.find((d) => d.uid === PROMETHEUS_UID)!.jsonData.timeInterval).toBe(
      prometheusYml.global.scrape_interval,
    );
  });

  it('loads the dashboards from the path the README names into the folder costlens', () => {
    const { providers } = read('dashboards/costlens.yml') as {
      providers: { folder: string; type: string; options: { path: string } }[];
    };
    expect(providers).toEqual([expect.objectContaining({ folder: 'costlens', type: 'file' })]);
    const readme = readFileSync(new URL('../grafana/README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`${providers[0]!.options.path}\``);
  });
});
