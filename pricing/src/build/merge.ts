import type { ModelEntry, PriceSet } from '../types.js';

const key = (m: ModelEntry) => `${m.provider}\u0000${m.id}`;

/**
 * One entry per (provider, id). genai-prices wins where both sources have a
 * model (it keeps dated price changes and curated aliases); LiteLLM fills the
 * models genai-prices lacks, and the image/video prices genai-prices has none of.
 */
export function mergeSources(genaiPrices: ModelEntry[], litellm: ModelEntry[]): ModelEntry[] {
  const byKey = new Map<string, ModelEntry>();
  for (const m of genaiPrices) if (!byKey.has(key(m))) byKey.set(key(m), m);
  for (const m of litellm) {
    const have = byKey.get(key(m));
    if (!have) {
      byKey.set(key(m), m);
      continue;
    }
    const media = m.prices[0]?.prices;
    if (!media || (!media.images && !media.video)) continue;
    const add: PriceSet = {
      ...(media.images ? { images: media.images } : {}),
      ...(media.video ? { video: media.video } : {}),
    };
    byKey.set(key(m), {
      ...have,
      // genai-prices does not say what a model makes; LiteLLM's image/video mode does.
      mode: m.mode === 'image' || m.mode === 'video' ? m.mode : have.mode,
      prices: have.prices.map((d) => ({ ...d, prices: { ...add, ...d.prices } })),
    });
  }
  // An alias another entry already uses as its id would shadow nothing (ids win),
  // so drop it to keep the catalogue honest about what matches what.
  const ids = new Set([...byKey.values()].map(key));
  return [...byKey.values()].map((m) => {
    if (!m.aliases) return m;
    const aliases = m.aliases.filter((a) => !ids.has(`${m.provider}\u0000${a}`) && a !== m.id);
    if (aliases.length === m.aliases.length) return m;
    const { aliases: _, ...rest } = m;
    return aliases.length ? { ...rest, aliases } : rest;
  });
}
