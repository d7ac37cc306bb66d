import { parse } from './args.js';
import { UsageError } from './io.js';

export interface DemoOptions {
  durationS: number;
  rate: number;
  port: number;
  keep: boolean;
  /** --db: this database (kept); absent: one in a temporary directory. */
  db?: string;
}

export const DEFAULT_DURATION_S = 180;
export const DEFAULT_RATE = 4;
const MAX_DURATION_S = 24 * 3600;
const MAX_RATE = 100;

/** "90", "30s", "5m", "1.5h" as seconds; undefined when it is none of these. */
function duration(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*$/i.exec(raw);
  if (!m) return undefined;
  const unit = (m[2] ?? 's').toLowerCase();
  return Number(m[1]) * (unit === 'h' ? 3600 : unit === 's' ? 1 : 60);
}

export function parseDemoArgs(args: string[]): DemoOptions {
  const v = parse('demo', args, {
    duration: { type: 'string' },
    rate: { type: 'string' },
    port: { type: 'string' },
    keep: { type: 'boolean' },
    db: { type: 'string' },
  });
  let durationS = DEFAULT_DURATION_S;
  if (v.duration !== undefined) {
    const s = duration(v.duration);
    if (s === undefined || s < 1 || s > MAX_DURATION_S)
      throw new UsageError(
        `demo: --duration must be a time from 1s to 24h such as 30s, 5m or 1h, got "${v.duration}".`,
      );
    durationS = s;
  }
  let rate = DEFAULT_RATE;
  if (v.rate !== undefined) {
    rate = Number(v.rate);
    if (v.rate.trim() === '' || !Number.isFinite(rate) || rate <= 0 || rate > MAX_RATE)
      throw new UsageError(
        `demo: --rate must be a number of calls per second above 0 and at most ${MAX_RATE}, got "${v.rate}".`,
      );
  }
  let port = 4318;
  if (v.port !== undefined) {
    port = Number(v.port);
    if (!/^\d+$/.test(v.port.trim()) || port > 65_535)
      throw new UsageError(
        `demo: --port must be a port number from 0 (any free port) to 65535, got "${v.port}".`,
      );
  }
  if (v.db !== undefined && v.db.trim() === '')
    throw new UsageError('demo: --db must be the path of a database file, got "".');
  return {
    durationS,
    rate,
    port,
    keep: v.keep === true || v.db !== undefined,
    ...(v.db !== undefined ? { db: v.db } : {}),
  };
}

/**
 * support-bot's spend per call of the traffic (all projects' calls counted), measured
 * over runs of examples/traffic/app.mjs: its chats, streams and retries at list prices.
 */
const SUPPORT_BOT_USD_PER_CALL = 0.0003;

/**
 * The demo's budgets, so that their thresholds are crossed while it runs, whatever
 * --duration and --rate say: support-bot's steady spend reaches its limit about four
 * three quarters of the way through; marketing's first videos (in the first round of calls)
 * pass half of its limit at once, and later ones the rest.
 */
export function demoBudgets(rate: number, durationS: number): Record<string, unknown>[] {
  const supportBot = SUPPORT_BOT_USD_PER_CALL * rate * durationS * 0.75;
  // As a config file states them; loadConfig checks them like the file's.
  const budget = (name: string, project: string, limit: number) => ({
    name,
    project,
    period: 'day',
    limit_usd: limit,
    alert_at: [0.5, 0.8, 1],
  });
  return [
    // Two significant digits, so a short run's budget of a few cents keeps its size.
    budget('support-bot-demo', 'support-bot', Math.max(0.0001, Number(supportBot.toPrecision(2)))),
    budget('marketing-demo', 'marketing', 8),
  ];
}
