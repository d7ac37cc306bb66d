import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, it } from 'vitest';
import { freePort } from './collector-process.js';
import {
  dockerfile,
  env,
  filled,
  healthcheck,
  json,
  ROOT,
  runCheck,
  runs,
  type Stage,
  services,
  text,
} from './compose-files.js';

// The Dockerfile, read as a file (no Docker engine runs here), and its runtime stage's
// files run as the image would run them. hadolint cannot be installed on these machines
// (no Debian package; its npm wrapper downloads a binary from outside the registries), so
// the Dockerfile is linted by dockerfile-utils, the Docker language server's validator.

describe('Dockerfile', () => {
  it('passes the Dockerfile linter with no warning, and the linter does catch mistakes', ({
    expect,
  }) => {
    const messages = (text: string) => validate(text).map((d) => d.message);
    expect(messages(text('Dockerfile'))).toEqual([]);
    const broken = 'FROM node:24\nMAINTAINER x\nHEALTHCHECK CMD a\nHEALTHCHECK CMD b\n';
    expect(messages(broken)).toHaveLength(2);
  });

  const { stages } = dockerfile();
  const runtime = stages.at(-1)!;
  const build = stages.find((s) => s.name === 'build')!;
  const one = (stage: Stage, ins: string) =>
    stage.lines.filter(([i]) => i === ins).map(([, a]) => a);

  it("builds with the README's install steps (scripts/install.sh) and pins its Node 24 base images", ({
    expect,
  }) => {
    const install = text('scripts/install.sh')
      .split('\n')
      .filter((l) => l.startsWith('npm '));
    expect(install).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(runs(build)).toEqual(install);
    // Every workspace's manifest is in place before npm ci, which needs them all.
    const copied = one(build, 'COPY');
    const ci = build.lines.findIndex(([i, a]) => i === 'RUN' && a.startsWith('npm ci'));
    for (const ws of JSON.parse(text('package.json')).workspaces as string[]) {
      const at = build.lines.findIndex(
        ([i, a]) => i === 'COPY' && a === `${ws}/package.json ${ws}/`,
      );
      expect(at, ws).toBeGreaterThanOrEqual(0);
      expect(at, ws).toBeLessThan(ci);
    }
    expect(copied).toContain('. .');
    const bases = stages.map((s) => s.from).filter((f) => !stages.some((s) => s.name === f));
    expect(bases).toEqual([
      expect.stringMatching(/^node:24\.\d+\.\d+-\w+$/),
      expect.stringMatching(/^node:24\.\d+\.\d+-\w+-slim$/),
    ]);
    expect(runtime.from).toMatch(/-slim$/);
    // The compose file's demo services are a stage of this file, with the SDKs.
    const demo = stages.find((s) => s.name === 'demo')!;
    expect(demo.from).toBe('build');
    expect(json(one(demo, 'CMD')[0])).toEqual([
      'node',
      '--import',
      '@costlens/instrumentation/register',
      'examples/traffic/app.mjs',
    ]);
  });

  it('runs the collector as a non-root user, on 0.0.0.0:4318, with a health check and its database on /data', ({
    expect,
  }) => {
    for (const s of [runtime, stages.find((x) => x.name === 'demo')!]) {
      const user = one(s, 'USER').at(-1);
      expect(user).toBeDefined();
      expect(user).not.toMatch(/^(root|0)(:|$)/);
    }
    expect(runtime.env).toMatchObject({
      COSTLENS_HOST: '0.0.0.0',
      COSTLENS_PORT: '4318',
      COSTLENS_DB: '/data/costlens.db',
    });
    expect(one(runtime, 'EXPOSE')).toEqual(['4318']);
    expect(json(one(runtime, 'VOLUME')[0])).toEqual(['/data']);
    expect(json(one(runtime, 'ENTRYPOINT')[0])).toEqual(['node', '/app/collector/bin/costlens.js']);
    expect(json(one(runtime, 'CMD')[0])).toEqual(['start']);
    expect((services.collector.command as string[])[0]).toBe('start');
    const check = one(runtime, 'HEALTHCHECK')[0];
    expect(check).toMatch(/CMD \["node", "-e", ".*\/(readyz|healthz)/);
  });

  it('copies into the runtime stage all `costlens start` needs: it serves and its health checks pass', async ({
    expect,
  }) => {
    // The runtime stage's files, from this checkout (dist/ built by tsc -b), with the
    // production packages only (what `npm prune --omit=dev` keeps, as `npm ls` lists them).
    const app = mkdtempSync(join(tmpdir(), 'costlens-image-'));
    for (const [, a] of runtime.lines.filter(
      ([i, x]) => i === 'COPY' && x.startsWith('--from=prod-deps'),
    )) {
      const [, src = '', dest = ''] = a.split(/\s+/);
      if (src === '/app/node_modules') continue;
      const from = join(ROOT, src.replace(/^\/app\//, ''));
      // A folder's contents go into dest; a file into dest/ keeps its name.
      const to = statSync(from).isFile() && dest.endsWith('/') ? join(dest, basename(from)) : dest;
      mkdirSync(dirname(join(app, to)), { recursive: true });
      cpSync(from, join(app, to), { recursive: true });
    }
    const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const top = new Set(
      ls.stdout
        .split('\n')
        .flatMap(
          (p) =>
            /^\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p.slice(ROOT.length - 1))?.slice(1) ?? [],
        ),
    );
    expect(top.has('express') && !top.has('vitest') && !top.has('openai')).toBe(true);
    for (const name of top) {
      if (name.startsWith('@costlens/')) continue;
      mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
    }
    mkdirSync(join(app, 'node_modules/@costlens'), { recursive: true });
    for (const ws of ['pricing', 'collector'])
      symlinkSync(`../../${ws}`, join(app, 'node_modules/@costlens', ws));

    const port = String(await freePort());
    // The image's environment, but on loopback: no test listens on other addresses.
    const vars = {
      ...runtime.env,
      ...filled(env('collector')),
      COSTLENS_HOST: '127.0.0.1',
      COSTLENS_PORT: port,
      COSTLENS_DB: join(app, 'data/costlens.db'),
    };
    const [, entry = ''] = json(one(runtime, 'ENTRYPOINT')[0]);
    const child = spawn(
      process.execPath,
      [join(app, entry.replace(/^\/app\//, '')), ...json(one(runtime, 'CMD')[0])],
      {
        cwd: app,
        env: { ...process.env, ...vars },
      },
    );
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('listening on')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const imageCheck = json((one(runtime, 'HEALTHCHECK')[0] ?? '').replace(/^.*?CMD /, ''));
      expect(runCheck(['CMD', ...imageCheck], vars)).toBe(0);
      expect(healthcheck('collector', vars)).toBe(0);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/assets/vendor/uPlot.iife.min.js`)).status).toBe(
        200,
      );
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(healthcheck('collector', vars)).toBe(1);
  });

  it('leaves installed packages, builds, data, local Node, test output, git and .env out of the build', ({
    expect,
  }) => {
    const rules = text('.dockerignore')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => {
        const glob = l.replace(/^!/, '');
        const re = glob
          .replace(/[.+^$()|[\]]/g, '\\$&')
          .replace(/\*\*\//g, '(.*/)?')
          .replace(/\*/g, '[^/]*');
        return { keep: l.startsWith('!'), re: new RegExp(`^${re}(/.*)?$`) };
      });
    const ignored = (path: string) =>
      rules.reduce((out, r) => (r.re.test(path) ? !r.keep : out), false);
    for (const p of [
      'node_modules/x',
      'collector/node_modules/x',
      'collector/dist/index.js',
      'pricing/tsconfig.tsbuildinfo',
      '.tools/node24',
      'data/costlens.db',
      'test/artifacts/a.txt',
      '.git/HEAD',
      '.env',
      '.env.local',
    ])
      expect(ignored(p), p).toBe(true);
    for (const p of [
      'package.json',
      'package-lock.json',
      'collector/page/index.html',
      'pricing/data/catalogue.json',
      'examples/traffic/app.mjs',
      'examples/all-providers/fake-providers.mjs',
      '.env.example',
    ])
      expect(ignored(p), p).toBe(false);
  });
});
