/**
 * Lets at most `size` callers through at once; the others wait, first come first
 * served. The collector holds decoded requests only while they pass it, so a
 * burst of exports waits as compact bodies, not as decoded spans.
 */
export class Gate {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a gate needs a size of 1 or more, got ${size}`);
    }
    this.#free = size;
  }

  /** Resolves once the caller may go through; call leave() when it is done. */
  enter(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  leave(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
