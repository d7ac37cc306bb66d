import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'vitest';
import { parse } from 'yaml';
import { checkExposure, loadConfig } from '../collector/src/index.js';
import { freePort } from './collector-process.js';
import {
  compose,
  dockerfile,
  env,
  filled,
  healthcheck,
  mounts,
  node,
  type Obj,
  portsOf,
  ROOT,
  reachable,
  repoPath,
  services,
  strings,
  text,
  variables,
} from './compose-files.js';

// No Docker engine runs here: docker-compose.yml is checked as a file, against the files it
// mounts and names (prometheus/, alertmanager/, grafana/, the collector's config loader),
// and the health checks it runs with node are run against the programs they check.

const prometheus = parse(text('prometheus/prometheus.yml')) as Obj;
const alertmanager = parse(text('alertmanager/alertmanager.yml')) as Obj;
const datasources = readdirSync(join(ROOT, 'grafana/provisioning/datasources')).flatMap(
  (f) => (parse(text(`grafana/provisioning/datasources/${f}`)) as Obj).datasources as Obj[],
);
const providers = readdirSync(join(ROOT, 'grafana/provisioning/dashboards')).flatMap(
  (f) => (parse(text(`grafana/provisioning/dashboards/${f}`)) as Obj).providers as Obj[],
);

const envExample = Object.fromEntries(
  text('.env.example')
    .split('\n')
    .filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const SECRETS = ['GRAFANA_ADMIN_PASSWORD', 'COSTLENS_INGEST_KEY', 'COSTLENS_READ_KEY'];

describe('docker-compose.yml', () => {
  it("has the stack's services, each built here or from an image pinned to a version", ({
    expect,
  }) => {
    expect(Object.keys(services).sort()).toEqual([
      'alert-receiver',
      'alertmanager',
      'collector',
      'demo',
      'fake-providers',
      'grafana',
      'prometheus',
    ]);
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) expect(s.image, name).toBeUndefined();
      else expect(s.image, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/);
    }
    expect(services.prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(services.alertmanager.image).toMatch(/^prom\/alertmanager:/);
    expect(services.grafana.image).toMatch(/^grafana\/grafana:/);
    expect(services.collector.build).toBe('.');
    for (const name of ['demo', 'fake-providers', 'alert-receiver'])
      expect(services[name].build).toEqual({ context: '.', target: 'demo' });
    expect(portsOf('collector')).toEqual([4318]);
    expect(portsOf('prometheus')).toEqual([9090]);
    expect(portsOf('alertmanager')).toEqual([9093]);
    expect(portsOf('grafana')).toEqual([3000]);
    expect(portsOf('fake-providers')).toEqual([8080]);
  });

  it('runs the Prometheus and Alertmanager versions the tests run, so what is tested is what ships', ({
    expect,
  }) => {
    // The rules' unit tests and the end-to-end tests run Debian's packages.
    const installed = (bin: string) =>
      /version (\d+\.\d+)\./.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1];
    const pinned = (image: unknown) => /:v(\d+\.\d+)\./.exec(String(image))?.[1];
    expect(pinned(services.prometheus.image)).toBe(installed('prometheus'));
    expect(pinned(services.alertmanager.image)).toBe(installed('prometheus-alertmanager'));
  });

  it('mounts only files and folders the repository has, and keeps data on named volumes', ({
    expect,
  }) => {
    for (const name of Object.keys(services)) {
      for (const m of mounts(name)) {
        if (m.bind) expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${m.source}`).toHaveProperty([m.source]);
      }
    }
    const named = (s: string) =>
      mounts(s)
        .filter((m) => !m.bind)
        .map((m) => m.target);
    expect(named('collector')).toEqual(['/data']);
    expect(named('prometheus')).toEqual(['/prometheus']);
    expect(named('grafana')).toEqual(['/var/lib/grafana']);
    // Each program is pointed at the files mounted for it.
    const flag = (s: string, f: string) =>
      (services[s].command as string[]).find((c) => c.startsWith(`--${f}=`))?.split('=')[1];
    expect(statSync(repoPath('prometheus', flag('prometheus', 'config.file')!)!).isFile()).toBe(
      true,
    );
    expect(flag('prometheus', 'storage.tsdb.path')).toBe('/prometheus');
    expect(statSync(repoPath('alertmanager', flag('alertmanager', 'config.file')!)!).isFile()).toBe(
      true,
    );
    const cmd = services.collector.command as string[];
    expect(existsSync(repoPath('collector', cmd[cmd.indexOf('--config') + 1]!)!)).toBe(true);
    for (const s of ['fake-providers', 'alert-receiver'])
      expect(existsSync(join(ROOT, (services[s].command as string[])[1]!)), s).toBe(true);
  });

  it('checks the health of each service others wait for, and starts each after what it needs', ({
    expect,
  }) => {
    const waits: Record<string, string[]> = {
      prometheus: ['collector', 'alertmanager'],
      alertmanager: ['alert-receiver'],
      grafana: ['prometheus', 'collector'],
      demo: ['collector', 'fake-providers'],
    };
    for (const [name, s] of Object.entries(services)) {
      expect(s.depends_on ? Object.keys(s.depends_on).sort() : [], name).toEqual(
        (waits[name] ?? []).sort(),
      );
      for (const [dep, how] of Object.entries((s.depends_on ?? {}) as Record<string, Obj>)) {
        expect(how, `${name} -> ${dep}`).toEqual({ condition: 'service_healthy' });
        expect(services[dep].healthcheck?.test?.[0], dep).toBe('CMD');
      }
    }
    // The image-based services answer on their own documented health paths.
    const probes = { prometheus: '/-/ready', alertmanager: '/-/ready', grafana: '/api/health' };
    for (const [name, path] of Object.entries(probes)) {
      const url = (services[name].healthcheck.test as string[]).at(-1)!;
      expect(url).toBe(`http://127.0.0.1:${portsOf(name)[0]}${path}`);
    }
  });

  it('runs the node health checks of the fake server and the alert receiver against them', async ({
    expect,
  }) => {
    const servers: [string, string, string][] = [
      ['fake-providers', 'examples/traffic/fake-server.mjs', 'FAKE_PROVIDERS_PORT'],
      ['alert-receiver', 'examples/traffic/alert-receiver.mjs', 'ALERT_RECEIVER_PORT'],
    ];
    for (const [name, file, portVar] of servers) {
      const port = String(await freePort());
      const vars = {
        ...env(name),
        [portVar]: port,
        [portVar.replace('PORT', 'HOST')]: '127.0.0.1',
      };
      const server = await node([file], vars, 'listening on');
      try {
        expect(healthcheck(name, vars), name).toBe(0);
      } finally {
        server.child.kill();
        await server.exited;
      }
      expect(healthcheck(name, vars), `${name} stopped`).toBe(1);
    }
  });

  it('holds no secret: keys and passwords come from .env, and .env.example names each variable', ({
    expect,
  }) => {
    const all = strings(compose);
    for (const s of all) {
      // a long random-looking token outside ${...}
      const bare = s.replace(/\$\{[^}]*\}/g, '');
      expect(bare, s).not.toMatch(
        /(?=[A-Za-z0-9+/=_]*\d)(?=[A-Za-z0-9+/=_]*[A-Za-z])[A-Za-z0-9+/=_]{16,}/,
      );
    }
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries((s.environment ?? {}) as Record<string, string>)) {
        if (k.endsWith('__FILE')) expect(v, `${name} ${k}`).toMatch(/^\/run\/secrets\/\w+$/);
        else if (/KEY|TOKEN|SECRET|PASSWORD|HEADERS/.test(k))
          expect(v, `${name} ${k}`).toMatch(/^[\w=%-]*\$\{\w+:\?[^}]+\}$/);
      }
    }
    const used = new Set([
      ...all.flatMap(variables),
      ...Object.values(compose.secrets as Record<string, Obj>).map((s) => s.environment as string),
    ]);
    expect([...used].filter((v) => !(v in envExample))).toEqual([]);
    // Left empty, so compose refuses to start until they are filled (each is ${VAR:?...}).
    for (const name of SECRETS) expect(envExample[name], name).toBe('');
    expect(text('.env.example')).toContain('openssl rand -hex 24');
  });

  it('agrees with prometheus.yml: the scrape target, the read key file, the rules, Alertmanager', ({
    expect,
  }) => {
    const job = (prometheus.scrape_configs as Obj[]).find((j) => j.job_name === 'costlens')!;
    expect(job.static_configs[0].targets).toEqual(['collector:4318']);
    for (const t of job.static_configs[0].targets) expect(reachable(t), t).toBe(true);
    const keyFile = job.authorization.credentials_file as string;
    const secret = (services.prometheus.secrets as Obj[]).find(
      (s) => `/run/secrets/${s.target}` === keyFile,
    );
    expect(secret, keyFile).toBeDefined();
    // The secret Prometheus reads is the read key the collector takes.
    const source = compose.secrets[secret!.source].environment;
    expect(variables(env('collector').COSTLENS_READ_KEYS)).toEqual([source]);
    for (const am of prometheus.alerting.alertmanagers as Obj[])
      for (const t of am.static_configs[0].targets) expect(reachable(t), t).toBe(true);
    for (const rules of prometheus.rule_files as string[]) {
      const file = repoPath('prometheus', posix.join('/etc/prometheus', rules));
      expect(file && existsSync(file), rules).toBe(true);
    }
    // The spike alert looks 4 weeks back: the data must be kept longer than that.
    const retention = (services.prometheus.command as string[]).find((c) =>
      c.includes('retention.time'),
    );
    expect(Number(/=(\d+)d$/.exec(retention!)?.[1])).toBeGreaterThanOrEqual(29);
  });

  it("agrees with Grafana's provisioning: datasource urls and uids, the read key, the plugin, the dashboards", ({
    expect,
  }) => {
    expect(repoPath('grafana', '/etc/grafana/provisioning')).toBe(
      join(ROOT, 'grafana/provisioning'),
    );
    const byUid = Object.fromEntries(datasources.map((d) => [d.uid, d]));
    expect(Object.keys(byUid).sort()).toEqual(['costlens-api', 'costlens-prometheus']);
    expect(byUid['costlens-prometheus']).toMatchObject({
      type: 'prometheus',
      url: 'http://prometheus:9090',
    });
    expect(byUid['costlens-api']).toMatchObject({
      type: 'yesoreyeram-infinity-datasource',
      url: 'http://collector:4318',
    });
    expect(byUid['costlens-prometheus'].jsonData.timeInterval).toBe(
      prometheus.global.scrape_interval,
    );
    const plugins = env('grafana').GF_PLUGINS_PREINSTALL_SYNC.split(',');
    for (const d of datasources) {
      expect(reachable(d.url), d.url).toBe(true);
      for (const v of strings(d).flatMap(variables))
        expect(env('grafana'), `${d.uid}: ${v}`).toHaveProperty([v]);
      if (d.type !== 'prometheus')
        expect(plugins).toContainEqual(
          expect.stringMatching(new RegExp(`^${d.type}@\\d+\\.\\d+\\.\\d+$`)),
        );
    }
    // Grafana and Prometheus send the same read key the collector accepts.
    expect(variables(env('grafana').COSTLENS_READ_KEY)).toEqual(
      variables(env('collector').COSTLENS_READ_KEYS),
    );
    for (const p of providers) {
      const dir = repoPath('grafana', p.options.path)!;
      const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
      expect(files.length, dir).toBeGreaterThanOrEqual(3);
      for (const f of files) {
        const dash = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Obj;
        for (const v of (dash.templating.list as Obj[]).filter((x) => x.type === 'datasource'))
          expect(byUid, `${f}: $${v.name}`).toHaveProperty([v.current.value]);
      }
    }
    expect(
      existsSync(repoPath('grafana', env('grafana').GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH)!),
    ).toBe(true);
    expect(services.grafana.secrets[0].target).toBe(
      env('grafana').GF_SECURITY_ADMIN_PASSWORD__FILE.replace('/run/secrets/', ''),
    );
  });

  it('agrees with alertmanager.yml: every webhook goes to a service of the stack', ({ expect }) => {
    const urls = (alertmanager.receivers as Obj[]).flatMap((r) =>
      (r.webhook_configs ?? []).map((w: Obj) => w.url),
    );
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(reachable(url), url).toBe(true);
  });

  it('gives the collector what it needs to start on 0.0.0.0: its config file and keys from .env', ({
    expect,
  }) => {
    const cmd = services.collector.command as string[];
    const file = repoPath('collector', cmd[cmd.indexOf('--config') + 1]!)!;
    const vars = { ...dockerfile().stages.at(-1)!.env, ...filled(env('collector')) };
    const config = loadConfig({ file, env: vars });
    expect(config).toMatchObject({ host: '0.0.0.0', port: 4318, db: '/data/costlens.db' });
    expect(() => checkExposure(config)).not.toThrow();
    const { COSTLENS_INGEST_KEYS: _, COSTLENS_READ_KEYS: __, ...noKeys } = vars;
    expect(() => checkExposure(loadConfig({ file, env: noKeys }))).toThrow(/without keys/);
    // The demo sends the same ingest key as an OTLP header to the collector.
    const demo = env('demo');
    expect(variables(demo.OTEL_EXPORTER_OTLP_HEADERS)).toEqual(
      variables(env('collector').COSTLENS_INGEST_KEYS),
    );
    expect(demo.OTEL_EXPORTER_OTLP_HEADERS).toMatch(/^Authorization=Bearer%20\$\{/);
    expect(reachable(demo.OTEL_EXPORTER_OTLP_ENDPOINT)).toBe(true);
    expect(reachable(demo.FAKE_PROVIDERS_URL)).toBe(true);
  });
});
