import { describe, expect, it } from 'vitest';
import { Catalogue } from '../src/catalogue.js';
import { usdToPusd } from '../src/money.js';
import { applyOverrides, OverrideFileError, parseOverrides } from '../src/overrides.js';
import type { CatalogueData } from '../src/types.js';

const data: CatalogueData = {
  version: '2026.01.01-test',
  date: '2026-01-01',
  sources: [],
  models: [
    {
      provider: 'openai',
      id: 'gpt-4o',
      mode: 'chat',
      source: 'litellm',
      prices: [{ prices: { input: 2.5, output: 10, cache_read: 1.25 } }],
    },
    {
      provider: 'anthropic',
      id: 'claude-sonnet-4-5',
      mode: 'chat',
      source: 'genai-prices',
      prices: [{ prices: { input: 3, output: 15 } }],
    },
  ],
};
const base = new Catalogue(data);

function errorOf(text: string, file = 'prices.yaml'): OverrideFileError {
  try {
    parseOverrides(text, file);
  } catch (err) {
    if (err instanceof OverrideFileError) return err;
    throw err;
  }
  throw new Error('expected an OverrideFileError');
}

describe('price override files', () => {
  it('adds a model the catalogue lacks (YAML)', () => {
    const o = parseOverrides(
      'models:\n  - provider: openai\n    model: ft:gpt-4o-mini:acme\n    input: 0.3\n    output: 1.2\n',
    );
    const c = applyOverrides(base, o);
    const r = c.price({
      provider: 'openai',
      model: 'ft:gpt-4o-mini:acme',
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
    });
    expect(r).toMatchObject({ unpriced: false, cost_pusd: usdToPusd(1.5), source: 'override' });
  });

  it('replaces one price of a known model and keeps the others (JSON)', () => {
    const o = parseOverrides(
      '{"models":[{"provider":"openai","model":"gpt-4o","output":8}]}',
      'p.json',
    );
    const r = applyOverrides(base, o).price({
      provider: 'openai',
      model: 'gpt-4o',
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
    });
    expect(r).toMatchObject({
      cost_pusd: usdToPusd(10.5),
      breakdown_pusd: { input: usdToPusd(2.5), output: usdToPusd(8) },
      source: 'override',
    });
  });

  it('applies a discount multiplier per provider and per model', () => {
    const o = parseOverrides(
      'discounts:\n  - provider: openai\n    multiplier: 0.8\n  - provider: anthropic\n    model: claude-sonnet-4-5\n    multiplier: 0.5\n',
    );
    const c = applyOverrides(base, o);
    expect(
      c.price({ provider: 'openai', model: 'gpt-4o-2024-08-06', input_tokens: 1_000_000 }),
    ).toMatchObject({ cost_pusd: usdToPusd(2), source: 'override' });
    expect(
      c.price({ provider: 'anthropic', model: 'claude-sonnet-4-5', output_tokens: 1_000_000 }),
    ).toMatchObject({ cost_pusd: usdToPusd(7.5) });
    // The base catalogue is unchanged.
    expect(
      base.price({ provider: 'openai', model: 'gpt-4o', input_tokens: 1_000_000 }),
    ).toMatchObject({ cost_pusd: usdToPusd(2.5) });
  });

  it('prices that start on a date leave earlier calls alone', () => {
    const o = parseOverrides(
      'models:\n  - provider: openai\n    model: gpt-4o\n    from: 2026-06-01\n    input: 2\n',
    );
    const c = applyOverrides(base, o);
    const at = (d: string) =>
      c.price({ provider: 'openai', model: 'gpt-4o', input_tokens: 1_000_000, at: d }).cost_pusd;
    expect(at('2026-05-31T23:59:59Z')).toBe(usdToPusd(2.5));
    expect(at('2026-06-01T00:00:00Z')).toBe(usdToPusd(2));
  });

  it('names the line and the key of a typo, with the key it meant', () => {
    const e = errorOf('models:\n  - provider: openai\n    model: gpt-4o\n    ouput: 8\n');
    expect(e.line).toBe(4);
    expect(e.key).toBe('ouput');
    expect(e.message).toBe(
      'prices.yaml:4: unknown key "ouput" in models[0] (did you mean "output"?)',
    );
  });

  it('names the line of a value of the wrong type', () => {
    const e = errorOf(
      '{\n  "models": [\n    {"provider": "openai", "model": "x",\n     "input": "cheap"}\n  ]\n}',
      'p.json',
    );
    expect(e.message).toBe(
      'p.json:4: models[0].input must be a number >= 0 (USD per 1M tokens), got "cheap"',
    );
  });

  it('refuses malformed files, unknown top-level keys and missing fields', () => {
    expect(errorOf('{"models": [}', 'p.json').message).toMatch(
      /^p\.json:1: not valid JSON or YAML/,
    );
    expect(errorOf('model:\n  - provider: openai\n').message).toBe(
      'prices.yaml:1: unknown key "model" in the file (did you mean "models"?)',
    );
    expect(errorOf('discounts:\n  - provider: openai\n').message).toBe(
      'prices.yaml:2: discounts[0] needs a multiplier (0.8 = 20% off)',
    );
    expect(
      errorOf('models:\n  - provider: openai\n    model: m\n    images:\n      - size: 1024x1024\n')
        .message,
    ).toBe('prices.yaml:5: models[0].images[0] needs "usd" (USD per image)');
  });

  it('an empty file overrides nothing', () => {
    expect(parseOverrides('')).toEqual({ models: [], discounts: [] });
  });
});
