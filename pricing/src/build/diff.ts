import { pricesAt } from '../rates.js';
import type {
  CatalogueData,
  ImagePrice,
  ModelEntry,
  PriceSet,
  Tier,
  VideoPrice,
} from '../types.js';

export interface CatalogueDiff {
  added: string[];
  removed: string[];
  /** Models whose prices in force now changed: the kinds that changed, before and after. */
  repriced: { model: string; before: string; after: string }[];
}

const name = (m: ModelEntry) => `${m.provider} ${m.id}`;

function describe(key: string, v: unknown): string {
  if (v === undefined) return 'none';
  if (key === 'images' && Array.isArray(v)) {
    return (v as ImagePrice[])
      .map(
        (i) => `${[i.quality, i.size, i.resolution].filter(Boolean).join(' ') || 'each'} $${i.usd}`,
      )
      .join(', ');
  }
  if (key === 'video' && Array.isArray(v)) {
    return (v as VideoPrice[])
      .map(
        (x) =>
          `${[x.resolution, x.size, x.audio === undefined ? '' : x.audio ? 'audio' : 'silent'].filter(Boolean).join(' ') || 'any'} $${x.usd_per_second}/s`,
      )
      .join(', ');
  }
  if (key === 'tiers' && Array.isArray(v)) {
    return (v as Tier[]).map((t) => `>${t.above}: ${t.input ?? '-'}/${t.output ?? '-'}`).join(', ');
  }
  return String(v);
}

/** Only the price kinds that changed: `input 0.5, images ...` before and after. */
function changes(
  a: PriceSet | undefined,
  b: PriceSet | undefined,
): { before: string; after: string } {
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  const before: string[] = [];
  const after: string[] = [];
  for (const k of keys) {
    const x = (a as Record<string, unknown> | undefined)?.[k];
    const y = (b as Record<string, unknown> | undefined)?.[k];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    before.push(`${k} ${describe(k, x)}`);
    after.push(`${k} ${describe(k, y)}`);
  }
  return { before: before.join('; ') || 'none', after: after.join('; ') || 'none' };
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
      diff.repriced.push({ model: n, ...changes(pricesAt(was, at), pricesAt(m, at)) });
    }
  }
  for (const n of old.keys()) if (!next.has(n)) diff.removed.push(n);
  diff.added.sort();
  diff.removed.sort();
  diff.repriced.sort((a, b) => a.model.localeCompare(b.model));
  return diff;
}
