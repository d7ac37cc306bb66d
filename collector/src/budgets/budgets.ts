import type { Registry, RegistryContentType } from 'prom-client';
import type { Store } from '../store/store.js';
import type { BudgetConfig } from './config.js';

/** What the budgets are built from. */
export interface BudgetParts {
  budgets: BudgetConfig[];
  /** The collector's reading connection (budgets also record their messages through it). */
  store: Store;
  /** Where the budget gauges are registered. */
  registers: Registry<RegistryContentType>[];
  /** The clock (tests pass their own). */
  now?: () => number;
}

/** The configured budgets: what they spent, their forecast, and the messages they send. */
export class Budgets {
  constructor(readonly parts: BudgetParts) {}

  /** Called after each export is stored; never throws and never waits. */
  onStored(): void {}

  /** Stops timers and waits for a delivery in progress. */
  async close(): Promise<void> {}
}
