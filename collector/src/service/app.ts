import type { Catalogue } from '@costlens/pricing';
import express, { type Express } from 'express';
import type { OpenMetricsContentType, Registry } from 'prom-client';
import type { AiMetrics } from '../metrics/ai-metrics.js';
import type { IngestMetrics } from '../metrics/ingest-metrics.js';
import type { Store } from '../store/store.js';
import type { BatchWriter } from '../store/writer.js';
import type { Config } from './config.js';
import { Ingest } from './ingest.js';
import { KeyRing } from './keys.js';

/** The parts a collector is built from; tests pass temp databases and fresh registries. */
export interface AppParts {
  config: Config;
  /** Reads (readiness, retention, size); exports are stored through `writer`. */
  store: Store;
  /** Stores each export request's records in one transaction, on a thread of its own. */
  writer: BatchWriter;
  catalogue: Catalogue;
  /** The Prometheus text format. */
  registry: Registry;
  /** The same metrics in the OpenMetrics format, for scrapers that ask for it. */
  openMetrics: Registry<OpenMetricsContentType>;
  aiMetrics: AiMetrics;
  ingestMetrics: IngestMetrics;
}

/** The collector's HTTP routes: OTLP in (see ingest.ts), health, readiness and /metrics. */
export function createApp(parts: AppParts): Express {
  const { config, store } = parts;
  const { ingest: ingestKeys, read, admin } = config.keys;
  const open = ingestKeys.length + read.length + admin.length === 0;
  const ingest = new Ingest({ ...parts, keys: new KeyRing(ingestKeys), open });
  const readKeys = new KeyRing([...read, ...admin]);

  const app = express();
  app.disable('x-powered-by');

  app.post('/v1/traces', (req, res) => ingest.handle('traces', req, res));
  app.post('/v1/metrics', (req, res) => ingest.handle('metrics', req, res));
  app.post('/v1/logs', (req, res) => ingest.handle('logs', req, res));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const reason = store.unready();
    if (reason === null) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not ready', reason });
  });
  app.get('/metrics', async (req, res) => {
    try {
      readKeys.authorize(req, open);
    } catch (err) {
      res
        .status(401)
        .type('text/plain')
        .send(`${(err as Error).message}\n`);
      return;
    }
    const accept = String(req.headers.accept ?? '');
    const chosen = accept.includes('application/openmetrics-text')
      ? parts.openMetrics
      : parts.registry;
    res.setHeader('Content-Type', chosen.contentType);
    res.send(await chosen.metrics());
  });
  return app;
}
