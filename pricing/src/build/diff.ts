import { pricesAt } from '../rates.js';
import type { CatalogueData, ModelEntry } from '../types.js';

export interface CatalogueDiff {
  added: string[];
  removed: string[];
  /** Models whose prices in force now changed, with the before and after. */
  repriced: { model: string; before: string; after: string }[];
}

const name = (m: ModelEntry) => `${m.provider} ${m.id}`;

function summary(m: ModelEntry, at: Date): string {
  const p = pricesAt(m, at);
  if (!p) return 'none';
  const parts: string[] = [];
  for (const k of ['input', 'output', 'cache_read', 'cache_write', 'cache_write_1h'] as const) {
    if (p[k] !== undefined) parts.push(`${k} ${p[k]}`);
  }
  if (p.tiers?.length) parts.push(`${p.tiers.length} tier(s)`);
  if (p.images?.length) parts.push(`${p.images.length} image price(s)`);
  if (p.video?.length) parts.push(`${p.video.length} video price(s)`);
  return parts.join(', ') || 'none';
}

export function diffCatalogues(
  before: CatalogueData,
  after: CatalogueData,
  at = new Date(),
): CatalogueDiff {
  const old = new Map(before.models.map((m) => [name(m), m]));
  const next = new Map(after.models.map((m) => [name(m), m]));
  const diff: CatalogueDiff = { added: [], removed: [], repriced: [] };
  for (const [n, m] of next) {
    const was = old.get(n);
    if (!was) diff.added.push(n);
    else if (JSON.stringify(pricesAt(was, at)) !== JSON.stringify(pricesAt(m, at))) {
      diff.repriced.push({ model: n, before: summary(was, at), after: summary(m, at) });
    }
  }
  for (const n of old.keys()) if (!next.has(n)) diff.removed.push(n);
  diff.added.sort();
  diff.removed.sort();
  diff.repriced.sort((a, b) => a.model.localeCompare(b.model));
  return diff;
}
