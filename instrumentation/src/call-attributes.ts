import { pusdToUsd, USAGE_COUNTS, type Usage } from '@costlens/pricing';
import type { AttributeValue, Span } from '@opentelemetry/api';
import * as S from './semconv.js';

/**
 * What a call writes onto its span as it ends, set attribute by attribute: no
 * object is built per call only for the SDK to copy it.
 */

export function put(span: Span, key: string, v: AttributeValue | undefined): void {
  if (v !== undefined) span.setAttribute(key, v);
}

/** Whether the usage has any count to price (tokens, images, seconds...). */
export function hasCounts(u: Usage): boolean {
  // Most calls report tokens: the list is walked only for the others (media, seconds).
  if (typeof u.input_tokens === 'number' || typeof u.output_tokens === 'number') return true;
  for (const k of USAGE_COUNTS) if (typeof u[k] === 'number') return true;
  return false;
}

/** The cost attributes, in USD (converted here, where the amount leaves); returns the pUSD. */
export function costOf(
  span: Span,
  pusd: number,
  breakdown: string | undefined,
  source: string | undefined,
): number {
  const usd = pusdToUsd(pusd);
  span.setAttribute(S.ATTR_COSTLENS_COST_USD, usd);
  span.setAttribute(S.ATTR_GEN_AI_USAGE_COST, usd);
  if (breakdown !== undefined) span.setAttribute(S.ATTR_COSTLENS_COST_BREAKDOWN, breakdown);
  if (source !== undefined) span.setAttribute(S.ATTR_COSTLENS_PRICING_SOURCE, source);
  return pusd;
}

/** Unpriced, and why: an unknown cost is shown as unknown, never as 0. */
export function unpriced(span: Span, reason: string): undefined {
  span.setAttribute(S.ATTR_COSTLENS_COST_UNPRICED, true);
  span.setAttribute(S.ATTR_COSTLENS_COST_UNPRICED_REASON, reason);
  return undefined;
}
