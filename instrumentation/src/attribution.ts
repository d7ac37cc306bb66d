import { context, createContextKey } from '@opentelemetry/api';
import type { Attribution } from './types.js';

/**
 * Attribution travels in the OpenTelemetry context, so it follows async code
 * wherever the registered context manager carries context (AsyncLocalStorage
 * under the Node SDK), and nested scopes override only the fields they set.
 */
const ATTRIBUTION_KEY = createContextKey('costlens.attribution');

/** The attribution in force in the active context; `{}` outside any scope. */
export function currentAttribution(): Attribution {
  return (context.active().getValue(ATTRIBUTION_KEY) as Attribution | undefined) ?? {};
}

/**
 * Runs `fn` with calls charged to `attribution` (project, user, account), and
 * returns what `fn` returns. Fields left out keep the enclosing scope's value.
 *
 *   app.post('/chat', (req, res) => withAttributes({ user: req.user.id }, () => handle(req, res)));
 */
export function withAttributes<T>(attribution: Attribution, fn: () => T): T {
  if (attribution === null || typeof attribution !== 'object') {
    throw new TypeError(
      'withAttributes(attribution, fn): attribution must be an object such as { project: "web" }',
    );
  }
  if (typeof fn !== 'function') {
    throw new TypeError('withAttributes(attribution, fn): fn must be the function to run');
  }
  const merged: Attribution = { ...currentAttribution() };
  for (const key of ['project', 'user', 'account'] as const) {
    const v = attribution[key];
    if (v !== undefined && v !== null) merged[key] = String(v);
  }
  return context.with(context.active().setValue(ATTRIBUTION_KEY, merged), fn);
}
