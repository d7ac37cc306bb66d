import { Gauge, type Registry, type RegistryContentType } from 'prom-client';

export interface GaugeFigures {
  name: string;
  limit_usd: number;
  spent_usd: number;
  forecast_usd: number;
}

const GAUGES: [string, string, (f: GaugeFigures) => number][] = [
  [
    'costlens_budget_limit_usd',
    "The budget's limit for its current period, USD",
    (f) => f.limit_usd,
  ],
  [
    'costlens_budget_spent_usd',
    "Spent in the budget's current period so far, USD (exact sums of the stored calls)",
    (f) => f.spent_usd,
  ],
  [
    'costlens_budget_forecast_usd',
    "Projected spend at the end of the budget's current period at the recent burn rate, USD",
    (f) => f.forecast_usd,
  ],
];

/**
 * The budget gauges, one series per budget (label `budget`), set at scrape time
 * from `figures()`, so /metrics shows the numbers the budgets API shows.
 */
export function registerBudgetGauges(
  registers: Registry<RegistryContentType>[],
  figures: () => GaugeFigures[],
): void {
  for (const [name, help, pick] of GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ['budget'],
      registers,
      collect() {
        this.reset();
        for (const f of figures()) this.set({ budget: f.name }, pick(f));
      },
    });
  }
}
