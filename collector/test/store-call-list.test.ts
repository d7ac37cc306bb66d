import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/records/call-record.js';
import { Queries, type QueryFilter, type SortBy } from '../src/store/queries.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { insertRecords } from './support/store.js';

/**
 * The call list in every order, page by page through cursors and by page number, and
 * the export's batches, against the calls sorted one by one over windows of many days
 * and of part of one: unpriced calls after the priced ones either way, ties by start
 * time and then storage order.
 */

const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 24 * HOUR;
const NOW = Date.now();
/** Calls over the 70 hours before now: three or four days. */
const FIRST = NOW - 70 * HOUR;

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

/** A stored call and where it was stored (its rowid: the calls are stored in this order). */
interface Stored {
  call: CallRecord;
  row: number;
}

function makeCalls(n: number): CallRecord[] {
  const rnd = random(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: CallRecord[] = [];
  let previous = FIRST;
  for (let i = 0; i < n; i++) {
    // Some calls start at the same millisecond as the one before: ties on time.
    const started = i % 9 === 0 ? previous : FIRST + Math.floor(rnd() * (NOW - 1 - FIRST));
    previous = started;
    const failed = rnd() < 0.15;
    const trace = (i + 1).toString(16).padStart(32, '0');
    const span = (i + 1).toString(16).padStart(16, '0');
    const duration = pick([800, 800, 1200, Math.floor(rnd() * 90_000)]);
    out.push(
      callRecord({
        id: trace + span,
        trace_id: trace,
        span_id: span,
        started_at: started,
        finished_at: started + duration,
        duration_ms: duration,
        project: pick(['p0', 'p1', 'p2', null]),
        provider: pick(['openai', 'anthropic']),
        request_model: pick(['m-a', 'm-b']),
        response_model: pick(['m-a', 'm-b', null]),
        status: failed ? 'error' : 'success',
        error_type: failed ? 'timeout' : null,
        // Unpriced calls, free failures, and few distinct costs: ties on cost.
        cost_pusd: failed ? pick([0, null]) : pick([null, 5, 1_000_000, 1_000_000, 7_500_000_000]),
      }),
    );
  }
  return out;
}

const modelOf = (c: CallRecord) => c.response_model ?? c.request_model;
const matches = (c: CallRecord, f: QueryFilter) =>
  c.started_at >= f.from &&
  c.started_at < f.to &&
  (f.project === undefined || c.project === f.project) &&
  (f.provider === undefined || c.provider === f.provider) &&
  (f.model === undefined || modelOf(c) === f.model) &&
  (f.status === undefined || c.status === f.status);

/** The list's order, written out: the API's documented order. */
function compare(sort: SortBy, desc: boolean): (a: Stored, b: Stored) => number {
  const s = desc ? -1 : 1;
  const tail = (a: Stored, b: Stored) =>
    s * (a.call.started_at - b.call.started_at || a.row - b.row);
  if (sort === 'time') return tail;
  if (sort === 'latency') {
    return (a, b) => s * (a.call.duration_ms - b.call.duration_ms) || tail(a, b);
  }
  return (a, b) => {
    const x = a.call.cost_pusd;
    const y = b.call.cost_pusd;
    // Unpriced after priced in either direction.
    if ((x === null) !== (y === null)) return x === null ? 1 : -1;
    return (x === null || y === null ? 0 : s * (x - y)) || tail(a, b);
  };
}

const calls = makeCalls(3200);
const stored: Stored[] = calls.map((call, i) => ({ call, row: i + 1 }));
const store = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-list-')), 'costlens.db'));
for (let i = 0; i < calls.length; i += 400) insertRecords(store, calls.slice(i, i + 400));
const queries = new Queries(store.db, { now: () => NOW });
afterAll(() => store.close());

const MIDNIGHT = Math.floor(NOW / DAY) * DAY;
const WINDOWS: [string, number, number][] = [
  ['every stored call', FIRST - HOUR, NOW],
  ['most of them, cut inside hours', FIRST + 3 * HOUR + 7 * MIN, NOW - 20 * MIN],
  ['three hours cut inside hours', FIRST + 20 * HOUR + 13 * MIN, FIRST + 23 * HOUR + 5 * MIN],
  ['four hours across midnight (UTC)', MIDNIGHT - 3 * HOUR - 1, MIDNIGHT + HOUR],
];
const FILTERS: Omit<QueryFilter, 'from' | 'to'>[] = [
  {},
  { project: 'p1' },
  { provider: 'anthropic' },
  { model: 'm-b' },
  { status: 'error' },
  { project: 'p0', status: 'success' },
];
const ORDERS: [SortBy, boolean][] = [
  ['cost', true],
  ['cost', false],
  ['latency', true],
  ['time', false],
];

const idsOf = (rows: { trace_id: string; span_id: string }[]) =>
  rows.map((r) => r.trace_id + r.span_id);

describe('the call list in its order, merged from the days', () => {
  for (const [name, from, to] of WINDOWS) {
    it(`${name}: every page by cursor and by number, and the export's batches`, () => {
      for (const fields of FILTERS) {
        const f = { from, to, ...fields };
        const inside = stored.filter((s) => matches(s.call, f));
        expect(inside.length, JSON.stringify(fields)).toBeGreaterThan(10);
        for (const [sort, desc] of ORDERS) {
          const what = `${JSON.stringify(fields)} ${sort} ${desc ? 'desc' : 'asc'}`;
          const expected = [...inside].sort(compare(sort, desc)).map((s) => s.call.id);
          const limit = Math.max(5, Math.ceil(expected.length / 6));
          // By cursor, to the end.
          const got: string[] = [];
          let after: ReturnType<typeof queries.list>['last'] | undefined;
          for (let pages = 0; ; pages++) {
            const page = queries.list(f, { sort, desc, limit, ...(after ? { after } : {}) });
            expect(page.total, what).toBe(inside.length);
            got.push(...idsOf(page.rows));
            if (!page.more) break;
            after = page.last!;
            expect(pages, what).toBeLessThan(20);
          }
          expect(got, `${what} by cursor`).toEqual(expected);
          // By number: the first, one in the first half, one in the second (read backwards), past the end.
          for (const offset of [0, limit, expected.length - limit - 1, expected.length]) {
            const page = queries.list(f, { sort, desc, limit, offset });
            expect(idsOf(page.rows), `${what} offset ${offset}`).toEqual(
              expected.slice(offset, offset + limit),
            );
          }
          const batches = [...queries.batches(f, sort, desc, 97)].flatMap(idsOf);
          expect(batches, `${what} export`).toEqual(expected);
        }
      }
    });
  }
});
