import { applyOverrides, type Catalogue, loadCatalogue, readOverrides } from '@costlens/pricing';
import { Registry } from 'prom-client';
import { AiMetrics } from '../metrics/ai-metrics.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { Store } from '../store/store.js';
import type { AppParts } from './app.js';
import type { Config } from './config.js';

/** Builds the collector's parts from a config: its database, catalogue (with the user's prices) and metrics. */
export function buildParts(config: Config, catalogue: Catalogue = loadCatalogue()): AppParts {
  const priced =
    config.prices === null ? catalogue : applyOverrides(catalogue, readOverrides(config.prices));
  const store = new Store(config.db);
  const registry = new Registry();
  return {
    config,
    store,
    catalogue: priced,
    registry,
    aiMetrics: new AiMetrics(registry, { labelCaps: config.label_caps }),
    ingestMetrics: new IngestMetrics(registry, () => store.sizeBytes()),
  };
}
