import type { ListPosition, SortBy } from '../store/queries.js';
import { badRequest } from './params.js';

// next_cursor: where a page of GET /calls ended, opaque to clients. It carries the
// sort it was made for, so it cannot be replayed against another order.

export function encodeCursor(sort: SortBy, order: 'asc' | 'desc', at: ListPosition): string {
  return Buffer.from(JSON.stringify([sort, order, at.v, at.t, at.r])).toString('base64url');
}

export function decodeCursor(text: string, sort: SortBy, order: 'asc' | 'desc'): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length === 5 &&
    typeof parsed[0] === 'string' &&
    typeof parsed[1] === 'string' &&
    (parsed[2] === null || Number.isSafeInteger(parsed[2])) &&
    Number.isSafeInteger(parsed[3]) &&
    Number.isSafeInteger(parsed[4]);
  if (!ok) {
    throw badRequest(
      'cursor is not one this API gave: pass next_cursor as it came, or leave cursor out to start again',
    );
  }
  const [s, o, v, t, r] = parsed as [string, string, number | null, number, number];
  if (s !== sort || o !== order) {
    throw badRequest(
      `cursor was made for sort=${s}&order=${o}: ask with the same sort and order, or leave cursor out to start again`,
    );
  }
  return { v, t, r };
}
