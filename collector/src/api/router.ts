import { Router } from 'express';
import type { AppParts } from '../service/app.js';

/** The JSON query API under /api/v1 (collector/docs/api.md). */
export function apiRouter(_parts: AppParts): Router {
  return Router();
}
