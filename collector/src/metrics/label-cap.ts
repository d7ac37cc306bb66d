/** The value a label takes once its cap of distinct values is reached. */
const OVERFLOW = '__other__';

/**
 * Caps the distinct values of each label, so a typo'd model name or a flood of
 * projects cannot create unbounded series: the first `cap` values are kept,
 * later ones become `__other__`.
 */
export class LabelCap {
  readonly #seen = new Map<string, Set<string>>();

  constructor(
    readonly caps: Readonly<Record<string, number>>,
    readonly defaultCap = 200,
  ) {}

  value(label: string, raw: string | null | undefined): string {
    const v = raw === null || raw === undefined || raw === '' ? 'unknown' : raw;
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
