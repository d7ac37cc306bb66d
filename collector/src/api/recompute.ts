import { pusdToUsd } from '@costlens/pricing';
import type { Request, Response } from 'express';
import type { AppParts } from '../service/app.js';
import { HttpError } from '../service/body.js';
import { type RepriceFilter, Repricer, type RepriceTotals } from '../store/recompute.js';
import { type Access, requireAdmin } from './access.js';
import { badRequest, parseTime, readParams } from './params.js';

/**
 * POST /api/v1/recompute (admin): `costlens recompute` inside the collector. It
 * re-prices a chunk at a time with the event loop's turn between chunks, so
 * exports go on being stored, and then rebuilds /metrics from the records and has
 * the budgets read their sums again. One run at a time.
 */
export function recomputeHandler(parts: AppParts) {
  let running = false;
  return async (req: Request, res: Response, access: Access): Promise<void> => {
    requireAdmin(access);
    const params = readParams(req.query, ['from', 'to', 'model', 'provider']);
    const filter: RepriceFilter = {};
    if (params.from) filter.from = parseTime('from', params.from);
    if (params.to) filter.to = parseTime('to', params.to);
    if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to)
      throw badRequest('from must be before to');
    if (params.model) filter.model = params.model;
    if (params.provider) filter.provider = params.provider;
    if (running) throw new HttpError(409, 'a recompute is already running; try again when it ends');
    running = true;
    try {
      const repricer = new Repricer(parts.store.db, parts.catalogue, parts.config.limits);
      let totals: RepriceTotals | null = null;
      for (const p of repricer.chunks(filter)) {
        totals = p.totals;
        await new Promise((resolve) => setImmediate(resolve));
      }
      parts.aiMetrics.rebuild(parts.store.calls());
      parts.budgets.invalidate();
      res.json(totalsJson(totals));
    } finally {
      running = false;
    }
  };
}

function totalsJson(t: RepriceTotals | null) {
  return {
    calls: t?.calls ?? 0,
    changed: t?.changed ?? 0,
    newly_priced: t?.newlyPriced ?? 0,
    newly_unpriced: t?.newlyUnpriced ?? 0,
    kept: t?.kept ?? 0,
    before_usd: pusdToUsd(Number(t?.beforePusd ?? 0n)),
    after_usd: pusdToUsd(Number(t?.afterPusd ?? 0n)),
  };
}
