import type { Mode, ModelEntry, PriceSet } from '../types.js';

/** pricing/data/overlay.json: hand-kept prices, each row with where it comes from. */
export interface Overlay {
  as_of: string;
  usd_per_1000_neurons: number;
  anthropic_cache_multipliers: { cache_write: number; cache_write_1h: number; cache_read: number };
  rows: OverlayRow[];
  remove: { provider: string; id: string; why: string; checked: string }[];
}

export interface OverlayRow {
  providers: string[];
  id: string;
  mode: Mode;
  prices?: PriceSet;
  /** Cloudflare Workers AI bills neurons; converted at `usd_per_1000_neurons`. */
  neurons_per_mtok?: { input?: number; output?: number };
  reference: string;
  checked: string;
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

function rowPrices(row: OverlayRow, overlay: Overlay): PriceSet {
  const prices: PriceSet = { ...row.prices };
  const n = row.neurons_per_mtok;
  if (n) {
    const usd = overlay.usd_per_1000_neurons / 1000;
    if (n.input !== undefined) prices.input = round(n.input * usd);
    if (n.output !== undefined) prices.output = round(n.output * usd);
  }
  return prices;
}

/**
 * Lays the overlay over the merged sources: a row replaces the price kinds it
 * gives in every dated entry of the model (or adds the model), a `remove` row
 * takes a wrongly priced model out so it shows as unpriced (`id` "*": every model
 * of that provider).
 */
export function applyOverlay(models: ModelEntry[], overlay: Overlay): ModelEntry[] {
  // A removed model stays, without prices, so the reason reaches whoever asks for it.
  const removed = new Map(overlay.remove.map((r) => [`${r.provider}\u0000${r.id}`, r]));
  const out = models.map((m): ModelEntry => {
    const r = removed.get(`${m.provider}\u0000${m.id}`) ?? removed.get(`${m.provider}\u0000*`);
    if (!r) return m;
    return { ...m, prices: [], source: 'overlay', reference: `${r.why} (checked ${r.checked})` };
  });
  for (const row of overlay.rows) {
    const given = rowPrices(row, overlay);
    for (const provider of row.providers) {
      const i = out.findIndex((m) => m.provider === provider && m.id === row.id);
      const reference = `${row.reference} (checked ${row.checked})`;
      const existing = out[i];
      if (existing) {
        out[i] = {
          ...existing,
          mode: row.mode,
          prices: existing.prices.map((d) => ({ ...d, prices: { ...d.prices, ...given } })),
          source: 'overlay',
          reference,
        };
      } else {
        out.push({
          provider,
          id: row.id,
          mode: row.mode,
          prices: [{ prices: given }],
          source: 'overlay',
          reference,
        });
      }
    }
  }
  return out;
}

/** Anthropic's cache prices are fixed multiples of input: fill the ones a source left out. */
export function fillAnthropicCache(models: ModelEntry[], overlay: Overlay): ModelEntry[] {
  const k = overlay.anthropic_cache_multipliers;
  return models.map((m) => {
    if (m.provider !== 'anthropic') return m;
    const prices = m.prices.map((d) => {
      const p = d.prices;
      if (p.input === undefined) return d;
      const r = (x: number) => Math.round(x * 1e9) / 1e9;
      return {
        ...d,
        prices: {
          ...p,
          cache_write: p.cache_write ?? r(p.input * k.cache_write),
          cache_write_1h: p.cache_write_1h ?? r(p.input * k.cache_write_1h),
          cache_read: p.cache_read ?? r(p.input * k.cache_read),
        },
      };
    });
    return { ...m, prices };
  });
}
