import { applyOverrides, type Catalogue, loadCatalogue, readOverrides } from '@costlens/pricing';
import { type OpenMetricsContentType, Registry } from 'prom-client';
import { type BudgetOptions, Budgets } from '../budgets/budgets.js';
import { AiMetrics } from '../metrics/ai-metrics.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { Store } from '../store/store.js';
import { openWriter } from '../store/writer.js';
import type { AppParts } from './app.js';
import type { Config } from './config.js';

export interface BuildOptions {
  /** The catalogue to price with before the config's overrides (default: the bundled one). */
  catalogue?: Catalogue;
  /** The writer thread's script (default: the compiled one; tests of the sources pass theirs). */
  writerEntry?: URL;
  /** The budgets' clock and delivery waits (tests pass their own). */
  budgets?: BudgetOptions;
}

/** The catalogue the collector prices with: `base` (the bundled one) with the config's price file laid over it. */
export function buildCatalogue(config: Config, base: Catalogue = loadCatalogue()): Catalogue {
  return config.prices === null ? base : applyOverrides(base, readOverrides(config.prices));
}

/** Builds the collector's parts from a config: its database, catalogue (with the user's prices) and metrics. */
export function buildParts(config: Config, options: BuildOptions = {}): AppParts {
  const priced = buildCatalogue(config, options.catalogue);
  const store = new Store(config.db);
  const registry = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return {
    config,
    store,
    writer: openWriter(store, options.writerEntry),
    catalogue: priced,
    registry,
    openMetrics,
    aiMetrics: new AiMetrics([registry, openMetrics], {
      labelCaps: config.label_caps,
      maxLabelLength: config.max_label_length,
      maxSeriesPerMetric: config.max_series_per_metric,
    }),
    ingestMetrics: new IngestMetrics([registry, openMetrics], () => store.sizeBytes()),
    budgets: new Budgets({
      ...options.budgets,
      budgets: config.budgets,
      store,
      registers: [registry, openMetrics],
    }),
  };
}

/** Lets go of what buildParts opened: the writer finishes the batches it holds, then the database closes. */
export async function closeParts(parts: AppParts): Promise<void> {
  await parts.budgets.close();
  await parts.writer.close();
  parts.store.close();
}
