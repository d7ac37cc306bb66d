import type { IncomingMessage } from 'node:http';
import { HttpError } from '../service/body.js';
import { type Config, hasKeys } from '../service/config.js';
import { KeyRing } from '../service/keys.js';

/** What a read key is bound to: it sees only these calls. */
export interface Scope {
  project?: string;
  user?: string;
}

/** Who is asking: an admin key (or no keys configured at all) sees everything and may delete. */
export interface Access {
  admin: boolean;
  scope: Scope;
}

/**
 * The API's keys: read keys (maybe bound to a project or a user) and admin keys.
 * Ingest keys do not read. Keys are matched in constant time (KeyRing).
 */
export class ApiKeys {
  readonly #open: boolean;
  readonly #read: KeyRing;
  readonly #admin: KeyRing;

  constructor(config: Config) {
    this.#open = !hasKeys(config);
    this.#read = new KeyRing(config.keys.read);
    this.#admin = new KeyRing(config.keys.admin);
  }

  /** The request's access; a 401 HttpError without a read or admin key (when keys are configured). */
  of(req: IncomingMessage): Access {
    if (this.#open) return { admin: true, scope: {} };
    // Both rings are asked every time, so the answer's timing does not tell which one held the key.
    const admin = this.#admin.match(req);
    const read = this.#read.match(req);
    if (admin !== null) return { admin: true, scope: {} };
    if (read === null) {
      throw new HttpError(
        401,
        'missing or invalid API key (send Authorization: Bearer <key> or x-api-key with a read or admin key)',
      );
    }
    const scope: Scope = {};
    if (read.project !== undefined) scope.project = read.project;
    if (read.user !== undefined) scope.user = read.user;
    return { admin: false, scope };
  }
}

/** Refuses a request that needs an admin key. */
export function requireAdmin(access: Access): void {
  if (!access.admin) throw new HttpError(403, 'this endpoint needs an admin key (keys.admin)');
}
