import type Database from 'better-sqlite3';
import type { Store } from './store.js';

/** What a budget counts: each given field must match (the rollups' `model` is the response model, else the request model). */
export type SpendScope = Partial<
  Record<'project' | 'user' | 'account' | 'provider' | 'model', string>
>;

const SCOPE_FIELDS = ['project', 'user', 'account', 'provider', 'model'] as const;

/** The same field in the calls table, where text is a strings id. */
const CALL_FIELD: Record<(typeof SCOPE_FIELDS)[number], string> = {
  project: 'project',
  user: 'user',
  account: 'account',
  provider: 'provider',
  model: 'coalesce(response_model, request_model)',
};

/** The values of the scope fields given, in SCOPE_FIELDS order (the statements' order). */
const scopeValues = (scope: SpendScope) =>
  SCOPE_FIELDS.flatMap((f) => (scope[f] === undefined ? [] : [scope[f]]));

/** A row of budget_messages (schema v2). */
export interface BudgetMessageRow {
  budget: string;
  period_start: number;
  kind: string;
  created_at: number;
  payload: string;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string | null;
}

/** After an attempt: what changes in a message's row. */
export interface AttemptResult {
  payload: string;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string | null;
}

/**
 * The SQL budgets need, and nothing SQLite-specific outside it: spend sums from
 * the hourly rollups and the calls (in pUSD, as BigInt so no sum is ever rounded),
 * and the budget_messages table. Runs on the collector's reading connection.
 */
export class BudgetQueries {
  readonly #db: Database.Database;
  readonly #rollups = new Map<string, Database.Statement>();
  readonly #calls = new Map<string, Database.Statement>();
  readonly #newCalls = new Map<string, Database.Statement>();
  readonly #lastCall: Database.Statement;
  readonly #newSpan: Database.Statement;
  readonly #kinds: Database.Statement;
  readonly #add: Database.Statement;
  readonly #due: Database.Statement;
  readonly #nextDue: Database.Statement;
  readonly #attempt: Database.Statement;

  constructor(store: Store) {
    const db = store.db;
    this.#db = db;
    this.#lastCall = db.prepare('SELECT max(rowid) FROM calls').pluck();
    // NOT INDEXED: walk the few rows stored since `after` by rowid, never an index.
    this.#newSpan = db.prepare(
      'SELECT min(started_at) AS first, max(started_at) AS last FROM calls NOT INDEXED WHERE rowid > ? AND rowid <= ?',
    );
    this.#kinds = db
      .prepare('SELECT kind FROM budget_messages WHERE budget = ? AND period_start = ?')
      .pluck();
    this.#add = db.prepare(
      `INSERT INTO budget_messages (budget, period_start, kind, created_at, payload, next_attempt_at, delivered_at)
       VALUES (@budget, @period_start, @kind, @created_at, @payload, @next_attempt_at, @delivered_at)
       ON CONFLICT (budget, period_start, kind) DO NOTHING`,
    );
    this.#due = db.prepare(
      `SELECT * FROM budget_messages
       WHERE delivered_at IS NULL AND next_attempt_at <= ? AND created_at > ?
       ORDER BY next_attempt_at LIMIT ?`,
    );
    this.#nextDue = db
      .prepare(
        'SELECT min(next_attempt_at) FROM budget_messages WHERE delivered_at IS NULL AND created_at > ?',
      )
      .pluck();
    this.#attempt = db.prepare(
      `UPDATE budget_messages SET payload = @payload, attempts = @attempts,
       next_attempt_at = @next_attempt_at, delivered_at = @delivered_at, last_error = @last_error
       WHERE budget = @budget AND period_start = @period_start AND kind = @kind`,
    );
  }

  /**
   * Runs `read` in one read transaction: every sum in it, and lastCallId(), see
   * the same committed calls (WAL: the writer is not held up).
   */
  snapshot<T>(read: () => T): T {
    return this.#db.transaction(read)();
  }

  /** The newest stored call's rowid (0 when none): calls stored later have a larger one. */
  lastCallId(): number {
    return (this.#lastCall.get() as number | null) ?? 0;
  }

  /** The earliest and latest start among the calls stored after `after` up to `upTo` (rowids); null when none. */
  newCallsSpan(after: number, upTo: number): { first: number; last: number } | null {
    const r = this.#newSpan.get(after, upTo) as { first: number | null; last: number | null };
    return r.first === null || r.last === null ? null : { first: r.first, last: r.last };
  }

  /** pUSD of the calls in scope stored after `after` up to `upTo` (rowids) that started in [from, to). */
  newCallsPusd(scope: SpendScope, from: number, to: number, after: number, upTo: number): bigint {
    if (to <= from) return 0n;
    const stmt = this.#callsStatement(
      this.#newCalls,
      scope,
      // NOT INDEXED: the new rows by rowid, then their time and scope.
      'FROM calls NOT INDEXED WHERE rowid > ? AND rowid <= ? AND started_at >= ? AND started_at < ?',
    );
    return (stmt.get(after, upTo, from, to, ...scopeValues(scope)) as bigint | null) ?? 0n;
  }

  /** pUSD of calls in scope in the rollup hours [fromHour, toHour). */
  rollupPusd(scope: SpendScope, fromHour: number, toHour: number): bigint {
    if (toHour <= fromHour) return 0n;
    const fields = SCOPE_FIELDS.filter((f) => scope[f] !== undefined);
    const key = fields.join(',');
    let stmt = this.#rollups.get(key);
    if (stmt === undefined) {
      const where = fields.map((f) => ` AND ${f} = ?`).join('');
      stmt = this.#db
        .prepare(`SELECT sum(cost_pusd) FROM rollups_hourly WHERE hour >= ? AND hour < ?${where}`)
        .pluck()
        .safeIntegers(true);
      this.#rollups.set(key, stmt);
    }
    return (stmt.get(fromHour, toHour, ...scopeValues(scope)) as bigint | null) ?? 0n;
  }

  /** pUSD of calls in scope that started in [from, to). */
  callsPusd(scope: SpendScope, from: number, to: number): bigint {
    if (to <= from) return 0n;
    const stmt = this.#callsStatement(
      this.#calls,
      scope,
      'FROM calls WHERE started_at >= ? AND started_at < ?',
    );
    return (stmt.get(from, to, ...scopeValues(scope)) as bigint | null) ?? 0n;
  }

  /** `SELECT sum(cost_pusd) <from>` and the scope's conditions, prepared once per set of scope fields. */
  #callsStatement(
    cache: Map<string, Database.Statement>,
    scope: SpendScope,
    from: string,
  ): Database.Statement {
    const fields = SCOPE_FIELDS.filter((f) => scope[f] !== undefined);
    const key = fields.join(',');
    let stmt = cache.get(key);
    if (stmt === undefined) {
      const where = fields
        .map((f) => ` AND ${CALL_FIELD[f]} = (SELECT id FROM strings WHERE value = ?)`)
        .join('');
      stmt = this.#db.prepare(`SELECT sum(cost_pusd) ${from}${where}`).pluck().safeIntegers(true);
      cache.set(key, stmt);
    }
    return stmt;
  }

  /** The kinds of message a budget already has for the period starting at `periodStart`. */
  messageKinds(budget: string, periodStart: number): string[] {
    return this.#kinds.all(budget, periodStart) as string[];
  }

  /** Records a message unless one of its budget, period and kind exists; true when it was new. */
  addMessage(row: Omit<BudgetMessageRow, 'attempts' | 'last_error'>): boolean {
    return this.#add.run(row).changes === 1;
  }

  /** Undelivered messages created after `createdAfter` whose next attempt is due at `now`, oldest due first. */
  dueMessages(now: number, createdAfter: number, limit: number): BudgetMessageRow[] {
    return this.#due.all(now, createdAfter, limit) as BudgetMessageRow[];
  }

  /** When the next undelivered message created after `createdAfter` is due, or null when none waits. */
  nextAttemptAt(createdAfter: number): number | null {
    return this.#nextDue.get(createdAfter) as number | null;
  }

  recordAttempt(key: Pick<BudgetMessageRow, 'budget' | 'period_start' | 'kind'>, r: AttemptResult) {
    this.#attempt.run({ ...key, ...r });
  }
}
