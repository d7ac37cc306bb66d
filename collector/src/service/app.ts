import type { Catalogue } from '@costlens/pricing';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { OpenMetricsContentType, Registry } from 'prom-client';
import { apiRouter } from '../api/router.js';
import type { Budgets } from '../budgets/budgets.js';
import type { AiMetrics } from '../metrics/ai-metrics.js';
import type { IngestMetrics } from '../metrics/ingest-metrics.js';
import type { Store } from '../store/store.js';
import type { BatchWriter } from '../store/writer.js';
import { type Config, hasKeys } from './config.js';
import { Ingest } from './ingest.js';
import { KeyRing } from './keys.js';
import { pageRouter } from './page.js';

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
  budgets: Budgets;
}

/** The collector's HTTP routes: OTLP in (ingest.ts), health, readiness, /metrics, the API (api/) and the page. */
export function createApp(parts: AppParts): Express {
  const { config, store } = parts;
  const { ingest: ingestKeys, read, admin } = config.keys;
  const open = !hasKeys(config);
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
    let text: string;
    try {
      text = await chosen.metrics();
    } catch (err) {
      console.error('costlens: /metrics could not be rendered:', err);
      res
        .status(500)
        .type('text/plain')
        .send('the metrics could not be rendered; see the collector log\n');
      return;
    }
    res.setHeader('Content-Type', chosen.contentType);
    res.send(text);
  });
  app.use('/api/v1', apiRouter(parts));
  app.use(pageRouter());
  app.use((req, res) => {
    res.status(404).type('text/plain').send(`no such endpoint: ${req.method} ${req.path}\n`);
  });
  // Anything else that fails answers one sentence: never a stack trace or a path.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    console.error('costlens: request failed:', err);
    const status = (err as { status?: unknown })?.status;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    if (res.headersSent) return void res.end();
    res
      .status(code)
      .type('text/plain')
      .send(
        code === 500 ? 'internal error; see the collector log\n' : `${(err as Error).message}\n`,
      );
  });
  return app;
}
