import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseBudgets, SCOPE_KEYS } from '../src/budgets/config.js';
import { DB_HELP } from '../src/cli/db.js';
import { EXPORT_HELP } from '../src/cli/export.js';
import { RECOMPUTE_HELP } from '../src/cli/recompute.js';
import { START_HELP } from '../src/cli/start.js';
import { checkExposure, DEFAULT_CONFIG, loadConfig } from '../src/service/config.js';
import { EXAMPLE_CONFIG, renderConfigDoc } from '../src/service/config-doc.js';
import { SETTINGS, type Setting } from '../src/service/settings.js';
import { runCli } from './run-cli.js';

const fail = (m: string): never => {
  throw new Error(m);
};

/** Every setting path loadConfig and parseBudgets know, found from their defaults and messages. */
function pathsOfTheCode(): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
    const group =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0;
    if (group) for (const sub of Object.keys(value)) paths.push(`${key}.${sub}`);
    else paths.push(key);
  }
  // A budget's fields: those it is parsed into (scope spread out) and those parseBudgets names as known.
  const parsed = parseBudgets([{ name: 'b', limit_usd: 1 }], 'budgets', fail)[0]!;
  const fields = Object.keys(parsed).flatMap((k) => (k === 'scope' ? [...SCOPE_KEYS] : [k]));
  let known: string[] = [];
  try {
    parseBudgets([{ name: 'b', limit_usd: 1, no_such_field: 1 }], 'budgets', fail);
  } catch (err) {
    known = /\(known: (.*)\)/.exec((err as Error).message)![1]!.split(', ');
  }
  expect(new Set(known)).toEqual(new Set(fields));
  for (const f of fields) paths.push(`budgets[].${f}`);
  return paths;
}

/** `{ limits: { tokens_per_call: v } }` for `limits.tokens_per_call`, to pass as loadConfig's flags. */
function at(path: string, v: unknown): Record<string, unknown> {
  const [top, sub] = path.split('.') as [string, string | undefined];
  return sub === undefined ? { [top]: v } : { [top]: { [sub]: v } };
}

const accepts = (s: Setting, v: unknown) => {
  const flags = s.kind === 'caps' ? { [s.path]: { model: v } } : at(s.path, v);
  expect(() => loadConfig({ flags }), `${s.path}: ${v}`).not.toThrow();
};
/** Refused, naming the setting (a flag spells it with dashes) and, for whole numbers, its bounds. */
const refuses = (s: Setting, v: unknown) => {
  const flags = s.kind === 'caps' ? { [s.path]: { model: v } } : at(s.path, v);
  const name = s.path.split('.').at(-1)!.replaceAll('_', '[-_]');
  const bounds = s.max === undefined ? '' : `.* from 1 to ${s.max}`;
  expect(() => loadConfig({ flags }), `${s.path}: ${v}`).toThrow(new RegExp(name + bounds));
};

describe('docs/configuration.md', () => {
  it('describes every setting the code has, and no other', () => {
    expect(SETTINGS.map((s) => s.path).sort()).toEqual(
      [...pathsOfTheCode(), 'budgets'].filter((p, i, all) => all.indexOf(p) === i).sort(),
    );
  });

  it('is the text the settings generate (npm run docs:config writes it again)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed, 'docs/configuration.md is out of date: run npm run docs:config').toBe(
      renderConfigDoc(),
    );
  });

  it('gives the bounds loadConfig enforces', () => {
    for (const s of SETTINGS) {
      if (s.kind === 'whole' || s.kind === 'caps') {
        const max = s.max!;
        accepts(s, 1);
        accepts(s, max);
        refuses(s, 0);
        refuses(s, 1.5);
        refuses(s, max < Number.MAX_SAFE_INTEGER ? max + 1 : 2 ** 53 + 2);
      } else if (s.kind === 'positive') {
        accepts(s, 0.5);
        refuses(s, 0);
        refuses(s, -1);
        refuses(s, Number.NaN);
      } else if (s.kind === 'boolean') {
        accepts(s, true);
        refuses(s, 'yes');
      }
    }
  });

  it('names exactly the environment variables loadConfig reads, each setting its setting', () => {
    const read = new Set<string>();
    const spy = new Proxy({} as Record<string, string | undefined>, {
      get: (_, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig({ env: spy });
    const documented = SETTINGS.flatMap((s) => (s.env === undefined ? [] : [s.env]));
    expect(new Set(documented)).toEqual(read);

    const key = 'k'.repeat(16);
    for (const s of SETTINGS.filter((x) => x.env !== undefined)) {
      const value = s.kind === 'whole' ? '7' : s.kind === 'keys' ? `${key},${key}x` : 'set-by-env';
      const expected =
        s.kind === 'whole' ? 7 : s.kind === 'keys' ? [{ key }, { key: `${key}x` }] : 'set-by-env';
      const c = loadConfig({ env: { [s.env!]: value } });
      const got = s.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c);
      expect(got, s.env).toEqual(expected);
    }
  });

  it("names the flags the commands take, and start's exactly", () => {
    const helps: Record<string, string> = {
      start: START_HELP,
      recompute: RECOMPUTE_HELP,
      export: EXPORT_HELP,
      db: DB_HELP,
    };
    for (const s of SETTINGS) {
      for (const command of s.flag?.commands ?? []) {
        expect(helps[command], `${command} ${s.flag!.name}`).toMatch(`${s.flag!.name} `);
      }
    }
    const usage = START_HELP.split('\n').find((l) => l.startsWith('Usage:'))!;
    const startFlags = SETTINGS.filter((s) => s.flag?.commands.includes('start')).map(
      (s) => s.flag!.name,
    );
    expect(usage.match(/--[a-z-]+/g)!.sort()).toEqual(['--config', ...startFlags].sort());
  });

  it('a flag of costlens start sets its setting (a bad value is refused naming the flag)', async () => {
    for (const s of SETTINGS.filter((x) => x.flag?.commands.includes('start'))) {
      const r = await runCli('start', s.flag!.name, s.kind === 'whole' ? '0' : ' ');
      expect(r.code, s.flag!.name).toBe(2);
      expect(r.stderr).toMatch(`costlens: start: ${s.flag!.name} must be`);
    }
  });

  it('says which budget fields are required: a budget without one is refused', () => {
    for (const s of SETTINGS.filter((x) => x.defaultText === 'required')) {
      const field = s.path.replace('budgets[].', '');
      const budget: Record<string, unknown> = { name: 'b', limit_usd: 1 };
      delete budget[field];
      expect(() => parseBudgets([budget], 'budgets', fail), field).toThrow(field);
    }
  });

  it('its example costlens.yaml is valid and sets every setting', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'costlens-doc-')), 'costlens.yaml');
    writeFileSync(file, EXAMPLE_CONFIG);
    const c = loadConfig({ file });
    expect(() => checkExposure(c)).not.toThrow();
    expect(c.budgets.map((b) => b.notify.length)).toEqual([1, 1, 1]);
    const raw = parseYaml(EXAMPLE_CONFIG) as Record<string, unknown>;
    const budgets = raw.budgets as Record<string, unknown>[];
    for (const s of SETTINGS) {
      const present = s.path.startsWith('budgets[].')
        ? budgets.some((b) => Object.hasOwn(b, s.path.slice('budgets[].'.length)))
        : s.path
            .split('.')
            .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], raw) !==
          undefined;
      expect(present, s.path).toBe(true);
    }
  });
});
