import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './body.js';
import type { ApiKey } from './config.js';

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/**
 * The keys a request may carry, compared in constant time: the presented key and
 * every configured one are hashed to the same length and all of them are compared,
 * so neither the answer's timing nor an early exit tells how much of a key was right.
 */
export class KeyRing {
  readonly #keys: { key: ApiKey; digest: Buffer }[];

  constructor(keys: readonly ApiKey[]) {
    this.#keys = keys.map((key) => ({ key, digest: digest(key.key) }));
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The configured key the request carries (Authorization: Bearer, or x-api-key), or null. */
  match(req: IncomingMessage): ApiKey | null {
    const given = presentedKey(req);
    if (given === undefined) return null;
    const d = digest(given);
    let found: ApiKey | null = null;
    for (const k of this.#keys) {
      if (timingSafeEqual(d, k.digest) && found === null) found = k.key;
    }
    return found;
  }

  /**
   * The key the request carries; with `open` (no keys configured anywhere, loopback
   * only) everyone passes with none. Throws a 401 HttpError otherwise.
   */
  authorize(req: IncomingMessage, open: boolean): ApiKey | null {
    if (open) return null;
    const key = this.match(req);
    // The same sentence for a missing and a wrong key: nothing about which keys exist leaks.
    if (key === null)
      throw new HttpError(
        401,
        'missing or invalid API key (send Authorization: Bearer <key> or x-api-key)',
      );
    return key;
  }
}

function presentedKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  const x = req.headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}
