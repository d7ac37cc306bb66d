import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/records/call-record.js';
import { type GroupBy, Queries, type QueryFilter, type Totals } from '../src/store/queries.js';
import { LatencySketch } from '../src/store/sketch.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { insertRecords } from './support/store.js';

/**
 * A window's partial hours are read from the calls, or from the hour's rollups less
 * the hour's calls outside the window: either way the answer is the calls inside,
 * which this test sums one by one for many windows and filters.
 */

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW = Date.now();
const H0 = Math.floor(NOW / HOUR) * HOUR;
/** The first hour with calls: five before the current one. */
const FIRST = H0 - 5 * HOUR;

/** A fixed pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

function makeCalls(n: number): CallRecord[] {
  const rnd = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const calls: CallRecord[] = [];
  for (let i = 0; i < n; i++) {
    // Every hour from FIRST to now, and a few in the last minute before now.
    const started =
      i % 40 === 0
        ? NOW - 1 - Math.floor(rnd() * 50_000)
        : FIRST + Math.floor(rnd() * (NOW - 1 - FIRST));
    // Whole microseconds: the rollups and the calls put each in the same bucket.
    const duration = i % 97 === 0 ? 0 : Math.floor(rnd() * 5_000_000) / 1000;
    const failed = rnd() < 0.1;
    const type = pick(['text', 'text', 'text', 'image', 'video'] as const);
    const trace = (i + 1).toString(16).padStart(32, '0');
    const span = (i + 1).toString(16).padStart(16, '0');
    calls.push(
      callRecord({
        id: trace + span,
        trace_id: trace,
        span_id: span,
        started_at: started,
        finished_at: started + Math.round(duration),
        duration_ms: duration,
        project: pick(['p0', 'p1', 'p2', null]),
        user: pick(['u0', 'u1', 'u2', 'u3', null]),
        account: pick(['acct-a', null]),
        provider: pick(['openai', 'anthropic']),
        call_type: type,
        request_model: pick(['m-a', 'm-b', 'm-c']),
        response_model: pick(['m-a', 'm-b-2025', null]),
        input_tokens: Math.floor(rnd() * 5000),
        output_tokens: pick([null, Math.floor(rnd() * 800)]),
        cache_read_tokens: pick([null, 100, 2000]),
        cache_write_tokens: pick([null, 50]),
        cache_write_1h_tokens: pick([null, 7]),
        reasoning_tokens: pick([null, 300]),
        image_count: type === 'image' ? pick([1, 2, 4]) : null,
        video_seconds: type === 'video' ? pick([4, 8, 12]) : null,
        status: failed ? 'error' : 'success',
        error_type: failed ? pick(['timeout', 'rate_limit']) : null,
        // Unpriced calls, and costs whose sums pass what a double holds exactly.
        cost_pusd: pick([null, 1_234_567, 3_500_000_000, 4_000_000_000_000_000]),
      }),
    );
  }
  return calls;
}

const modelOf = (c: CallRecord) => c.response_model ?? c.request_model ?? '';

const matches = (c: CallRecord, f: QueryFilter) =>
  c.started_at >= f.from &&
  c.started_at < f.to &&
  (f.project === undefined || c.project === f.project) &&
  (f.user === undefined || c.user === f.user) &&
  (f.account === undefined || c.account === f.account) &&
  (f.provider === undefined || c.provider === f.provider) &&
  (f.model === undefined || modelOf(c) === f.model) &&
  (f.call_type === undefined || c.call_type === f.call_type) &&
  (f.status === undefined || c.status === f.status);

/** The totals of `cs` summed one by one, latency aside. */
function expectedTotals(cs: CallRecord[]): Omit<Totals, 'latency'> {
  const sum = (f: (c: CallRecord) => number | null) => cs.reduce((s, c) => s + (f(c) ?? 0), 0);
  return {
    calls: cs.length,
    failed: cs.filter((c) => c.status === 'error').length,
    unpriced: cs.filter((c) => c.cost_pusd === null).length,
    cost_pusd: cs.reduce((s, c) => s + BigInt(c.cost_pusd ?? 0), 0n),
    input_tokens: sum((c) => c.input_tokens),
    output_tokens: sum((c) => c.output_tokens),
    cache_read_tokens: sum((c) => c.cache_read_tokens),
    cache_write_tokens: sum((c) => c.cache_write_tokens),
    cache_write_1h_tokens: sum((c) => c.cache_write_1h_tokens),
    reasoning_tokens: sum((c) => c.reasoning_tokens),
    images: sum((c) => c.image_count),
    video_seconds: sum((c) => c.video_seconds),
    image_calls: cs.filter((c) => c.call_type === 'image').length,
    video_calls: cs.filter((c) => c.call_type === 'video').length,
  };
}

/** Totals as the store answered them, against the calls: every sum exact, latency as sketched. */
function expectTotals(actual: Totals, cs: CallRecord[], what: string) {
  const { latency, ...sums } = actual;
  expect(sums, what).toEqual(expectedTotals(cs));
  if (cs.length === 0) {
    expect(latency.count, what).toBe(0);
    return;
  }
  const sketch = new LatencySketch();
  for (const c of cs) sketch.add(c.duration_ms);
  expect(latency.count, what).toBe(cs.length);
  for (const q of [0.5, 0.95, 0.99]) expect(latency.quantile(q), what).toBe(sketch.quantile(q));
  // The mean is the buckets' (within 1%), as for every hour read from the rollups.
  const mean = cs.reduce((s, c) => s + c.duration_ms, 0) / cs.length;
  expect(Math.abs(latency.mean()! - mean), what).toBeLessThanOrEqual(mean * 0.01 + 1e-9);
}

const WINDOWS: [string, number, number][] = [
  ['the last 24 hours', NOW - 24 * HOUR, NOW],
  ['from inside an hour to now', FIRST + 2 * HOUR + 7 * MIN, NOW],
  ['the current hour to a minute ago (calls after the window)', H0 - 2 * HOUR, NOW - MIN],
  ['inside one past hour, calls on both sides', FIRST + HOUR + 5 * MIN, FIRST + 2 * HOUR - 4 * MIN],
  ['most of an hour at each end', FIRST + HOUR + 2 * MIN, FIRST + 4 * HOUR + 55 * MIN],
  ['a short part of an hour', FIRST + 3 * HOUR + 20 * MIN, FIRST + 3 * HOUR + 31 * MIN],
  ['whole hours', FIRST + HOUR, H0],
  ['the current hour from its start', H0, NOW],
  ['the second half of the time since the hour began', H0 + Math.floor((NOW - H0) / 2), NOW],
  ['to a time after now', FIRST + 30 * MIN, NOW + 20 * MIN],
  [
    'under two hours across the start of one',
    FIRST + 2 * HOUR + 40 * MIN,
    FIRST + 3 * HOUR + 50 * MIN,
  ],
  ['from before the current hour to now, no whole hour', H0 - 20 * MIN, NOW],
];

const FILTERS: Omit<QueryFilter, 'from' | 'to'>[] = [
  {},
  { project: 'p1' },
  { provider: 'anthropic' },
  { model: 'm-b-2025' },
  { model: 'm-c' },
  { user: 'u2' },
  { project: 'p0', user: 'u1', status: 'error' },
  { call_type: 'video' },
];

const GROUPINGS: GroupBy[] = ['project', 'user', 'account', 'provider', 'model', 'status'];
const KEY: Record<GroupBy, (c: CallRecord) => string | null> = {
  project: (c) => c.project,
  user: (c) => c.user,
  account: (c) => c.account,
  provider: (c) => c.provider,
  model: (c) => modelOf(c) || null,
  call_type: (c) => c.call_type,
  status: (c) => c.status,
  error_type: (c) => c.error_type,
};

function byKey(cs: CallRecord[], key: (c: CallRecord) => string | null) {
  const out = new Map<string | null, CallRecord[]>();
  for (const c of cs) out.set(key(c), [...(out.get(key(c)) ?? []), c]);
  return out;
}

const stores: Store[] = [];
afterAll(() => {
  for (const s of stores) s.close();
});
function filledStore(calls: CallRecord[]): { store: Store; queries: Queries } {
  const store = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-edge-')), 'costlens.db'));
  stores.push(store);
  for (let i = 0; i < calls.length; i += 500) insertRecords(store, calls.slice(i, i + 500));
  return { store, queries: new Queries(store.db, { now: () => NOW }) };
}

describe('the partial hours of a window, from the rollups or the calls', () => {
  const calls = makeCalls(4000);
  const { store, queries } = filledStore(calls);

  it('the summary of every window and filter is the sum of the calls inside', () => {
    for (const [name, from, to] of WINDOWS) {
      for (const fields of FILTERS) {
        const f = { from, to, ...fields };
        const inside = calls.filter((c) => matches(c, f));
        const what = `${name} ${JSON.stringify(fields)}`;
        if (Object.keys(fields).length === 0 && to - from > 10 * MIN) {
          expect(inside.length, what).toBeGreaterThan(0);
        }
        const { totals, distinct } = queries.summary(f);
        expectTotals(totals, inside, what);
        const count = (k: (c: CallRecord) => string | null) =>
          new Set(inside.map(k).filter((v) => v !== null && v !== '')).size;
        expect(distinct, what).toEqual({
          models: count(modelOf),
          users: count((c) => c.user),
          accounts: count((c) => c.account),
          projects: count((c) => c.project),
        });
      }
    }
  });

  it('groups by every field and by error type, with each group\u2019s last call', () => {
    for (const [name, from, to] of WINDOWS) {
      for (const fields of [{}, { project: 'p2' }, { provider: 'openai' }]) {
        const f = { from, to, ...fields };
        const inside = calls.filter((c) => matches(c, f));
        for (const by of [...GROUPINGS, 'error_type'] as GroupBy[]) {
          const what = `${name} ${JSON.stringify(fields)} by ${by}`;
          const groups = queries.groups(f, { by, latency: true, lastAt: true });
          // By error type, the failed calls without one are in no group (none here).
          const expected = byKey(inside, by === 'error_type' ? KEY.error_type : KEY[by]);
          expect(new Set(groups.map((g) => g.key)), what).toEqual(new Set(expected.keys()));
          for (const g of groups) {
            const cs = expected.get(g.key)!;
            expectTotals(g.totals, cs, `${what}=${g.key}`);
            expect(g.lastAt, `${what}=${g.key} last`).toBe(
              Math.max(...cs.map((c) => c.started_at)),
            );
          }
        }
      }
    }
  });

  it('hourly buckets, for the counts the call list pages by', () => {
    for (const [name, from, to] of WINDOWS) {
      for (const fields of [{}, { user: 'u0' }, { model: 'm-a' }]) {
        const f = { from, to, ...fields };
        const inside = calls.filter((c) => matches(c, f));
        const groups = queries.groups(f, { bucketMs: HOUR, sums: 'basic' });
        const expected = byKey(inside, (c) => String(Math.floor(c.started_at / HOUR) * HOUR));
        expect(groups.length, name).toBe(expected.size);
        for (const g of groups) {
          const cs = expected.get(String(g.bucket))!;
          expect(g.totals.calls, `${name} ${g.bucket}`).toBe(cs.length);
          expect(g.totals.cost_pusd, `${name} ${g.bucket}`).toBe(expectedTotals(cs).cost_pusd);
          expect(g.totals.output_tokens).toBe(expectedTotals(cs).output_tokens);
        }
      }
    }
  });

  it('reads the current hour from its rollups: a change to them shows in a window ending now', () => {
    const f = { from: H0 - HOUR, to: NOW };
    const before = queries.summary(f).totals;
    // Not what costlens does: this only tells which source was read.
    const rows = store.db
      .prepare('UPDATE rollups_hourly SET input_tokens = input_tokens + 1 WHERE hour = ?')
      .run(H0).changes;
    try {
      const after = queries.summary(f).totals;
      // Nothing after the window in its hour: its rollups are read (unless the hour began now).
      if (NOW > H0) expect(after.input_tokens).toBe(before.input_tokens + rows);
    } finally {
      store.db
        .prepare('UPDATE rollups_hourly SET input_tokens = input_tokens - 1 WHERE hour = ?')
        .run(H0);
    }
    expect(queries.summary(f).totals.input_tokens).toBe(before.input_tokens);
  });
});

describe('an hour whose oldest calls were deleted', () => {
  it('is read from the calls still stored, as before: its rollups count more', () => {
    const calls = makeCalls(1500);
    const { store, queries } = filledStore(calls);
    const cutoff = FIRST + 20 * MIN;
    while (store.pruneCalls(cutoff) > 0);
    const stored = calls.filter((c) => c.started_at >= cutoff);
    for (const fields of [{}, { project: 'p1' }]) {
      // Most of the hour inside the window: the rollups would be the cheaper read.
      const f = { from: FIRST + 10 * MIN, to: FIRST + 2 * HOUR + 50 * MIN, ...fields };
      const { totals } = queries.summary(f);
      expectTotals(
        totals,
        stored.filter((c) => matches(c, f)),
        JSON.stringify(fields),
      );
    }
  });
});

describe('a window from the oldest stored call, as the call list cuts it', () => {
  it('reads the hour from its rollups, however long the hour ran before that call', () => {
    const hour = H0 - 10 * HOUR;
    const now = hour + 56 * MIN;
    // Calls only in the hour's last minutes, as on a database a collector began late in the hour.
    const calls = makeCalls(300).map((c, i) => {
      const started = hour + 45 * MIN + i * 2000;
      return { ...c, started_at: started, finished_at: started + Math.round(c.duration_ms) };
    });
    const store = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-edge-')), 'costlens.db'));
    stores.push(store);
    insertRecords(store, calls);
    const queries = new Queries(store.db, { now: () => now });
    const f = { from: hour + 45 * MIN, to: now };
    expectTotals(queries.summary(f).totals, calls, 'from the oldest call');
    // Not what costlens does: this only tells which source was read.
    const rows = store.db
      .prepare('UPDATE rollups_hourly SET input_tokens = input_tokens + 1 WHERE hour = ?')
      .run(hour).changes;
    expect(queries.summary(f).totals.input_tokens).toBe(expectedTotals(calls).input_tokens + rows);
  });
});
