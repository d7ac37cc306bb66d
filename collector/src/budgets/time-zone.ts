const DAY_MS = 86_400_000;

/** A calendar date (month 1 to 12) as the wall clocks of a time zone show it. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

interface Wall extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

/**
 * An IANA time zone read through Intl, so its rules (daylight saving time,
 * half-hour offsets, past changes) are the runtime's, never a table of ours.
 */
export class TimeZone {
  readonly #format: Intl.DateTimeFormat;

  constructor(readonly name: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The local date at instant `t` (epoch ms). */
  dateAt(t: number): LocalDate {
    const { year, month, day } = this.#wall(t);
    return { year, month, day };
  }

  /**
   * The first instant of a local date. Where midnight does not exist (a clock
   * that springs forward at 00:00) the day starts when the clocks jump; where it
   * happens twice, at the first one.
   */
  startOf(date: LocalDate): number {
    const wall = Date.UTC(date.year, date.month - 1, date.day);
    // The offsets a day either side bracket any change near this midnight.
    const candidates = [wall - this.#offset(wall - DAY_MS), wall - this.#offset(wall + DAY_MS)];
    const exact = candidates.filter((t) => this.#isMidnightOf(t, wall));
    if (exact.length > 0) return Math.min(...exact);
    // Midnight was skipped: the day starts at the first second whose local date is this one.
    let lo = Math.min(...candidates) - DAY_MS;
    let hi = Math.max(...candidates) + DAY_MS;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (this.#localDay(mid) >= wall) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** Local wall time minus UTC at instant `t`, in ms. */
  #offset(t: number): number {
    const w = this.#wall(t);
    const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
    return asUtc - (t - (((t % 1000) + 1000) % 1000));
  }

  #isMidnightOf(t: number, wall: number): boolean {
    const w = this.#wall(t);
    return (
      Date.UTC(w.year, w.month - 1, w.day) === wall &&
      w.hour === 0 &&
      w.minute === 0 &&
      w.second === 0
    );
  }

  /** The local date at `t`, as the epoch ms of that date at 00:00 UTC (comparable numbers). */
  #localDay(t: number): number {
    const w = this.#wall(t);
    return Date.UTC(w.year, w.month - 1, w.day);
  }

  #wall(t: number): Wall {
    const w: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const p of this.#format.formatToParts(t)) {
      if (p.type in w) w[p.type as keyof Wall] = Number(p.value);
    }
    return w;
  }
}

/** The date `days` after `date` (negative: before), by the calendar. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** `2026-12-02`. */
export function isoDate(date: LocalDate): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(date.year).padStart(4, '0')}-${pad(date.month)}-${pad(date.day)}`;
}
