import { createHash } from 'node:crypto';
import type { BudgetConfig } from './config.js';
import type { Period } from './period.js';

/** The JSON body POSTed to each `notify` URL (docs: collector/docs/api.md, "Budgets"). */
export interface BudgetMessage {
  /** The crossing's id (messageId), also sent as the Idempotency-Key header. */
  id: string;
  budget: string;
  period: BudgetConfig['period'];
  period_start: string;
  period_end: string;
  spent_usd: number;
  limit_usd: number;
  /** The threshold crossed (a fraction of the limit); 1 for a forecast (the limit it will pass). */
  fraction: number;
  forecast_usd: number;
  /** `threshold:<fraction>` or `forecast`: one message per budget, period and kind. */
  kind: string;
  /** One sentence, so a Slack or Teams incoming webhook shows it as it is. */
  text: string;
}

export const thresholdKind = (fraction: number) => `threshold:${fraction}`;

/**
 * The id of a crossing: a hash of the message's key (budget, period start in epoch
 * ms, kind), so every POST of it, retried or after a restart, carries the same id,
 * and a receiver that saw it can drop it again.
 */
export const messageId = (budget: string, periodStart: number, kind: string) =>
  createHash('sha256')
    .update(JSON.stringify([budget, periodStart, kind]))
    .digest('hex')
    .slice(0, 32);
export const FORECAST_KIND = 'forecast';

const dollars = (usd: number) =>
  `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;

export interface MessageFacts {
  budget: BudgetConfig;
  period: Period;
  kind: string;
  fraction: number;
  spentUsd: number;
  forecastUsd: number;
}

/** The message for a threshold crossed (`fraction` of the limit) or a forecast that passes the limit. */
export function budgetMessage(m: MessageFacts): BudgetMessage {
  const b = m.budget;
  const tail = `for ${m.period.label}: ${dollars(m.spentUsd)} spent, forecast ${dollars(m.forecastUsd)} by the end of the ${b.period}.`;
  const text =
    m.kind === FORECAST_KIND
      ? `Budget ${b.name} is on course to pass its limit of ${dollars(b.limit_usd)} ${tail}`
      : `Budget ${b.name} has used ${percent(m.fraction)} of ${dollars(b.limit_usd)} ${tail}`;
  return {
    id: messageId(b.name, m.period.start, m.kind),
    budget: b.name,
    period: b.period,
    period_start: new Date(m.period.start).toISOString(),
    period_end: new Date(m.period.end).toISOString(),
    spent_usd: m.spentUsd,
    limit_usd: b.limit_usd,
    fraction: m.fraction,
    forecast_usd: m.forecastUsd,
    kind: m.kind,
    text,
  };
}
