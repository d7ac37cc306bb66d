import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// docker-compose.yml and the Dockerfile read as data, for test/compose.test.ts and
// test/dockerfile.test.ts: no Docker engine runs on these machines.

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const text = (path: string) => readFileSync(join(ROOT, path), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML and JSON, checked by the tests' expectations.
export type Obj = Record<string, any>;

export const compose = parse(text('docker-compose.yml')) as Obj;
export const services = compose.services as Obj;

/** `./src:/target[:ro]` mounts; named volumes have no `./`. */
export const mounts = (service: string) =>
  ((services[service].volumes ?? []) as string[]).map((m) => {
    const [source = '', target = ''] = m.split(':');
    return { source, target, bind: source.startsWith('./') };
  });
/** The repository path a container path of `service` comes from (the longest mount above it). */
export function repoPath(service: string, containerPath: string): string | undefined {
  const m = mounts(service)
    .filter(
      (v) => v.bind && (containerPath === v.target || containerPath.startsWith(`${v.target}/`)),
    )
    .sort((a, b) => b.target.length - a.target.length)[0];
  return m && join(ROOT, m.source, containerPath.slice(m.target.length));
}
/** The ports a service listens on inside the network: published ones' container side, and `expose`. */
export const portsOf = (service: string) => [
  ...((services[service].ports ?? []) as string[]).map((p) => Number(p.split(':').at(-1))),
  ...((services[service].expose ?? []) as string[]).map(Number),
];
/** `host:port` (or a URL) names a service of the stack and a port it listens on. */
export function reachable(target: string): boolean {
  const { hostname, port } = new URL(target.includes('//') ? target : `http://${target}`);
  return hostname in services && portsOf(hostname).includes(Number(port));
}
export const env = (service: string): Obj => services[service].environment ?? {};
export const variables = (s: string) => [...s.matchAll(/\$\{(\w+)[^}]*\}/g)].map((m) => m[1]!);
export const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
/** The environment a container sees, each ${VAR} of .env filled with a fresh 48-character key. */
export const filled = (vars: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [
      k,
      v.replace(/\$\{(\w+)[^}]*\}/g, (_, n) => `${n.toLowerCase()}-0123456789abcdef0123456789`),
    ]),
  );

/** The exit code of a `node -e` health check (["CMD", "node", ...]), run here with `vars`. */
export function runCheck(test: string[], vars: Record<string, string>): number | null {
  const [cmd, program, ...args] = test;
  if (cmd !== 'CMD' || program !== 'node') return -1;
  return spawnSync(process.execPath, args, { env: { ...process.env, ...vars }, timeout: 10_000 })
    .status;
}
export const healthcheck = (service: string, vars: Record<string, string>) =>
  runCheck(services[service].healthcheck.test, vars);

export interface Stage {
  from: string;
  name?: string;
  /** [instruction, arguments] in order, continuation lines joined. */
  lines: [string, string][];
  env: Record<string, string>;
}

/** The Dockerfile's stages, with ARGs declared before the first FROM substituted. */
export function dockerfile(): { stages: Stage[] } {
  const lines = text('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const ins = l.trim().split(/\s/)[0]!;
      return [ins, l.trim().slice(ins.length).trim()] as [string, string];
    });
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const [ins, rest] of lines) {
    const sub = rest.replace(/\$\{(\w+)\}/g, (_, n) => args[n] ?? '');
    if (ins === 'ARG' && stages.length === 0) {
      const [k = '', v = ''] = rest.split('=');
      args[k] = v;
    } else if (ins === 'FROM') {
      const [from = '', , name] = sub.split(/\s+/);
      const parent = stages.find((s) => s.name === from);
      stages.push({ from, name, lines: [], env: { ...parent?.env } });
    } else {
      const stage = stages.at(-1)!;
      stage.lines.push([ins, sub]);
      if (ins === 'ENV')
        for (const kv of sub.split(/\s+/)) {
          const [k = '', v = ''] = kv.split('=');
          stage.env[k] = v;
        }
    }
  }
  return { stages };
}
export const json = (s: string | undefined) => JSON.parse(s ?? '[]') as string[];
export const runs = (stage: Stage) =>
  stage.lines.filter(([i]) => i === 'RUN').flatMap(([, r]) => r.split('&&').map((c) => c.trim()));

export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `node ARGS` from the repository root; resolves once its output contains `ready` (if given). */
export async function node(
  args: string[],
  env: Record<string, string>,
  ready?: string,
): Promise<Proc> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (ready !== undefined) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}`)), 20_000);
      child.stdout!.on('data', () => {
        if (out.includes(ready)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => reject(new Error(`${args[0]} exited ${code}: ${out}`)));
    });
  }
  return { child, output: () => out, exited };
}
