import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpendReader } from '../src/budgets/spend.js';
import type { CallRecord } from '../src/records/call-record.js';
import { BudgetQueries, type SpendScope } from '../src/store/budget-queries.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { insertRecords } from './support/store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A Kolkata day: 18:30 UTC to 18:30 UTC. */
const START = Date.UTC(2026, 11, 1, 18, 30);
const END = START + 24 * HOUR;

let seq = 0;
function call(started_at: number, cost_pusd: number | null, over: Partial<CallRecord> = {}) {
  seq++;
  const trace_id = seq.toString(16).padStart(32, '0');
  const span_id = seq.toString(16).padStart(16, '0');
  return callRecord({
    id: trace_id + span_id,
    trace_id,
    span_id,
    started_at,
    finished_at: started_at + 800,
    cost_pusd,
    ...over,
  });
}

const open: Store[] = [];
function tempStore(): Store {
  const s = new Store(join(mkdtempSync(join(tmpdir(), 'costlens-budget-')), 'costlens.db'));
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** The same sum the slow way: every stored call, in JavaScript, as BigInt. */
function bruteForce(store: Store, scope: SpendScope, from: number, to: number): bigint {
  let sum = 0n;
  for (const c of store.calls()) {
    if (c.started_at < from || c.started_at >= to || c.cost_pusd === null) continue;
    if (scope.project !== undefined && c.project !== scope.project) continue;
    if (scope.model !== undefined && (c.response_model ?? c.request_model) !== scope.model)
      continue;
    sum += BigInt(c.cost_pusd);
  }
  return sum;
}

describe('SpendReader: exact spend from the rollups and the calls of the hours cut by the range', () => {
  it('a period that starts and ends at :30 counts exactly the calls inside it, unpriced ones as nothing', () => {
    const store = tempStore();
    insertRecords(store, [
      call(START - 31 * MINUTE, 1_000), // the hour before, whole
      call(START - 1, 2_000), // in the period's first rollup hour, before its start
      call(START, 4_000), // its first instant
      call(START + 10 * MINUTE, 8_000),
      call(START + 10 * MINUTE, null, { unpriced_reason: 'unknown model' }),
      call(START + 5 * HOUR, 16_000),
      call(END - 1, 32_000), // its last instant
      call(END, 64_000), // the next period's first
    ]);
    const reader = new SpendReader(new BudgetQueries(store));
    const now = START + 6 * HOUR;
    reader.refresh(now);
    expect(reader.between('b|spent', {}, START, END, now)).toBe(
      4_000n + 8_000n + 16_000n + 32_000n,
    );
    expect(reader.between('b|other', {}, START - HOUR, START, now)).toBe(3_000n);
  });

  it('scopes match the project and the model (the response model, else the request model)', () => {
    const store = tempStore();
    insertRecords(store, [
      call(START + HOUR, 1_000, { project: 'alpha', response_model: 'gpt-4o-2024-08-06' }),
      call(START + 2 * MINUTE, 2_000, {
        project: 'alpha',
        response_model: null,
        request_model: 'gpt-4o',
      }),
      call(START + 3 * HOUR, 4_000, { project: 'beta', response_model: 'gpt-4o-2024-08-06' }),
      call(START + 3 * HOUR, 8_000, { project: null }),
    ]);
    const reader = new SpendReader(new BudgetQueries(store));
    const now = END;
    reader.refresh(now);
    const read = (key: string, scope: SpendScope) => reader.between(key, scope, START, END, now);
    expect(read('alpha', { project: 'alpha' })).toBe(3_000n);
    expect(read('gpt-4o', { model: 'gpt-4o' })).toBe(2_000n);
    expect(read('dated', { project: 'alpha', model: 'gpt-4o-2024-08-06' })).toBe(1_000n);
    expect(read('none', { project: 'nobody' })).toBe(0n);
    expect(read('all', {})).toBe(15_000n);
  });

  it('sums past 2^53 pUSD ($9,007) stay exact to the pico-dollar', () => {
    const store = tempStore();
    const big = 8_999_999_999_999_999; // $9,000 less a pico-dollar: the largest cost a call may have
    // One export per call: each rollup row is then summed by SQLite's integers.
    for (let i = 0; i < 5; i++) insertRecords(store, [call(START + i * HOUR, big)]);
    const reader = new SpendReader(new BudgetQueries(store));
    reader.refresh(END);
    expect(reader.between('b', {}, START, END, END)).toBe(5n * BigInt(big));
  });

  it('a remembered sum takes in the late calls that land in its hours, and agrees with the calls at every step', () => {
    const store = tempStore();
    // Never re-read on a timer: the sums must follow the late calls by themselves.
    const reader = new SpendReader(new BudgetQueries(store), Number.POSITIVE_INFINITY);
    const scope = { project: 'shop' };
    let now = START + 3 * HOUR + 20 * MINUTE;
    const check = () => {
      reader.refresh(now);
      expect(reader.between('b|spent', scope, START, END, now)).toBe(
        bruteForce(store, scope, START, END),
      );
      const windowStart = Math.floor((now - 24 * HOUR) / HOUR) * HOUR;
      expect(reader.between('b|rate', scope, windowStart, now, now)).toBe(
        bruteForce(store, scope, windowStart, now),
      );
    };
    for (let step = 0; step < 60; step++) {
      // Calls now, calls a little late, and now and then one many hours late or before the period.
      const batch = [call(now - 1000, 100 + step), call(now - 7 * MINUTE, 1_000 + step)];
      if (step % 7 === 3) batch.push(call(START + 5 * MINUTE, 10_000 + step));
      if (step % 9 === 4) batch.push(call(START - 10 * MINUTE, 100_000 + step));
      if (step % 5 === 1)
        batch.push(call(now - 30 * MINUTE, 1_000_000 + step, { project: 'other' }));
      insertRecords(store, batch);
      check();
      now += 13 * MINUTE;
    }
    // A second look with nothing new reads the same.
    check();
  });

  it('a month already read is not read again, even after a late call: the next read asks only for the last two hours and after', () => {
    const store = tempStore();
    const queries = new BudgetQueries(store);
    const asked: [number, number][] = [];
    const source = {
      lastCallId: () => queries.lastCallId(),
      newCallsSpan: (a: number, b: number) => queries.newCallsSpan(a, b),
      newCallsPusd: (s: SpendScope, from: number, to: number, a: number, b: number) =>
        queries.newCallsPusd(s, from, to, a, b),
      callsPusd: (s: SpendScope, from: number, to: number) => queries.callsPusd(s, from, to),
      rollupPusd: (s: SpendScope, from: number, to: number) => {
        if (to > from) asked.push([from, to]);
        return queries.rollupPusd(s, from, to);
      },
    };
    const reader = new SpendReader(source, Number.POSITIVE_INFINITY);
    const month = Date.UTC(2026, 11, 1);
    const monthEnd = Date.UTC(2027, 0, 1);
    let now = Date.UTC(2026, 11, 20, 12, 30);
    insertRecords(store, [call(month + HOUR, 5_000), call(now - MINUTE, 7_000)]);
    reader.refresh(now);
    expect(reader.between('m', {}, month, monthEnd, now)).toBe(12_000n);
    asked.length = 0;
    now += 10 * MINUTE;
    insertRecords(store, [call(now - MINUTE, 11_000)]);
    reader.refresh(now);
    expect(reader.between('m', {}, month, monthEnd, now)).toBe(23_000n);
    const settled = Date.UTC(2026, 11, 20, 11);
    expect(asked).toEqual([[settled, monthEnd]]);
    // A call that arrives weeks late is added to the remembered month, not re-read with it.
    asked.length = 0;
    insertRecords(store, [call(month + 5 * HOUR, 13_000)]);
    reader.refresh(now);
    expect(reader.between('m', {}, month, monthEnd, now)).toBe(36_000n);
    expect(asked).toEqual([[settled, monthEnd]]);
  });
});
