import { describePrice, PRICE_KINDS } from '../describe.js';
import { pricesAt } from '../rates.js';
import type { CatalogueData, ModelEntry, PriceSet } from '../types.js';

export interface CatalogueDiff {
  added: string[];
  removed: string[];
  /** Models whose prices in force now changed: the kinds that changed, before and after. */
  repriced: { model: string; before: string; after: string }[];
}

const name = (m: ModelEntry) => `${m.provider} ${m.id}`;

/** Only the price kinds that changed, described as `costlens pricing list` shows them, before and after; null when none did. */
function changes(
  a: PriceSet | undefined,
  b: PriceSet | undefined,
): { before: string; after: string } | null {
  const before: string[] = [];
  const after: string[] = [];
  for (const k of PRICE_KINDS) {
    if (JSON.stringify(a?.[k]) === JSON.stringify(b?.[k])) continue;
    before.push(describePrice(a, k));
    after.push(describePrice(b, k));
  }
  return before.length ? { before: before.join('; '), after: after.join('; ') } : null;
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
    if (!was) {
      diff.added.push(n);
      continue;
    }
    const changed = changes(pricesAt(was, at), pricesAt(m, at));
    if (changed) diff.repriced.push({ model: n, ...changed });
  }
  for (const n of old.keys()) if (!next.has(n)) diff.removed.push(n);
  diff.added.sort();
  diff.removed.sort();
  diff.repriced.sort((a, b) => a.model.localeCompare(b.model));
  return diff;
}
