import { type CostBreakdown, pusdToUsd, USAGE_COUNTS, type Usage } from '@costlens/pricing';
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

/**
 * `JSON.stringify(breakdownToUsd(b))`, written from the pUSD integers: formatting
 * six floats was the largest part of pricing a call (measured: 0.7–0.9 µs of
 * about 1.3 µs). The text is the same, to the character.
 */
export function breakdownJson(b: CostBreakdown): string {
  return `{"input":${usdJson(b.input)},"output":${usdJson(b.output)},"cache_read":${usdJson(b.cache_read)},"cache_write":${usdJson(b.cache_write)},"reasoning":${usdJson(b.reasoning)},"media":${usdJson(b.media)}}`;
}

/**
 * `JSON.stringify(pusdToUsd(pusd))`. From $0.000001 to below $1,000 a whole pUSD
 * amount has at most 15 significant digits, so its exact decimal is the shortest
 * text that reads back as the same double, which is what JavaScript writes, and
 * JavaScript writes it without an exponent: the digits are placed, not formatted.
 * Anything else is left to JSON.stringify.
 */
export function usdJson(pusd: number): string {
  if (pusd === 0) return '0';
  if (!Number.isInteger(pusd) || pusd < 1e6 || pusd >= 1e15) {
    return JSON.stringify(pusdToUsd(pusd));
  }
  const whole = Math.floor(pusd / 1e12);
  let frac = pusd - whole * 1e12;
  if (frac === 0) return String(whole);
  // Trailing zeros dropped as a number, then the leading ones put back.
  let places = 12;
  while (frac % 10 === 0) {
    frac /= 10;
    places--;
  }
  const text = String(frac);
  return `${whole}.${ZEROS[places - text.length]}${text}`;
}

/** ZEROS[n] is n zeros. */
const ZEROS = Array.from({ length: 13 }, (_, n) => '0'.repeat(n));
