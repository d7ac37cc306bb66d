import {
  type Catalogue,
  type CostBreakdown,
  isUnbilledFailure,
  type PriceResult,
  type Usage,
} from '@costlens/pricing';
import type Database from 'better-sqlite3';
import type { CallRecord } from '../records/call-record.js';
import { beyondCostLimit, type CallLimits } from '../records/limits.js';

/** Which stored calls to re-price; absent fields match every call. */
export interface RepriceFilter {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** The response model, else the request model, as the rollups name it. */
  model?: string;
  provider?: string;
}

export interface RepriceTotals {
  /** Calls looked at. */
  calls: number;
  /** Calls whose cost or price source changed. */
  changed: number;
  /** Calls left as they were because their cost rests on a count the record does not keep. */
  kept: number;
  /** Were unpriced, now priced. */
  newlyPriced: number;
  /** Were priced, now unpriced. */
  newlyUnpriced: number;
  /** The cost of the calls looked at, before and after, in pico-dollars (unpriced calls count 0). */
  beforePusd: bigint;
  afterPusd: bigint;
}

/** One chunk done: the totals so far and where the next chunk starts. */
export interface RepriceProgress {
  totals: RepriceTotals;
  /** The rowid of the last call done: pass it as `after` to resume. */
  lastRowid: number;
}

/** What re-pricing a call reads of it: its usage and the keys of its rollup row. */
interface Row
  extends Pick<
    CallRecord,
    | 'started_at'
    | 'project'
    | 'user'
    | 'account'
    | 'provider'
    | 'request_model'
    | 'response_model'
    | 'call_type'
    | 'status'
    | 'input_tokens'
    | 'output_tokens'
    | 'cache_read_tokens'
    | 'cache_write_tokens'
    | 'cache_write_1h_tokens'
    | 'reasoning_tokens'
    | 'image_count'
    | 'image_size'
    | 'image_resolution'
    | 'image_quality'
    | 'video_seconds'
    | 'video_resolution'
    | 'cost_pusd'
    | 'pricing_source'
  > {
  rowid: number;
  /** The start of the call's hour, as the rollups key it. */
  hour: number;
  /** 0 or 1, as SQLite holds it. */
  video_audio: number | null;
  cost_media: number | null;
}

const name = (column: string) => `(SELECT value FROM strings WHERE id = c.${column}) AS ${column}`;
const MODEL =
  'coalesce((SELECT value FROM strings WHERE id = c.response_model), (SELECT value FROM strings WHERE id = c.request_model))';

/** Sources whose cost was given by another tool: kept when our catalogue cannot price the call. */
const FOREIGN = new Set(['openlit', 'instrumentation']);

const HOUR_MS = 3_600_000;

/**
 * Re-prices stored calls with a catalogue (today's, with the user's overrides) and
 * moves the hourly rollups by the same amounts, in short transactions of `chunk`
 * calls in rowid order, so ingest goes on beside it and a stopped run resumes
 * where it stopped. Prices are taken at each call's own time.
 */
export class Repricer {
  readonly #db: Database.Database;
  readonly #catalogue: Catalogue;
  readonly #limits: CallLimits;

  constructor(db: Database.Database, catalogue: Catalogue, limits: CallLimits) {
    this.#db = db;
    this.#catalogue = catalogue;
    this.#limits = limits;
  }

  /** How many calls the filter matches after `after` (a rowid). */
  count(filter: RepriceFilter, after = 0): number {
    const { where, params } = whereOf(filter, after);
    return this.#db
      .prepare(`SELECT count(*) FROM calls AS c WHERE ${where}`)
      .pluck()
      .get(params) as number;
  }

  /**
   * Re-prices the calls the filter matches after rowid `after`. `onChunk` is told
   * after each committed chunk; returning false stops the run there (resume with
   * its lastRowid). Returns the totals of what was done.
   */
  run(
    filter: RepriceFilter,
    options: {
      after?: number;
      chunk?: number;
      onChunk?: (p: RepriceProgress) => boolean | undefined;
    } = {},
  ): RepriceTotals {
    let totals = emptyTotals();
    for (const p of this.chunks(filter, options)) {
      totals = p.totals;
      if (options.onChunk?.(p) === false) break;
    }
    return totals;
  }

  /**
   * The same run, a chunk at a time: each step commits one chunk and yields the
   * totals so far, so a caller on a server can give the event loop its turn between them.
   */
  *chunks(
    filter: RepriceFilter,
    options: { after?: number; chunk?: number } = {},
  ): Generator<RepriceProgress> {
    const totals = emptyTotals();
    const chunk = options.chunk ?? 2000;
    const { where, params } = whereOf(filter, '@after');
    const select = this.#db.prepare(
      `SELECT c.rowid AS rowid, started_at, (started_at / ${HOUR_MS}) * ${HOUR_MS} AS hour,
        ${['project', 'user', 'account', 'provider', 'request_model', 'response_model', 'call_type', 'status', 'image_size', 'image_resolution', 'image_quality', 'video_resolution', 'pricing_source'].map(name).join(', ')},
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
        reasoning_tokens, image_count, video_seconds, video_audio, cost_pusd, cost_media
       FROM calls AS c WHERE ${where} ORDER BY c.rowid LIMIT ${chunk}`,
    );
    const update = this.#db.prepare(
      `UPDATE calls SET cost_pusd = @cost, cost_input = @input, cost_output = @output,
        cost_cache_read = @cache_read, cost_cache_write = @cache_write, cost_reasoning = @reasoning,
        cost_media = @media, pricing_source = @source, unpriced_reason = @reason WHERE rowid = @rowid`,
    );
    const rollup = this.#db.prepare(
      `UPDATE rollups_hourly SET cost_pusd = cost_pusd + @delta, unpriced = unpriced + @unpriced
       WHERE hour = @hour AND project = @project AND user = @user AND account = @account
         AND provider = @provider AND model = @model AND call_type = @call_type AND status = @status`,
    );
    const addString = this.#db.prepare(
      'INSERT INTO strings (value) VALUES (?) ON CONFLICT (value) DO NOTHING',
    );
    const getString = this.#db.prepare('SELECT id FROM strings WHERE value = ?').pluck();
    const stringId = (v: string | null) => {
      if (v === null) return null;
      addString.run(v);
      return getString.get(v) as number;
    };

    let after = options.after ?? 0;
    const step = this.#db.transaction((rows: Row[]) => {
      for (const row of rows) {
        const next = this.#price(row);
        totals.calls++;
        const before = row.cost_pusd;
        totals.beforePusd += BigInt(before ?? 0);
        if (next === 'keep') {
          totals.kept++;
          totals.afterPusd += BigInt(before ?? 0);
          continue;
        }
        totals.afterPusd += BigInt(next.cost ?? 0);
        if (next.cost === before && next.source === row.pricing_source) continue;
        totals.changed++;
        if (before === null && next.cost !== null) totals.newlyPriced++;
        if (before !== null && next.cost === null) totals.newlyUnpriced++;
        const b = next.breakdown;
        update.run({
          rowid: row.rowid,
          cost: next.cost,
          input: b?.input ?? null,
          output: b?.output ?? null,
          cache_read: b?.cache_read ?? null,
          cache_write: b?.cache_write ?? null,
          reasoning: b?.reasoning ?? null,
          media: b?.media ?? null,
          source: stringId(next.source),
          reason: next.reason,
        });
        rollup.run({
          delta: (next.cost ?? 0) - (before ?? 0),
          unpriced: (next.cost === null ? 1 : 0) - (before === null ? 1 : 0),
          hour: row.hour,
          project: row.project ?? '',
          user: row.user ?? '',
          account: row.account ?? '',
          provider: row.provider ?? '',
          model: row.response_model ?? row.request_model ?? '',
          call_type: row.call_type,
          status: row.status,
        });
      }
    });
    for (;;) {
      const rows = select.all({ ...params, after }) as Row[];
      if (rows.length === 0) break;
      // One short write transaction a chunk: the collector's writer waits at most this long.
      step.immediate(rows);
      after = rows.at(-1)!.rowid;
      yield { totals, lastRowid: after };
      if (rows.length < chunk) break;
    }
  }

  /** The call's new cost, or 'keep' when it cannot be re-priced faithfully. */
  #price(row: Row):
    | 'keep'
    | {
        cost: number | null;
        breakdown: CostBreakdown | null;
        source: string | null;
        reason: string | null;
      } {
    const usage: Usage = {};
    const set = <K extends keyof Usage>(k: K, v: Usage[K] | null) => {
      if (v !== null && v !== undefined) usage[k] = v;
    };
    set('input_tokens', row.input_tokens);
    set('output_tokens', row.output_tokens);
    set('cache_read_tokens', row.cache_read_tokens);
    set('cache_write_tokens', row.cache_write_tokens);
    set('cache_write_1h_tokens', row.cache_write_1h_tokens);
    set('reasoning_tokens', row.reasoning_tokens);
    set('images', row.image_count);
    set('image_size', row.image_size);
    set('image_resolution', row.image_resolution);
    set('image_quality', row.image_quality);
    set('video_seconds', row.video_seconds);
    set('video_resolution', row.video_resolution);
    if (row.video_audio !== null) usage.video_audio = row.video_audio === 1;
    if (isUnbilledFailure(row.status === 'error', usage)) {
      return { cost: 0, breakdown: null, source: 'not billed', reason: null };
    }
    // What the provider said it charged (OpenRouter) is the cost, not an estimate of it.
    if (row.pricing_source === 'provider' && row.cost_pusd !== null) return 'keep';
    // Image output tokens are priced but not kept on the record: such a cost stays as it was.
    if ((row.cost_media ?? 0) > 0 && row.image_count === null && row.video_seconds === null) {
      return 'keep';
    }
    const model = row.response_model ?? row.request_model;
    if (model === null) return 'keep';
    let r: PriceResult;
    try {
      r = this.#catalogue.price({
        ...usage,
        model,
        ...(row.provider ? { provider: row.provider } : {}),
        at: row.started_at,
      });
    } catch (err) {
      return { cost: null, breakdown: null, source: null, reason: (err as Error).message };
    }
    if (r.unpriced) {
      // A cost another tool gave is better than none.
      if (row.cost_pusd !== null && FOREIGN.has(row.pricing_source ?? '')) return 'keep';
      return { cost: null, breakdown: null, source: r.source, reason: r.reason };
    }
    const beyond = beyondCostLimit(r.cost_pusd, this.#limits);
    if (beyond !== null) return { cost: null, breakdown: null, source: r.source, reason: beyond };
    return { cost: r.cost_pusd, breakdown: r.breakdown_pusd, source: r.source, reason: null };
  }
}

function emptyTotals(): RepriceTotals {
  return {
    calls: 0,
    changed: 0,
    kept: 0,
    newlyPriced: 0,
    newlyUnpriced: 0,
    beforePusd: 0n,
    afterPusd: 0n,
  };
}

function whereOf(
  filter: RepriceFilter,
  after: number | '@after',
): { where: string; params: Record<string, unknown> } {
  const parts = [after === '@after' ? 'c.rowid > @after' : `c.rowid > ${Number(after)}`];
  const params: Record<string, unknown> = {};
  if (filter.from !== undefined) {
    parts.push('c.started_at >= @from');
    params.from = filter.from;
  }
  if (filter.to !== undefined) {
    parts.push('c.started_at < @to');
    params.to = filter.to;
  }
  if (filter.model !== undefined) {
    parts.push(`${MODEL} = @model`);
    params.model = filter.model;
  }
  if (filter.provider !== undefined) {
    parts.push('c.provider = (SELECT id FROM strings WHERE value = @provider)');
    params.provider = filter.provider;
  }
  return { where: parts.join(' AND '), params };
}
