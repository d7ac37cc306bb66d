import { applyOverrides, type Catalogue, loadCatalogue, readOverrides } from '@costlens/pricing';
import { type OpenMetricsContentType, Registry } from 'prom-client';
import { AiMetrics } from '../metrics/ai-metrics.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { Store } from '../store/store.js';
import { openWriter } from '../store/writer.js';
import type { AppParts } from './app.js';
import type { Config } from './config.js';

/** Builds the collector's parts from a config: its database, catalogue (with the user's prices) and metrics. */
export function buildParts(config: Config, catalogue: Catalogue = loadCatalogue()): AppParts {
  const priced =
    config.prices === null ? catalogue : applyOverrides(catalogue, readOverrides(config.prices));
  const store = new Store(config.db);
  const registry = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return {
    config,
    store,
    writer: openWriter(store),
    catalogue: priced,
    registry,
    openMetrics,
    aiMetrics: new AiMetrics([registry, openMetrics], { labelCaps: config.label_caps }),
    ingestMetrics: new IngestMetrics([registry, openMetrics], () => store.sizeBytes()),
  };
}
