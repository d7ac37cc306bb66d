import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const SOURCES = fileURLToPath(new URL('../../pricing/sources/', import.meta.url));
const BUNDLED = fileURLToPath(new URL('../../pricing/data/catalogue.json', import.meta.url));

const run = runCli;

describe('costlens pricing update', () => {
  let dir: string;
  let litellm: Record<string, unknown>;
  const genai = join(SOURCES, 'genai_prices_v2_data.json');
  const args = (lite: string, out: string) => [
    'pricing',
    'update',
    '--litellm',
    lite,
    '--litellm-as-of',
    '2026-07-24',
    '--genai-prices',
    genai,
    '--genai-prices-as-of',
    '2026-08-21',
    '--out',
    out,
  ];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'costlens-update-'));
    litellm = JSON.parse(readFileSync(join(SOURCES, 'litellm_model_prices.json'), 'utf8'));
  });

  it('rebuilds the committed catalogue byte for byte from the sources in pricing/sources', async () => {
    const out = join(dir, 'same.json');
    const r = await run(...args(join(SOURCES, 'litellm_model_prices.json'), out));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^catalogue \S+: \d+ models \(new\)\n/);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(BUNDLED, 'utf8'));
  });

  it('prints what a newer source added, removed and repriced', async () => {
    const out = join(dir, 'changed.json');
    copyFileSync(BUNDLED, out);
    const next = structuredClone(litellm) as Record<string, Record<string, unknown>>;
    next['acme-chat-1'] = {
      litellm_provider: 'openai',
      mode: 'chat',
      input_cost_per_token: 1e-6,
      output_cost_per_token: 2e-6,
    };
    delete next['gpt-4o-mini-2024-07-18'];
    next['gpt-3.5-turbo-0125'] = { ...next['gpt-3.5-turbo-0125'], input_cost_per_token: 9e-7 };
    const file = join(dir, 'litellm-next.json');
    writeFileSync(file, JSON.stringify(next));
    const r = await run(...args(file, out));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 1 added, 1 removed, 1 repriced \(/);
    expect(r.stdout).toContain('  + openai acme-chat-1\n');
    expect(r.stdout).toContain('  - openai gpt-4o-mini-2024-07-18\n');
    expect(r.stdout).toContain('  ~ openai gpt-3.5-turbo-0125: input 0.5 -> input 0.9\n');
    expect(
      JSON.parse(readFileSync(out, 'utf8')).models.some(
        (m: { id: string }) => m.id === 'acme-chat-1',
      ),
    ).toBe(true);
  });

  it('refuses a rebuild that loses more than 30% of the models and writes nothing', async () => {
    const out = join(dir, 'kept.json');
    copyFileSync(BUNDLED, out);
    const half = Object.fromEntries(Object.entries(litellm).slice(0, 800));
    const file = join(dir, 'litellm-half.json');
    writeFileSync(file, JSON.stringify(half));
    const r = await run('pricing', 'update', '--litellm', file, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^pricing update: refused: the new sources lose \d+ of \d+ models \(\d+%, more than 30%\); check the files, or pass --force if that is intended\. Nothing was written\.\n$/,
    );
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(BUNDLED, 'utf8'));
  });

  it('says which file is not JSON, or not the right shape', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"gpt-4o": ');
    const out = join(dir, 'never.json');
    const notJson = await run('pricing', 'update', '--litellm', bad, '--out', out);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^costlens: --litellm: .*bad\.json is not valid JSON/);
    writeFileSync(bad, '[1, 2, 3]');
    const shape = await run('pricing', 'update', '--litellm', bad, '--out', out);
    expect(shape.code).toBe(1);
    expect(shape.stderr).toMatch(/^pricing update: the new sources are not usable: LiteLLM/);
    expect(existsSync(out)).toBe(false);
    const missing = await run('pricing', 'update', '--out', out);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--litellm FILE is required');
  });
});
