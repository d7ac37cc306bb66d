import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARDS } from './index.js';

/** The repository root, where biome.json is (this file runs from src/ or dist/src/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'biome.json'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error('biome.json not found above grafana/: run this inside the repository');
    dir = up;
  }
  return dir;
}

/**
 * The dashboard as plain JSON with panel ids 1, 2, 3... in grid order. Ids are
 * given here rather than left to Grafana so a file is the same each time it is made.
 */
export function dashboardJson(build: () => { build(): Dashboard }): Dashboard {
  const dashboard = JSON.parse(JSON.stringify(build().build())) as Dashboard;
  let id = 0;
  for (const panel of dashboard.panels ?? []) {
    panel.id = ++id;
    for (const inner of 'panels' in panel ? (panel.panels ?? []) : []) inner.id = ++id;
  }
  return dashboard;
}

/** Formats JSON as biome formats the repository's files, so `biome check` accepts them. */
function formatted(json: unknown, file: string): string {
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  const r = spawnSync(process.execPath, [biome, 'format', `--stdin-file-path=${file}`], {
    cwd: repositoryRoot(),
    input: JSON.stringify(json),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`biome could not format ${file}: ${r.stderr}`);
  return r.stdout;
}

/** Each dashboard's file name and the text the file must hold. */
export function renderDashboards(): { file: string; text: string }[] {
  return DASHBOARDS.map(({ file, build }) => ({
    file,
    text: formatted(dashboardJson(build), `grafana/dashboards/${file}`),
  }));
}
