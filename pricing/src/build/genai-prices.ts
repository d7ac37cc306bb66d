import type { DatedPrices, Mode, ModelEntry, PriceSet, Tier } from '../types.js';
import {
  type ConvertResult,
  isPrice,
  isRecord,
  providerFromGenaiPrices,
  SourceFormatError,
} from './providers.js';

const KINDS = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cache_read',
  cache_write_mtok: 'cache_write',
  cache_write_1h_mtok: 'cache_write_1h',
  output_reasoning_mtok: 'reasoning',
  output_image_mtok: 'output_image',
} as const;

/** A price is a number, or `{ base, tiers: [{ start, price }] }`: once input passes `start`, every token is billed at `price`. */
function priceSet(raw: Record<string, unknown>): PriceSet {
  const p: PriceSet = {};
  const tiers = new Map<number, Tier>();
  for (const [field, kind] of Object.entries(KINDS)) {
    const v = raw[field];
    if (isPrice(v)) {
      p[kind] = v;
    } else if (isRecord(v) && isPrice(v.base)) {
      p[kind] = v.base;
      for (const t of Array.isArray(v.tiers) ? v.tiers : []) {
        if (!isRecord(t) || typeof t.start !== 'number' || !isPrice(t.price)) continue;
        const tier = tiers.get(t.start) ?? { above: t.start };
        tiers.set(t.start, tier);
        tier[kind] = t.price;
      }
    }
  }
  if (tiers.size) p.tiers = [...tiers.values()].sort((a, b) => a.above - b.above);
  return p;
}

const hhmm = (t: unknown) => (typeof t === 'string' ? t.slice(0, 5) : undefined);

function datedPrices(raw: unknown, where: string): DatedPrices[] {
  if (isRecord(raw)) return [{ prices: priceSet(raw) }];
  if (!Array.isArray(raw)) throw new SourceFormatError(`genai-prices data: ${where} has no prices`);
  return raw.map((entry, i) => {
    if (!isRecord(entry) || !isRecord(entry.prices)) {
      throw new SourceFormatError(`genai-prices data: ${where} price #${i} has no "prices" object`);
    }
    const out: DatedPrices = { prices: priceSet(entry.prices) };
    const c = entry.constraint;
    if (isRecord(c)) {
      if (typeof c.start_date === 'string') out.from = c.start_date;
      const start = hhmm(c.start_time);
      const end = hhmm(c.end_time);
      if (start && end) out.daily = { start, end };
    }
    return out;
  });
}

/** `equals` and `starts_with` names, through `or`; looser rules are never used to match. */
function aliasesOf(match: unknown, out: Set<string>): Set<string> {
  if (!isRecord(match)) return out;
  for (const k of ['equals', 'starts_with'] as const) {
    if (typeof match[k] === 'string') out.add(match[k].trim().toLowerCase());
  }
  if (Array.isArray(match.or)) for (const m of match.or) aliasesOf(m, out);
  return out;
}

const hasAny = (d: DatedPrices[]) =>
  d.some((x) => Object.values(x.prices).some((v) => typeof v === 'number'));

function modeOf(id: string, name: unknown): Mode {
  const text = `${id} ${typeof name === 'string' ? name : ''}`.toLowerCase();
  return text.includes('embed') ? 'embedding' : 'chat';
}

/** genai-prices' data.json (a list of providers with their models) -> catalogue entries. */
export function convertGenaiPrices(raw: unknown): ConvertResult {
  if (!Array.isArray(raw)) {
    throw new SourceFormatError(
      `genai-prices data: expected a JSON list of providers, got ${raw === null ? 'null' : typeof raw}`,
    );
  }
  const models: ModelEntry[] = [];
  const skipped: ConvertResult['skipped'] = [];
  const seen = new Set<string>();
  raw.forEach((p, i) => {
    if (!isRecord(p) || typeof p.id !== 'string')
      throw new SourceFormatError(`genai-prices data: provider #${i} has no "id"`);
    if (!Array.isArray(p.models))
      throw new SourceFormatError(
        `genai-prices data: provider #${i} (${p.id}) has no "models" list`,
      );
    const provider = providerFromGenaiPrices(p.id);
    p.models.forEach((m, j) => {
      if (!isRecord(m) || typeof m.id !== 'string') {
        throw new SourceFormatError(
          `genai-prices data: model #${j} of provider ${p.id} has no "id"`,
        );
      }
      const key = `${p.id}/${m.id}`;
      const id = m.id.trim().toLowerCase();
      const prices = datedPrices(m.prices, key);
      if (!hasAny(prices)) {
        skipped.push({ key, reason: 'no price costlens models (per token)' });
        return;
      }
      if (seen.has(`${provider}\u0000${id}`)) {
        skipped.push({ key, reason: `duplicate of ${provider} ${id}` });
        return;
      }
      seen.add(`${provider}\u0000${id}`);
      const aliases = [...aliasesOf(m.match, new Set())].filter((a) => a !== id).sort();
      models.push({
        provider,
        id,
        ...(aliases.length ? { aliases } : {}),
        mode: modeOf(id, m.name),
        prices,
        source: 'genai-prices',
        source_key: key,
      });
    });
  });
  return { models, skipped };
}
