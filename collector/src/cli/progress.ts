/** Where progress goes: stderr, which says whether it is a terminal and how wide. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is counted, done: "re-priced", "exported". */
  verb: string;
  /** What is counted: "calls". */
  unit: string;
  /** --quiet: nothing at all, even on a terminal. */
  quiet?: boolean;
  /** The clock (tests pass their own). */
  now?: () => number;
  /** The least time between two redraws: a terminal needs no more than ten a second. */
  everyMs?: number;
}

/** Before this much time has passed, a guess of the time left says more about the start than the rest. */
const ETA_AFTER_MS = 2_000;
/** Erases from the cursor to the end of the line: a shorter line leaves nothing of a longer one. */
const ERASE = '\x1b[K';

const count = (n: number) => n.toLocaleString('en-US');

function timeLeft(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 90 ? `about ${s} s left` : `about ${Math.round(s / 60)} min left`;
}

/**
 * One line of progress on a terminal, redrawn in place ("exported 120,000 of
 * 1,000,000 calls (12%, about 8 s left)"), and nothing at all in a script (the
 * stream is not a terminal) or with --quiet, so piped output and logs stay clean.
 * done() erases the line, so what the command prints next starts on a clean line.
 */
export class Progress {
  readonly #stream: ProgressStream;
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #everyMs: number;
  readonly #started: number;
  /** Whether anything is drawn (so done() has a line to erase). */
  #drawn = false;
  #lastAt = Number.NEGATIVE_INFINITY;

  /** Whether progress is shown at all on this stream. */
  readonly shown: boolean;

  constructor(stream: ProgressStream, options: ProgressOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#everyMs = options.everyMs ?? 100;
    this.#started = this.#now();
    this.shown = stream.isTTY === true && !options.quiet;
  }

  /** `done` of `total` (when known) counted so far; drawn at most every `everyMs`, and always at the end. */
  update(done: number, total?: number): void {
    if (!this.shown) return;
    const now = this.#now();
    const finished = total !== undefined && done >= total;
    if (!finished && now - this.#lastAt < this.#everyMs) return;
    this.#lastAt = now;
    const { verb, unit } = this.#options;
    if (total === undefined) {
      this.#draw(`${verb} ${count(done)} ${unit}`);
      return;
    }
    const share = total === 0 ? 1 : Math.min(done / total, 1);
    const elapsed = now - this.#started;
    const eta =
      share > 0 && share < 1 && elapsed >= ETA_AFTER_MS
        ? `, ${timeLeft(elapsed / share - elapsed)}`
        : '';
    this.#draw(
      `${verb} ${count(done)} of ${count(total)} ${unit} (${Math.floor(share * 100)}%${eta})`,
    );
  }

  /** A step without counts: "reading the LiteLLM file". */
  say(text: string): void {
    if (!this.shown) return;
    this.#lastAt = this.#now();
    this.#draw(text);
  }

  /** Erases the line, if one was drawn. */
  done(): void {
    if (!this.#drawn) return;
    this.#stream.write(`\r${ERASE}`);
    this.#drawn = false;
  }

  #draw(text: string): void {
    // A line longer than the terminal wraps, and \r then redraws only its last part.
    const width = this.#stream.columns;
    const fitted =
      width !== undefined && width > 1 && text.length >= width ? text.slice(0, width - 1) : text;
    this.#stream.write(`\r${fitted}${ERASE}`);
    this.#drawn = true;
  }
}
