/** The value a label takes once its cap of distinct values, or its family's series budget, is reached. */
export const OVERFLOW = '__other__';

/**
 * Caps what each label can hold, so a typo'd model name, a flood of projects or
 * one enormous name cannot blow up /metrics: a value longer than `maxLength` is
 * cut and marked with `…`, and the first `cap` distinct values of a label are
 * kept, later ones become `__other__`.
 */
export class LabelCap {
  readonly #seen = new Map<string, Set<string>>();

  constructor(
    readonly caps: Readonly<Record<string, number>>,
    readonly defaultCap = 200,
    readonly maxLength = 128,
  ) {}

  value(label: string, raw: string | null | undefined): string {
    let v = raw === null || raw === undefined || raw === '' ? 'unknown' : raw;
    if (v.length > this.maxLength) v = `${v.slice(0, this.maxLength - 1)}…`;
    let seen = this.#seen.get(label);
    if (!seen) {
      seen = new Set();
      this.#seen.set(label, seen);
    }
    if (seen.has(v)) return v;
    if (seen.size >= (this.caps[label] ?? this.defaultCap)) return OVERFLOW;
    seen.add(v);
    return v;
  }
}

/**
 * Bounds the label sets of each metric family. The per-label caps bound each label
 * alone, not their product; past `max` label sets in a family, a new combination is
 * counted under one set whose labels are all `__other__` (but those in `kept`).
 */
export class SeriesBudget {
  readonly #families = new Map<string, Set<string>>();

  constructor(
    readonly max: number,
    readonly kept: ReadonlySet<string> = new Set(),
  ) {}

  /** `labels`, or the family's overflow set when the family is full; `folded` says which. */
  fit(
    family: string,
    labels: Record<string, string>,
  ): { labels: Record<string, string>; folded: boolean } {
    let seen = this.#families.get(family);
    if (!seen) {
      seen = new Set();
      this.#families.set(family, seen);
    }
    let key = '';
    for (const k in labels) key += `${labels[k]}\u0000`;
    if (seen.has(key)) return { labels, folded: false };
    if (seen.size < this.max) {
      seen.add(key);
      return { labels, folded: false };
    }
    const other: Record<string, string> = {};
    for (const k in labels) other[k] = this.kept.has(k) ? labels[k]! : OVERFLOW;
    return { labels: other, folded: true };
  }

  clear(): void {
    this.#families.clear();
  }
}
