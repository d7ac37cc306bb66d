import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const run = runCli;

describe('costlens price', () => {
  it('prints the breakdown and total of a priced call', async () => {
    const r = await run(
      'price',
      '--provider',
      'openai',
      '--model',
      'gpt-4o-2024-08-06',
      '--input-tokens',
      '10000',
      '--cache-read-tokens',
      '8000',
      '--output-tokens',
      '500',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^openai gpt-4o-2024-08-06 {2}\(prices: \d{4}\.\d{2}\.\d{2}-[0-9a-f]{8}\)\n/,
    );
    expect(r.stdout).toContain('  input        $0.005000\n');
    expect(r.stdout).toContain('  cache read   $0.010000\n');
    expect(r.stdout).toContain('  output       $0.005000\n');
    expect(r.stdout).toContain('  total        $0.020000\n');
  });

  it('--json prints one object with cost_usd, breakdown, source, unpriced and reason', async () => {
    const r = await run(
      'price',
      '--provider',
      'gcp.gemini',
      '--model',
      'veo-3.1-generate-preview',
      '--video-seconds',
      '8',
      '--video-resolution',
      '1080p',
      '--video-audio',
      'true',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      unpriced: false,
      cost_usd: 3.2,
      breakdown: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, media: 3.2 },
      reason: null,
      model: { provider: 'gcp.gemini', id: 'veo-3.1-generate-preview' },
    });
    expect(out.source).toMatch(/^\d{4}\.\d{2}\.\d{2}-/);
  });

  it('exits 3 with a sentence for an unknown model, and null cost in JSON', async () => {
    const text = await run(
      'price',
      '--provider',
      'openai',
      '--model',
      'gpt-9-ultra',
      '--input-tokens',
      '10',
    );
    expect(text.code).toBe(3);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(
      /^unpriced: unknown model "gpt-9-ultra" for provider openai in catalogue .* \(tried gpt-9-ultra\); add it with a price override file\n$/,
    );
    const json = await run('price', '--provider', 'openai', '--model', 'gpt-9-ultra', '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({
      cost_usd: null,
      unpriced: true,
      breakdown: null,
    });
  });

  it.each([
    [['price', '--provider', 'openai'], '--model is required'],
    [
      ['price', '--model', 'gpt-4o', '--input-tokens', 'many'],
      '--input-tokens must be a whole number >= 0, got "many".',
    ],
    [
      ['price', '--model', 'gpt-4o', '--input-tokens', '-5'],
      '--input-tokens must be a whole number >= 0, got "-5".',
    ],
    [['price', '--model', 'gpt-4o', '--tokens', '5'], "price: Unknown option '--tokens'"],
    [
      ['price', '--model', 'veo-3.1-generate-preview', '--video-resolution', '8k'],
      '--video-resolution must be one of 720p, 1080p, 4k, got "8k".',
    ],
    [
      ['price', '--model', 'gpt-image-1', '--image-size', 'big'],
      '--image-size must be WIDTHxHEIGHT like 1024x1536, got "big".',
    ],
    [
      ['price', '--model', 'gpt-4o', '--video-audio', 'maybe'],
      '--video-audio must be true or false, got "maybe".',
    ],
    [['price', '--model', 'gpt-4o', '--at', 'yesterday'], '--at must be an ISO date'],
    [
      ['price', '--model', 'gpt-4o', '--input-tokens', '10', '--cache-read-tokens', '20'],
      'cache tokens (20) exceed input_tokens (10)',
    ],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('exits 2 on bad arguments: %j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('takes a price override file and says the source is override', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-'));
    const file = join(dir, 'prices.yaml');
    writeFileSync(file, 'discounts:\n  - provider: openai\n    multiplier: 0.5\n');
    const r = await run(
      'price',
      '--provider',
      'openai',
      '--model',
      'gpt-4o',
      '--input-tokens',
      '1000000',
      '--prices',
      file,
      '--json',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ cost_usd: 1.25, source: 'override' });
    writeFileSync(file, 'discounts:\n  - provider: openai\n    multiplyer: 0.5\n');
    const bad = await run('price', '--model', 'gpt-4o', '--prices', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `costlens: price file ${file}:3: unknown key "multiplyer" in discounts[0] (did you mean "multiplier"?)\n`,
    );
  });
});

describe('costlens pricing list', () => {
  it('lists the models a search finds', async () => {
    const r = await run(
      'pricing',
      'list',
      '--provider',
      'anthropic',
      '--search',
      'claude-sonnet-4-5',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^provider\s+model\s+mode\s+input\/1M\s+output\/1M\s+other prices\s+source$/,
    );
    expect(r.stdout).toMatch(
      /\nanthropic\s+claude-sonnet-4-5\s+chat\s+3\s+15\s+cache read 0.3; cache write 3.75; 1h write 6/,
    );
    expect(r.stdout).toMatch(/\n\d+ of \d+ models, catalogue /);
  });
});

describe('the costlens executable', () => {
  const bin = fileURLToPath(new URL('../bin/costlens.js', import.meta.url));
  const exec = promisify(execFile);

  it('exits with the command status', async () => {
    const ok = await exec(process.execPath, [
      bin,
      'price',
      '--model',
      'text-embedding-3-small',
      '--provider',
      'openai',
      '--input-tokens',
      '1000000',
    ]);
    expect(ok.stdout).toContain('total        $0.020000');
    const unpriced = await exec(process.execPath, [bin, 'price', '--model', 'nope-1']).catch(
      (e) => e,
    );
    expect(unpriced.code).toBe(3);
    expect(unpriced.stderr).toMatch(/^unpriced: unknown model "nope-1"/);
  });
});
