import { createHash } from 'node:crypto';
import type { AttemptResult, BudgetMessageRow } from '../store/budget-queries.js';
import { type BudgetMessage, messageId } from './message.js';

/** How messages are delivered; the defaults are in DEFAULT_DELIVERY. */
export interface DeliveryOptions {
  /** One POST may take this long before it counts as failed and is retried. */
  attemptTimeoutMs: number;
  /** The wait after the first failed attempt; each further failure doubles it... */
  retryBaseMs: number;
  /** ...up to this. */
  retryMaxMs: number;
  /** A message not delivered this long after it was made is given up (its row keeps last_error). */
  giveUpAfterMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  attemptTimeoutMs: 10_000,
  retryBaseMs: 1_000,
  retryMaxMs: 300_000,
  giveUpAfterMs: 86_400_000,
};

/** The rows' table (store/budget-queries.ts). */
export interface MessageStore {
  dueMessages(now: number, createdAfter: number, limit: number): BudgetMessageRow[];
  nextAttemptAt(createdAfter: number): number | null;
  recordAttempt(
    key: Pick<BudgetMessageRow, 'budget' | 'period_start' | 'kind'>,
    r: AttemptResult,
  ): void;
}

/**
 * What the payload column holds: the message as it is POSTed, and the receivers
 * that need nothing more (it was delivered there, or refused for good). They are
 * named by a hash of the URL: a webhook URL is often a secret, so none is stored.
 */
interface Envelope {
  message: BudgetMessage;
  done: string[];
}

export const envelope = (message: BudgetMessage): string =>
  JSON.stringify({ message, done: [] } satisfies Envelope);

const receiverId = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);

/** Rows attempted in one pass; more wait for the next pass, which follows at once. */
const BATCH = 50;
/** After the database refused a pass (busy, full), the next one waits this long. */
const STORE_RETRY_MS = 5_000;

type Outcome = { ok: true } | { ok: false; retry: boolean; error: string };

/**
 * Delivers recorded messages to their budget's `notify` URLs, off the request
 * path: one pass at a time, each POST with a timeout, failures retried with
 * exponential backoff, and every outcome written to the message's row, so a
 * restarted collector resumes where this one stopped and never re-sends what
 * was delivered.
 */
export class Delivery {
  readonly #store: MessageStore;
  readonly #notifyOf: (budget: string) => readonly string[] | undefined;
  readonly #now: () => number;
  readonly #options: DeliveryOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(
    store: MessageStore,
    notifyOf: (budget: string) => readonly string[] | undefined,
    now: () => number,
    options: DeliveryOptions,
  ) {
    this.#store = store;
    this.#notifyOf = notifyOf;
    this.#now = now;
    this.#options = options;
  }

  /** Starts a pass now (or right after the one running). */
  kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#running = this.#pass().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Stops the timer; resolves once the pass in progress (its POSTs and their rows) is done. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async #pass(): Promise<void> {
    let next: number | null;
    try {
      const now = this.#now();
      const rows = this.#store.dueMessages(now, now - this.#options.giveUpAfterMs, BATCH);
      await Promise.all(rows.map((row) => this.#attempt(row)));
      next = this.#store.nextAttemptAt(this.#now() - this.#options.giveUpAfterMs);
    } catch (err) {
      console.error(
        `costlens: budget messages could not be delivered now: ${(err as Error).message}`,
      );
      next = this.#now() + STORE_RETRY_MS;
    }
    if (next === null || this.#closed) return;
    this.#timer = setTimeout(() => this.kick(), Math.max(0, next - this.#now()));
    this.#timer.unref();
  }

  async #attempt(row: BudgetMessageRow): Promise<void> {
    const env = JSON.parse(row.payload) as Envelope;
    const done = new Set(env.done);
    const urls = this.#notifyOf(row.budget);
    const attempts = row.attempts + 1;
    const errors: string[] = [];
    if (urls === undefined) {
      errors.push(`budget ${row.budget} is no longer configured`);
    } else {
      // From the row's key, not the payload: a message stored before ids were sent gets one too.
      const id = messageId(row.budget, row.period_start, row.kind);
      const body = JSON.stringify({ ...env.message, id });
      const pending = urls.filter((u) => !done.has(receiverId(u)));
      const outcomes = await Promise.all(
        pending.map((u) => post(u, body, id, this.#options.attemptTimeoutMs)),
      );
      pending.forEach((u, i) => {
        const o = outcomes[i]!;
        if (o.ok || !o.retry) done.add(receiverId(u));
        if (!o.ok) errors.push(o.error);
      });
    }
    const finished = urls?.every((u) => done.has(receiverId(u))) === true;
    const now = this.#now();
    const { retryBaseMs, retryMaxMs } = this.#options;
    const waitMs = Math.min(retryBaseMs * 2 ** (attempts - 1), retryMaxMs);
    if (errors.length > 0) {
      const next = finished ? 'not retried' : `retrying in ${waitMs / 1000} s`;
      console.error(
        `costlens: the ${row.kind} message of budget ${row.budget} was not delivered (${errors.join('; ')}); ${next}`,
      );
    }
    this.#store.recordAttempt(row, {
      payload: JSON.stringify({ message: env.message, done: [...done] } satisfies Envelope),
      attempts,
      next_attempt_at: finished ? row.next_attempt_at : now + waitMs,
      delivered_at: finished ? now : null,
      last_error: errors.length > 0 ? errors.join('; ') : row.last_error,
    });
  }
}

/**
 * POSTs one message, its id in the Idempotency-Key header: delivery is at least
 * once (a stop between the receiver's 2xx and the row's record sends it again), so
 * the receiver tells a repeat by it. Retried: no answer in time, no connection,
 * 408, 429 and 5xx. Any other answer but 2xx is the receiver refusing this message
 * for good (a wrong URL, a redirect): retrying would only repeat it. Errors name
 * the receiver by its host, never by its whole URL.
 */
export async function post(
  url: string,
  body: string,
  id: string,
  timeoutMs: number,
): Promise<Outcome> {
  const host = new URL(url).host;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'costlens',
        'idempotency-key': id,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true };
    const retry = res.status === 408 || res.status === 429 || res.status >= 500;
    return {
      ok: false,
      retry,
      error: `${host} answered ${res.status}${retry ? '' : ', not retried: check the notify URL'}`,
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why =
      e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    return { ok: false, retry: true, error: `${host}: ${why}` };
  }
}
