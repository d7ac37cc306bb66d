import { type NextFunction, type Request, type Response, Router } from 'express';
import type { AppParts } from '../service/app.js';
import { HttpError } from '../service/body.js';
import { deleteBefore } from '../store/delete-before.js';
import { DIMENSIONS, type GroupBy, Queries, type SortBy } from '../store/queries.js';
import { type Access, ApiKeys, requireAdmin } from './access.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { FORMATS, streamExport } from './export.js';
import {
  breakdownRowJson,
  byCost,
  callDetailJson,
  callJson,
  iso,
  projectJson,
  summaryJson,
} from './json.js';
import {
  badRequest,
  FILTERS,
  filterOf,
  oneOf,
  type Params,
  parseTime,
  readParams,
  wholeNumber,
  withScope,
} from './params.js';
import { recomputeHandler } from './recompute.js';
import { GRANULARITIES, type Granularity, hourlyTrend, METRICS, timeseries } from './timeseries.js';

export const GROUP_KEYS: readonly GroupBy[] = [...DIMENSIONS, 'error_type'];
const SORTS: readonly SortBy[] = ['time', 'cost', 'latency'];
const ORDERS = ['desc', 'asc'] as const;
const MAX_PAGE_SIZE = 500;
/** Raw calls removed per transaction by DELETE /calls: ingest waits for no more than one. */

type Handler = (req: Request, res: Response, access: Access) => unknown;

/** The JSON query API under /api/v1 (collector/docs/api.md). */
export function apiRouter(parts: AppParts, now: () => number = Date.now): Router {
  const keys = new ApiKeys(parts.config);
  const queries = new Queries(parts.store.db);
  const router = Router();

  const route = (handler: Handler) => async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    await handler(req, res, keys.of(req));
  };
  const filtered = (req: Request, access: Access, extra: readonly string[] = []) => {
    const params = readParams(req.query, [...FILTERS, ...extra]);
    return { params, f: filterOf(params, access.scope, now()) };
  };
  const sorting = (params: Params) => ({
    sort: oneOf(params, 'sort', SORTS, 'time'),
    order: oneOf(params, 'order', ORDERS, 'desc'),
  });

  router.get(
    '/summary',
    route((req, res, access) => {
      const { f } = filtered(req, access);
      const { totals, distinct } = queries.summary(f);
      res.json(summaryJson(f, totals, distinct));
    }),
  );

  router.get(
    '/breakdown',
    route((req, res, access) => {
      const { params, f } = filtered(req, access, ['by']);
      const by = oneOf(params, 'by', GROUP_KEYS);
      const groups = byCost(queries.groups(f, { by, latency: true, lastAt: true, sums: 'tokens' }));
      res.json({ by, rows: groups.map(breakdownRowJson) });
    }),
  );

  router.get(
    '/timeseries',
    route((req, res, access) => {
      const { params, f } = filtered(req, access, ['granularity', 'metric', 'group_by']);
      const granularity = oneOf(
        params,
        'granularity',
        Object.keys(GRANULARITIES) as Granularity[],
        'hour',
      );
      const metric = oneOf(params, 'metric', METRICS, 'cost');
      const groupBy = params.group_by ? oneOf(params, 'group_by', GROUP_KEYS) : undefined;
      res.json(timeseries(queries, f, granularity, metric, groupBy));
    }),
  );

  router.get(
    '/calls',
    route((req, res, access) => {
      const { params, f } = filtered(req, access, ['page', 'page_size', 'sort', 'order', 'cursor']);
      const { sort, order } = sorting(params);
      const page = wholeNumber(params, 'page', 1, Number.MAX_SAFE_INTEGER, 1);
      const pageSize = wholeNumber(params, 'page_size', 1, MAX_PAGE_SIZE, 20);
      const cursor = params.cursor ? decodeCursor(params.cursor, sort, order) : undefined;
      const list = queries.list(f, {
        sort,
        desc: order === 'desc',
        limit: pageSize,
        ...(cursor ? { after: cursor } : { offset: (page - 1) * pageSize }),
      });
      res.json({
        total: list.total,
        // After a cursor the page's number is not worked out: that is what keeps deep pages fast.
        page: cursor ? null : page,
        page_size: pageSize,
        next_cursor: list.more && list.last ? encodeCursor(sort, order, list.last) : null,
        calls: list.rows.map(callJson),
      });
    }),
  );

  router.get(
    '/calls/:id',
    route((req, res, access) => {
      readParams(req.query, []);
      const id = String(req.params.id);
      if (!/^[0-9a-f]{48}$/i.test(id)) {
        throw badRequest(
          `id must be 48 hex characters (the trace id then the span id), got ${JSON.stringify(id.slice(0, 100))}`,
        );
      }
      const row = queries.call(id.slice(0, 32).toLowerCase(), id.slice(32).toLowerCase());
      // Another scope's call is answered as no call at all: a bound key cannot tell it exists.
      const { project, user } = access.scope;
      if (
        row === null ||
        (project !== undefined && row.project !== project) ||
        (user !== undefined && row.user !== user)
      ) {
        throw new HttpError(404, `no call with id ${id}`);
      }
      res.json(callDetailJson(row));
    }),
  );

  router.delete(
    '/calls',
    route(async (req, res, access) => {
      requireAdmin(access);
      const params = readParams(req.query, ['before']);
      if (!params.before)
        throw badRequest('before is required: the time before which calls are deleted');
      const before = parseTime('before', params.before);
      const deleted = await deleteBefore(parts.store, queries, before);
      // Budgets remember sums of stored calls: they read again after a delete.
      parts.budgets.invalidate();
      res.json({ deleted_calls: deleted.calls, deleted_rollup_rows: deleted.rollupRows });
    }),
  );

  router.post('/recompute', route(recomputeHandler(parts)));

  router.get(
    '/projects',
    route((req, res, access) => {
      const { f } = filtered(req, access);
      const groups = byCost(
        queries.groups(f, { by: 'project', latency: true, lastAt: true, sums: 'basic' }),
      );
      res.json({ projects: groups.map(projectJson) });
    }),
  );

  router.get(
    '/projects/:name',
    route((req, res, access) => {
      const name = String(req.params.name);
      const { params, f } = filtered(req, access);
      if (params.project && params.project !== name) {
        throw badRequest(
          `project (${JSON.stringify(params.project)}) and the path (${JSON.stringify(name)}) name different projects: leave project out`,
        );
      }
      const scoped = withScope({ ...f, project: name }, access.scope);
      // Whether the project has calls the key may see, ever: not whether these filters match any.
      if (!queries.exists(withScope({ project: name }, access.scope))) {
        throw new HttpError(404, `no project named ${JSON.stringify(name)}`);
      }
      // The trend first: a window too long for it is refused before anything is read.
      const trend = hourlyTrend(queries, scoped);
      const { totals, distinct } = queries.summary(scoped);
      res.json({
        name,
        summary: summaryJson(scoped, totals, distinct),
        trend,
        models: byCost(
          queries.groups(scoped, { by: 'model', latency: true, lastAt: true, sums: 'tokens' }),
        ).map(breakdownRowJson),
      });
    }),
  );

  router.get(
    '/budgets',
    route((req, res, access) => {
      readParams(req.query, []);
      // A bound key sees the budgets of its own project or user (budgets/budgets.ts).
      res.json({ budgets: parts.budgets.status(access.scope) });
    }),
  );

  router.get(
    '/export',
    route(async (req, res, access) => {
      const { params, f } = filtered(req, access, ['format', 'sort', 'order']);
      const format = oneOf(params, 'format', FORMATS, 'csv');
      const { sort, order } = sorting(params);
      await streamExport(res, queries, f, format, sort, order === 'desc');
    }),
  );

  router.get(
    '/info',
    route((req, res, access) => {
      readParams(req.query, []);
      const stored = queries.stored(access.scope);
      const bound = access.scope.project !== undefined || access.scope.user !== undefined;
      res.json({
        // The size of everyone's data is not a bound key's to know.
        db_bytes: bound ? null : parts.store.sizeBytes(),
        calls: stored.calls,
        oldest_call_at: stored.oldest === null ? null : iso(stored.oldest),
        newest_call_at: stored.newest === null ? null : iso(stored.newest),
        catalogue_version: parts.catalogue.version,
        retention_days: parts.config.retention.calls_days,
      });
    }),
  );

  router.use((req, res) => {
    res.status(404).json({ error: `no such endpoint: ${req.method} ${req.baseUrl}${req.path}` });
  });
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    console.error('costlens: API request failed:', err);
    res.status(500).json({ error: 'internal error; see the collector log' });
  });
  return router;
}
