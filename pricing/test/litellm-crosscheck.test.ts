import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/catalogue.js';
import { pusdToUsd } from '../src/money.js';

// For every token-priced chat model the catalogue took from LiteLLM, our price
// equals LiteLLM's own formula for the same usage:
//   (prompt - cached - created) * input + cached * cache_read (input when absent)
//   + created * cache_creation (input when absent) + completion * output
const LITELLM = new URL('../sources/litellm_model_prices.json', import.meta.url);
const raw = JSON.parse(readFileSync(LITELLM, 'utf8')) as Record<string, Record<string, unknown>>;
const catalogue = loadCatalogue();

const USAGE = { prompt: 10_000, cached: 2_000, created: 1_000, completion: 500 };

function litellmFormula(e: Record<string, unknown>): number {
  const n = (k: string) => (typeof e[k] === 'number' ? (e[k] as number) : undefined);
  const input = n('input_cost_per_token')!;
  const { prompt, cached, created, completion } = USAGE;
  return (
    (prompt - cached - created) * input +
    cached * (n('cache_read_input_token_cost') ?? input) +
    created * (n('cache_creation_input_token_cost') ?? input) +
    completion * n('output_cost_per_token')!
  );
}

describe('cross-check with LiteLLM', () => {
  const fromLitellm = catalogue.data.models.filter(
    (m) => m.source === 'litellm' && m.mode === 'chat' && m.source_key !== undefined,
  );

  it('the catalogue took many chat models from LiteLLM, each traceable to its key', () => {
    expect(fromLitellm.length).toBeGreaterThan(1000);
    for (const m of fromLitellm) expect(raw[m.source_key!], m.source_key).toBeDefined();
  });

  it('prices every one of them as LiteLLM would', () => {
    let checked = 0;
    const wrong: string[] = [];
    for (const m of fromLitellm) {
      const e = raw[m.source_key!]!;
      if (typeof e.input_cost_per_token !== 'number' || typeof e.output_cost_per_token !== 'number')
        continue;
      const ours = catalogue.price({
        provider: m.provider,
        model: m.id,
        input_tokens: USAGE.prompt,
        cache_read_tokens: USAGE.cached,
        cache_write_tokens: USAGE.created,
        output_tokens: USAGE.completion,
      });
      const theirs = litellmFormula(e);
      if (ours.unpriced || Math.abs(pusdToUsd(ours.cost_pusd) - theirs) > 1e-12) {
        const shown = ours.unpriced ? ours.reason : pusdToUsd(ours.cost_pusd);
        wrong.push(`${m.provider} ${m.id}: ours ${shown}, LiteLLM ${theirs}`);
      }
      checked++;
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });
});
