import { pusdToUsd, usdToPusd } from '@costlens/pricing';
import type { Registry, RegistryContentType } from 'prom-client';
import { BudgetQueries } from '../store/budget-queries.js';
import type { Store } from '../store/store.js';
import type { BudgetConfig, BudgetScope } from './config.js';
import { DEFAULT_DELIVERY, Delivery, type DeliveryOptions, envelope } from './delivery.js';
import { forecast, rateWindowStart } from './forecast.js';
import { registerBudgetGauges } from './gauges.js';
import { budgetMessage, FORECAST_KIND, thresholdKind } from './message.js';
import { type Period, periodAt } from './period.js';
import { SpendReader } from './spend.js';
import { TimeZone } from './time-zone.js';

/** What may be tuned from outside (tests pass a clock and short waits). */
export interface BudgetOptions extends Partial<DeliveryOptions> {
  /** The clock periods, forecasts and message times are read from (default Date.now). */
  now?: () => number;
  /** Evaluations after stored exports are at least this far apart (default 1000). */
  minIntervalMs?: number;
}

/** What the budgets are built from. */
export interface BudgetParts extends BudgetOptions {
  budgets: BudgetConfig[];
  /** The collector's reading connection (budgets also record their messages through it). */
  store: Store;
  /** Where the budget gauges are registered. */
  registers: Registry<RegistryContentType>[];
}

/** One budget now: GET /api/v1/budgets serves a list of these. */
export interface BudgetStatus {
  name: string;
  scope: BudgetScope;
  period: BudgetConfig['period'];
  timezone: string;
  period_start: string;
  period_end: string;
  limit_usd: number;
  spent_usd: number;
  /** Limit less spent, never below 0 (percent_used tells how far over). */
  remaining_usd: number;
  percent_used: number;
  forecast_usd: number;
  days_left: number | null;
  alert_at: number[];
  /** The thresholds whose message was made this period. */
  alerts_sent: number[];
}

/** A budget's figures at one instant, in pUSD. */
interface Reading {
  budget: BudgetConfig;
  period: Period;
  limitPusd: bigint;
  spentPusd: bigint;
  forecastPusd: number;
  daysLeft: number | null;
}

/** A threshold is compared in millionths, so 0.8 of $50 is exactly $40 (no float rounding). */
const PPM = 1_000_000;

/** The configured budgets: what they spent, their forecast, and the messages they send. */
export class Budgets {
  readonly #budgets: BudgetConfig[];
  readonly #zones: Map<string, TimeZone>;
  readonly #queries: BudgetQueries;
  readonly #spend: SpendReader;
  readonly #delivery: Delivery;
  readonly #now: () => number;
  readonly #minIntervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #lastEvaluation = Number.NEGATIVE_INFINITY;
  #closed = false;
  #evaluated = false;
  /** The readings of one scrape: the three gauges show the same instant. */
  #scrape: Reading[] | null = null;

  constructor(parts: BudgetParts) {
    this.#budgets = parts.budgets;
    this.#zones = new Map(parts.budgets.map((b) => [b.name, new TimeZone(b.timezone)]));
    this.#queries = new BudgetQueries(parts.store);
    this.#spend = new SpendReader(this.#queries);
    this.#now = parts.now ?? Date.now;
    this.#minIntervalMs = parts.minIntervalMs ?? 1000;
    const byName = new Map(parts.budgets.map((b) => [b.name, b.notify]));
    this.#delivery = new Delivery(this.#queries, (name) => byName.get(name), this.#now, {
      ...DEFAULT_DELIVERY,
      ...definedOnly(parts),
    });
    registerBudgetGauges(parts.registers, () => this.#scrapeReadings().map(gaugeFigures));
    // A collector that stopped between storing calls and evaluating them, or with
    // messages still undelivered, catches up now.
    if (this.#budgets.length > 0) this.#schedule(0);
  }

  /**
   * Every budget's period, spend and forecast now. With a scope (a read key bound
   * to a project or a user), only the budgets scoped to that same project or user.
   */
  status(scope: { project?: string; user?: string } = {}): BudgetStatus[] {
    const visible = this.#budgets.filter(
      (b) =>
        (scope.project === undefined || b.scope.project === scope.project) &&
        (scope.user === undefined || b.scope.user === scope.user),
    );
    return this.#read(visible).map((r) => this.#statusOf(r));
  }

  /** Called after each export that stored new calls; never throws and never waits. */
  onStored(): void {
    this.#schedule(this.#minIntervalMs);
  }

  /** Forgets remembered sums: call after calls were removed or repriced, so budgets show it at once. */
  invalidate(): void {
    this.#spend.invalidate();
  }

  /** Stops timers and waits for a delivery in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#delivery.close();
  }

  /** One evaluation, no sooner than `gapMs` after the last; calls meanwhile join it. */
  #schedule(gapMs: number): void {
    if (this.#closed || this.#timer !== null || this.#budgets.length === 0) return;
    const wait = Math.max(0, this.#lastEvaluation + gapMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#lastEvaluation = performance.now();
      this.#evaluate();
    }, wait);
    this.#timer.unref();
  }

  /**
   * Records each message that is due and not yet made for this period: a
   * threshold spent reached, or a forecast past the limit. The table's key
   * (budget, period, kind) makes a message once, however often this runs.
   */
  #evaluate(): void {
    try {
      let added = false;
      for (const r of this.#read(this.#budgets)) {
        const { budget: b, period } = r;
        const made = new Set(this.#queries.messageKinds(b.name, period.start));
        const due: [string, number][] = b.alert_at
          .filter((f) => r.spentPusd * BigInt(PPM) >= BigInt(Math.round(f * PPM)) * r.limitPusd)
          .map((f) => [thresholdKind(f), f]);
        if (r.spentPusd < r.limitPusd && r.forecastPusd > Number(r.limitPusd))
          due.push([FORECAST_KIND, 1]);
        for (const [kind, fraction] of due) {
          if (made.has(kind)) continue;
          const now = this.#now();
          const message = budgetMessage({
            budget: b,
            period,
            kind,
            fraction,
            spentUsd: pusdToUsd(Number(r.spentPusd)),
            forecastUsd: pusdToUsd(r.forecastPusd),
          });
          added =
            this.#queries.addMessage({
              budget: b.name,
              period_start: period.start,
              kind,
              created_at: now,
              payload: envelope(message),
              next_attempt_at: now,
              // Nowhere to send it: it is made (alerts_sent shows it), with nothing to deliver.
              delivered_at: b.notify.length === 0 ? now : null,
            }) || added;
        }
      }
      // The first evaluation also delivers what a previous run left pending.
      if (added || !this.#evaluated) this.#delivery.kick();
      this.#evaluated = true;
    } catch (err) {
      console.error(`costlens: budgets could not be evaluated now: ${(err as Error).message}`);
      this.#schedule(5_000);
    }
  }

  #read(budgets: BudgetConfig[]): Reading[] {
    if (budgets.length === 0) return [];
    const now = this.#now();
    // One snapshot: the sums and the last call id they are brought up to see the same calls.
    return this.#queries.snapshot(() => {
      this.#spend.refresh(now);
      return budgets.map((b) => this.#reading(b, now));
    });
  }

  #reading(b: BudgetConfig, now: number): Reading {
    const period = periodAt(now, b.period, this.#zones.get(b.name)!);
    const spend = this.#spend;
    const spentPusd = spend.between(`${b.name}|spent`, b.scope, period.start, period.end, now);
    const windowStart = rateWindowStart(now, period.start);
    const windowPusd = spend.between(`${b.name}|rate`, b.scope, windowStart, now, now);
    const limitPusd = BigInt(usdToPusd(b.limit_usd));
    const f = forecast({ now, end: period.end, limitPusd, spentPusd, windowPusd, windowStart });
    return { budget: b, period, limitPusd, spentPusd, ...f };
  }

  #scrapeReadings(): Reading[] {
    if (this.#scrape === null) {
      this.#scrape = this.#read(this.#budgets);
      // prom-client collects every gauge of a scrape in one synchronous run.
      queueMicrotask(() => {
        this.#scrape = null;
      });
    }
    return this.#scrape;
  }

  #statusOf(r: Reading): BudgetStatus {
    const b = r.budget;
    const remaining = r.limitPusd > r.spentPusd ? r.limitPusd - r.spentPusd : 0n;
    const sent = this.#queries
      .messageKinds(b.name, r.period.start)
      .flatMap((k) => (k.startsWith('threshold:') ? [Number(k.slice('threshold:'.length))] : []))
      .sort((x, y) => x - y);
    return {
      name: b.name,
      scope: { ...b.scope },
      period: b.period,
      timezone: b.timezone,
      period_start: new Date(r.period.start).toISOString(),
      period_end: new Date(r.period.end).toISOString(),
      limit_usd: b.limit_usd,
      spent_usd: pusdToUsd(Number(r.spentPusd)),
      remaining_usd: pusdToUsd(Number(remaining)),
      percent_used: Math.round((Number(r.spentPusd) / Number(r.limitPusd)) * 10_000) / 100,
      forecast_usd: pusdToUsd(r.forecastPusd),
      days_left: r.daysLeft,
      alert_at: [...b.alert_at],
      alerts_sent: sent,
    };
  }
}

function gaugeFigures(r: Reading) {
  return {
    name: r.budget.name,
    limit_usd: r.budget.limit_usd,
    spent_usd: pusdToUsd(Number(r.spentPusd)),
    forecast_usd: pusdToUsd(r.forecastPusd),
  };
}

/** The delivery settings given, without the undefined ones (which would hide the defaults). */
function definedOnly(o: Partial<DeliveryOptions>): Partial<DeliveryOptions> {
  const out: Partial<DeliveryOptions> = {};
  for (const k of ['attemptTimeoutMs', 'retryBaseMs', 'retryMaxMs', 'giveUpAfterMs'] as const) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}
