import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { Catalogue } from './catalogue.js';
import { normalizeModelName, normalizeProvider, stripRouting } from './model-id.js';
import { pricesAt } from './rates.js';
import {
  type DatedPrices,
  type Mode,
  type ModelEntry,
  type PriceSet,
  type Tier,
  TOKEN_KINDS,
} from './types.js';

/**
 * A user's price file (JSON or YAML):
 *
 *   models:            # add a model, or replace some of a known model's prices
 *     - provider: openai
 *       model: ft:gpt-4o-mini:acme
 *       input: 0.3       # USD per 1M tokens
 *       output: 1.2
 *   discounts:         # multiply what a provider (or one model) costs
 *     - provider: anthropic
 *       multiplier: 0.9
 */
export interface Overrides {
  models: ModelOverride[];
  discounts: Discount[];
}

export interface ModelOverride extends PriceSet {
  provider: string;
  model: string;
  mode?: Mode;
  /** The prices start on this date; without it they apply to every date. */
  from?: string;
}

export interface Discount {
  provider: string;
  model?: string;
  multiplier: number;
}

/** A problem in a price file, with the line it is on. */
export class OverrideFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'OverrideFileError';
  }
}

const TOKEN_KEYS = TOKEN_KINDS;
const MODEL_KEYS = ['provider', 'model', 'mode', 'from', ...TOKEN_KEYS, 'tiers', 'images', 'video'];
const TIER_KEYS = ['above', ...TOKEN_KEYS];
const IMAGE_KEYS = ['usd', 'size', 'quality', 'resolution'];
const VIDEO_KEYS = ['usd_per_second', 'resolution', 'size', 'audio'];
const DISCOUNT_KEYS = ['provider', 'model', 'multiplier'];
const MODES: Mode[] = [
  'chat',
  'completion',
  'embedding',
  'image',
  'video',
  'audio',
  'rerank',
  'moderation',
  'other',
];

/** Edit distance, to suggest the key a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

class Reader {
  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  fail(node: Node | null | undefined, key: string, detail: string): never {
    const offset = node?.range?.[0] ?? 0;
    throw new OverrideFileError(this.file, this.lines.linePos(offset).line || 1, key, detail);
  }

  /** The map's entries as [key, value node], refusing keys it does not know. */
  fields(map: YAMLMap, allowed: readonly string[], where: string): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    for (const pair of map.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!allowed.includes(k)) {
        const near = allowed
          .map((a) => ({ a, d: distance(a, k) }))
          .filter((x) => x.d <= 2)
          .sort((x, y) => x.d - y.d)[0]?.a;
        const hint = near ? ` (did you mean "${near}"?)` : ` (known keys: ${allowed.join(', ')})`;
        this.fail(pair.key as Node, k, `unknown key "${k}" in ${where}${hint}`);
      }
      out.set(k, (pair.value as Node | null) ?? null);
    }
    return out;
  }

  map(node: Node | null | undefined, where: string): YAMLMap {
    if (!isMap(node)) this.fail(node, where, `${where} must be a mapping of keys to values`);
    return node;
  }

  list(node: Node | null | undefined, where: string): Node[] {
    if (!isSeq(node)) this.fail(node, where, `${where} must be a list`);
    return node.items as Node[];
  }

  scalar(node: Node | null | undefined): unknown {
    return isScalar(node) ? node.value : undefined;
  }

  number(node: Node | null | undefined, where: string, what: string): number {
    const v = this.scalar(node);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      this.fail(node, where, `${where} must be a number >= 0 (${what}), got ${JSON.stringify(v)}`);
    }
    return v;
  }

  text(node: Node | null | undefined, where: string): string {
    const v = this.scalar(node);
    if (typeof v !== 'string' || v.trim() === '') {
      this.fail(node, where, `${where} must be a non-empty string, got ${JSON.stringify(v)}`);
    }
    return v.trim();
  }

  tokens(fields: Map<string, Node | null>, where: string, into: PriceSet): void {
    for (const k of TOKEN_KEYS) {
      if (fields.has(k)) into[k] = this.number(fields.get(k), `${where}.${k}`, 'USD per 1M tokens');
    }
  }
}

function readModel(r: Reader, node: Node, where: string): ModelOverride {
  const f = r.fields(r.map(node, where), MODEL_KEYS, where);
  if (!f.has('provider')) r.fail(node, 'provider', `${where} needs a provider`);
  if (!f.has('model')) r.fail(node, 'model', `${where} needs a model`);
  const out: ModelOverride = {
    provider: normalizeProvider(r.text(f.get('provider'), `${where}.provider`)),
    model: normalizeModelName(r.text(f.get('model'), `${where}.model`)),
  };
  if (f.has('mode')) {
    const mode = r.text(f.get('mode'), `${where}.mode`) as Mode;
    if (!MODES.includes(mode))
      r.fail(f.get('mode'), 'mode', `${where}.mode must be one of ${MODES.join(', ')}`);
    out.mode = mode;
  }
  if (f.has('from')) {
    const raw = r.scalar(f.get('from'));
    const from = raw instanceof Date ? raw.toISOString() : String(raw);
    if (Number.isNaN(Date.parse(from)))
      r.fail(f.get('from'), 'from', `${where}.from must be a date like 2026-01-31`);
    out.from = from;
  }
  r.tokens(f, where, out);
  if (f.has('tiers')) {
    out.tiers = r.list(f.get('tiers'), `${where}.tiers`).map((t, i) => {
      const w = `${where}.tiers[${i}]`;
      const tf = r.fields(r.map(t, w), TIER_KEYS, w);
      if (!tf.has('above')) r.fail(t, 'above', `${w} needs "above" (the input token threshold)`);
      const tier: Tier = { above: r.number(tf.get('above'), `${w}.above`, 'input tokens') };
      r.tokens(tf, w, tier);
      return tier;
    });
  }
  if (f.has('images')) {
    out.images = r.list(f.get('images'), `${where}.images`).map((n, i) => {
      const w = `${where}.images[${i}]`;
      const g = r.fields(r.map(n, w), IMAGE_KEYS, w);
      if (!g.has('usd')) r.fail(n, 'usd', `${w} needs "usd" (USD per image)`);
      return {
        usd: r.number(g.get('usd'), `${w}.usd`, 'USD per image'),
        ...(g.has('size') ? { size: r.text(g.get('size'), `${w}.size`) } : {}),
        ...(g.has('quality') ? { quality: r.text(g.get('quality'), `${w}.quality`) } : {}),
        ...(g.has('resolution')
          ? { resolution: r.text(g.get('resolution'), `${w}.resolution`) }
          : {}),
      };
    });
  }
  if (f.has('video')) {
    out.video = r.list(f.get('video'), `${where}.video`).map((n, i) => {
      const w = `${where}.video[${i}]`;
      const g = r.fields(r.map(n, w), VIDEO_KEYS, w);
      if (!g.has('usd_per_second')) r.fail(n, 'usd_per_second', `${w} needs "usd_per_second"`);
      const audio = r.scalar(g.get('audio'));
      if (g.has('audio') && typeof audio !== 'boolean')
        r.fail(g.get('audio'), 'audio', `${w}.audio must be true or false`);
      return {
        usd_per_second: r.number(g.get('usd_per_second'), `${w}.usd_per_second`, 'USD per second'),
        ...(g.has('resolution')
          ? { resolution: r.text(g.get('resolution'), `${w}.resolution`) }
          : {}),
        ...(g.has('size') ? { size: r.text(g.get('size'), `${w}.size`) } : {}),
        ...(typeof audio === 'boolean' ? { audio } : {}),
      };
    });
  }
  return out;
}

function readDiscount(r: Reader, node: Node, where: string): Discount {
  const f = r.fields(r.map(node, where), DISCOUNT_KEYS, where);
  if (!f.has('provider')) r.fail(node, 'provider', `${where} needs a provider`);
  if (!f.has('multiplier'))
    r.fail(node, 'multiplier', `${where} needs a multiplier (0.8 = 20% off)`);
  const multiplier = r.number(f.get('multiplier'), `${where}.multiplier`, '0.8 = 20% off');
  return {
    provider: normalizeProvider(r.text(f.get('provider'), `${where}.provider`)),
    ...(f.has('model')
      ? { model: normalizeModelName(r.text(f.get('model'), `${where}.model`)) }
      : {}),
    multiplier,
  };
}

/** Parses a price file's text; `file` names it in errors. Throws OverrideFileError. */
export function parseOverrides(text: string, file = 'prices'): Overrides {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new Reader(file, lines);
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lines.linePos(syntax.pos[0]).line || 1;
    throw new OverrideFileError(
      file,
      line,
      '',
      `not valid JSON or YAML: ${syntax.message.split('\n')[0]}`,
    );
  }
  if (doc.contents === null) return { models: [], discounts: [] };
  const top = r.fields(
    r.map(doc.contents as Node, 'the file'),
    ['models', 'discounts'],
    'the file',
  );
  return {
    models: top.has('models')
      ? r.list(top.get('models'), 'models').map((n, i) => readModel(r, n, `models[${i}]`))
      : [],
    discounts: top.has('discounts')
      ? r
          .list(top.get('discounts'), 'discounts')
          .map((n, i) => readDiscount(r, n, `discounts[${i}]`))
      : [],
  };
}

export function readOverrides(path: string): Overrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OverrideFileError(
      path,
      0,
      '',
      `cannot read the price file: ${(err as Error).message}`,
    );
  }
  return parseOverrides(text, path);
}

function pricesOf(o: ModelOverride): PriceSet {
  const { provider: _p, model: _m, mode: _mode, from: _f, ...prices } = o;
  return prices;
}

/** A new catalogue in which the user's prices and discounts win. */
export function applyOverrides(catalogue: Catalogue, overrides: Overrides): Catalogue {
  const models = catalogue.data.models.slice();
  for (const o of overrides.models) {
    const found = catalogue.find(o.model, o.provider);
    const given = pricesOf(o);
    // Replace only the model the file names: not the base model a snapshot name rewrites to.
    const named =
      found && (found.matchedAs === o.model || found.matchedAs === stripRouting(o.model));
    if (found && named && found.entry.provider === o.provider) {
      const i = models.indexOf(found.entry);
      const entry = models[i]!;
      let prices: DatedPrices[];
      if (o.from === undefined) {
        prices = entry.prices.map((d) => ({ ...d, prices: { ...d.prices, ...given } }));
      } else {
        // The new price keeps every kind it does not name from the price in force on that date.
        const base = pricesAt(entry, Date.parse(o.from), { daily: false });
        prices = [...entry.prices, { from: o.from, prices: { ...base, ...given } }];
      }
      models[i] = { ...entry, ...(o.mode ? { mode: o.mode } : {}), prices, source: 'override' };
    } else {
      const added: ModelEntry = {
        provider: o.provider,
        id: o.model,
        mode: o.mode ?? 'chat',
        prices: [o.from === undefined ? { prices: given } : { from: o.from, prices: given }],
        source: 'override',
      };
      models.unshift(added);
    }
  }
  const next = new Catalogue({ ...catalogue.data, models });
  if (overrides.discounts.length === 0) return next;
  const discounted = models.map((m) => {
    let multiplier = m.multiplier ?? 1;
    for (const d of overrides.discounts) {
      if (d.provider !== m.provider) continue;
      if (d.model !== undefined && next.find(d.model, d.provider)?.entry !== m) continue;
      multiplier *= d.multiplier;
    }
    return multiplier === (m.multiplier ?? 1)
      ? m
      : { ...m, multiplier, source: 'override' as const };
  });
  return new Catalogue({ ...catalogue.data, models: discounted });
}
