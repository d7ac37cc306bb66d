import type { IncomingMessage } from 'node:http';
import { describe, expect, it, vi } from 'vitest';

// The comparison itself is Node's: count its calls to see that every configured key
// is compared, whatever the presented key is (no early exit at the first match).
vi.mock('node:crypto', async (actual) => {
  const crypto = await actual<typeof import('node:crypto')>();
  return { ...crypto, timingSafeEqual: vi.fn(crypto.timingSafeEqual) };
});
const { timingSafeEqual } = await import('node:crypto');
const { KeyRing } = await import('../src/service/keys.js');

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const ring = new KeyRing([
  { key: 'ingest-key-0123456789' },
  { key: 'team-a-key-0123456789', project: 'team-a' },
  { key: 'third-key-0123456789ab' },
]);

describe('KeyRing', () => {
  it('finds the key a request carries as Bearer or x-api-key, and nothing near it', () => {
    expect(ring.match(req({ authorization: 'Bearer team-a-key-0123456789' }))).toEqual({
      key: 'team-a-key-0123456789',
      project: 'team-a',
    });
    expect(ring.match(req({ 'x-api-key': ' ingest-key-0123456789 ' }))?.key).toBe(
      'ingest-key-0123456789',
    );
    for (const near of [
      'ingest-key-012345678',
      'ingest-key-01234567890',
      'INGEST-KEY-0123456789',
      '',
    ]) {
      expect(ring.match(req({ 'x-api-key': near })), near).toBeNull();
    }
    expect(ring.match(req({}))).toBeNull();
  });

  it('compares in constant time: digests of equal length, every configured key each time', () => {
    const compare = vi.mocked(timingSafeEqual);
    for (const given of ['ingest-key-0123456789', 'third-key-0123456789ab', 'x', 'a'.repeat(500)]) {
      compare.mockClear();
      ring.match(req({ 'x-api-key': given }));
      expect(compare, given).toHaveBeenCalledTimes(3);
      for (const [a, b] of compare.mock.calls)
        expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
    }
  });

  it('authorize: open (no keys anywhere) lets everyone in; otherwise a 401 that says what to send', () => {
    expect(new KeyRing([]).authorize(req({}), true)).toBeNull();
    expect(() => ring.authorize(req({ 'x-api-key': 'nope' }), false)).toThrow(
      expect.objectContaining({
        status: 401,
        message: 'missing or invalid API key (send Authorization: Bearer <key> or x-api-key)',
      }),
    );
  });
});
