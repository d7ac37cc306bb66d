import { Router } from 'express';

/** The usage page at / and its assets. */
export function pageRouter(): Router {
  return Router();
}
