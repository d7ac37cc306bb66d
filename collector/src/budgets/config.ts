/** One budget as the config file states it (docs: collector/docs/api.md, "Budgets"). */
export interface BudgetConfig {
  /** Unique; the `budget` label of the budget gauges. */
  name: string;
  /** What the budget counts; absent ones match every call. */
  scope: BudgetScope;
  /** Calendar periods: a day, a week from Monday, a month. */
  period: 'day' | 'week' | 'month';
  /** IANA time zone the periods start in (default UTC). */
  timezone: string;
  limit_usd: number;
  /** Fractions of the limit that send a message when spending crosses them, ascending. */
  alert_at: number[];
  /** Webhook URLs (http or https) each message is POSTed to. */
  notify: string[];
}

export interface BudgetScope {
  project?: string;
  user?: string;
  account?: string;
  provider?: string;
  model?: string;
}

export const SCOPE_KEYS = ['project', 'user', 'account', 'provider', 'model'] as const;
const PERIODS = ['day', 'week', 'month'] as const;
const KNOWN = ['name', ...SCOPE_KEYS, 'period', 'timezone', 'limit_usd', 'alert_at', 'notify'];

/** Validates the `budgets` list; `fail(message)` throws the caller's error type. */
export function parseBudgets(
  v: unknown,
  where: string,
  fail: (m: string) => never,
): BudgetConfig[] {
  if (!Array.isArray(v))
    fail(`${where} must be a list of budgets ({ name, period, limit_usd, ... })`);
  const names = new Set<string>();
  return (v as unknown[]).map((b, i) => {
    const w = `${where}[${i}]`;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) fail(`${w} must be a budget`);
    const o = b as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!KNOWN.includes(k)) fail(`${w}: unknown key "${k}" (known: ${KNOWN.join(', ')})`);
    }
    const name = typeof o.name === 'string' ? o.name.trim() : '';
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(name))
      fail(
        `${w}.name must be 1 to 64 letters, digits, '_', '.', ':' or '-', got ${JSON.stringify(o.name)}`,
      );
    if (names.has(name)) fail(`${w}.name "${name}" is used twice; budget names are unique`);
    names.add(name);
    const scope: BudgetScope = {};
    for (const k of SCOPE_KEYS) {
      const s = o[k];
      if (s === undefined) continue;
      if (typeof s !== 'string' || s === '') fail(`${w}.${k} must be a non-empty string`);
      scope[k] = s as string;
    }
    const period = o.period ?? 'month';
    if (!PERIODS.includes(period as never))
      fail(`${w}.period must be one of ${PERIODS.join(', ')}, got ${JSON.stringify(o.period)}`);
    const timezone = o.timezone ?? 'UTC';
    if (typeof timezone !== 'string' || !validZone(timezone))
      fail(
        `${w}.timezone must be an IANA time zone such as Europe/Paris, got ${JSON.stringify(o.timezone)}`,
      );
    const limit = o.limit_usd;
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0)
      fail(`${w}.limit_usd must be a number of dollars above 0, got ${JSON.stringify(limit)}`);
    const alertAt = o.alert_at ?? [0.8, 1];
    if (
      !Array.isArray(alertAt) ||
      alertAt.length === 0 ||
      alertAt.some((f) => typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f > 10)
    )
      fail(`${w}.alert_at must be a list of fractions of the limit such as [0.5, 0.8, 1.0]`);
    const notify = o.notify ?? [];
    if (!Array.isArray(notify) || notify.some((u) => typeof u !== 'string' || !webhook(u)))
      fail(`${w}.notify must be a list of http or https URLs`);
    return {
      name,
      scope,
      period: period as BudgetConfig['period'],
      timezone: timezone as string,
      limit_usd: limit as number,
      alert_at: [...new Set(alertAt as number[])].sort((a, b) => a - b),
      notify: notify as string[],
    };
  });
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function webhook(u: string): boolean {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
