import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A,
  api,
  EMPTY_HOUR,
  expectedTotals,
  expectNear,
  HOUR,
  inWindow,
  iso,
  makeCalls,
  qs,
  quantile,
  type Sent,
  send,
  WINDOW,
} from './api-data.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// The query API's totals against a running collector over HTTP: summary, breakdowns,
// time series and projects, each compared with what the test sent (never with what
// the code under test computes). The window starts and ends inside hours, so the
// partial hours at both edges come from the calls and the rest from the rollups.

const calls = makeCalls();
const inside = inWindow(calls, WINDOW);
const window = { from: WINDOW.from, to: WINDOW.to };
let c: RunningCollector;

beforeAll(async () => {
  c = await startCollector();
  await send(c, calls);
});
afterAll(() => c.close());

const keyOf: Record<string, (c: Sent) => string | null> = {
  model: (c) => c.model,
  project: (c) => c.project,
  user: (c) => c.user,
  account: (c) => c.account,
  provider: (c) => c.provider,
  call_type: (c) => c.call_type,
  status: (c) => c.status,
  error_type: (c) => c.error_type,
};

const pusdOf = (cs: Sent[]) => cs.reduce((s, c) => s + (c.cost_pusd ?? 0), 0);
const unpricedOnly = (cs: Sent[]) => cs.every((c) => c.cost_pusd === null);
const byKey = (a: string | null, b: string | null) =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;

/** Groups of calls by a field, in the API's order: cost desc, unpriced-only last, calls, key. */
function grouped(cs: Sent[], key: (c: Sent) => string | null): [string | null, Sent[]][] {
  const groups = new Map<string | null, Sent[]>();
  for (const x of cs) groups.set(key(x), [...(groups.get(key(x)) ?? []), x]);
  return [...groups].sort(
    ([ka, a], [kb, b]) =>
      Number(unpricedOnly(a)) - Number(unpricedOnly(b)) ||
      pusdOf(b) - pusdOf(a) ||
      b.length - a.length ||
      byKey(ka, kb),
  );
}

/** The expected row of a breakdown, latency aside (checked within 1%). */
function row(key: string | null, cs: Sent[]) {
  const t = expectedTotals(cs);
  return {
    key,
    cost_usd: t.cost_usd,
    calls: t.calls,
    failed_calls: t.failed_calls,
    success_rate: t.success_rate,
    tokens: t.tokens,
    latency_ms: expect.any(Object),
    last_call_at: iso(Math.max(...cs.map((x) => x.started_at))),
  };
}

function expectLatency(actual: { avg: number; p95: number }, cs: Sent[], what: string) {
  const avg = cs.reduce((s, x) => s + x.duration_ms, 0) / cs.length;
  expectNear(actual.avg, avg, `${what} avg`);
  expectNear(actual.p95, quantile(cs, 0.95), `${what} p95`);
}

describe('GET /api/v1/summary', () => {
  it('a window with partial hours at both ends: every figure equals the sum of the calls sent, to the pico-dollar', async () => {
    const res = await api(c, `/summary${qs({ from: iso(window.from), to: iso(window.to) })}`);
    expect(res.status).toBe(200);
    const { latency_ms, ...rest } = res.body;
    expect(rest).toEqual({ from: iso(window.from), to: iso(window.to), ...expectedTotals(inside) });
    for (const q of [0.5, 0.95, 0.99] as const) {
      expectNear(latency_ms[`p${q * 100}`], quantile(inside, q), `p${q * 100}`);
    }
    expectNear(
      latency_ms.avg,
      inside.reduce((s, x) => s + x.duration_ms, 0) / inside.length,
      'avg',
    );
    // The window is one that the test's data make interesting.
    expect(inside.length).toBeGreaterThan(200);
    expect(inside.length).toBeLessThan(calls.length - 40);
  });

  it('epoch milliseconds work as well as ISO; without from and to, the last 24 hours, the live call included', async () => {
    const ms = await api(c, `/summary${qs(window)}`);
    const isoRes = await api(c, `/summary${qs({ from: iso(window.from), to: iso(window.to) })}`);
    expect(ms.body).toEqual(isoRes.body);
    const before = Date.now();
    const all = await api(c, '/summary');
    const { latency_ms: _, from, to, ...rest } = all.body;
    expect(rest).toEqual(expectedTotals(calls));
    expect(Date.parse(to) - Date.parse(from)).toBe(24 * HOUR);
    expect(Date.parse(to)).toBeGreaterThanOrEqual(before);
  });

  it('a window within one hour reads the calls alone; a window with no calls answers zeros and nulls', async () => {
    const w = { from: A + 2 * HOUR + 600_000, to: A + 2 * HOUR + 2_400_000 };
    const res = await api(c, `/summary${qs(w)}`);
    const { latency_ms: _, ...rest } = res.body;
    expect(rest).toEqual({
      from: iso(w.from),
      to: iso(w.to),
      ...expectedTotals(inWindow(calls, w)),
    });
    const empty = await api(c, `/summary${qs({ from: EMPTY_HOUR, to: EMPTY_HOUR + HOUR })}`);
    expect(empty.body).toEqual({
      from: iso(EMPTY_HOUR),
      to: iso(EMPTY_HOUR + HOUR),
      cost_usd: 0,
      calls: 0,
      failed_calls: 0,
      success_rate: null,
      unpriced_calls: 0,
      tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 },
      image_calls: 0,
      images: 0,
      video_calls: 0,
      video_seconds: 0,
      distinct: { models: 0, users: 0, accounts: 0, projects: 0 },
      latency_ms: null,
    });
  });

  it('every filter, alone and together, counts only its calls; names with quotes and % match exactly', async () => {
    const cases: [Record<string, string>, (x: Sent) => boolean][] = [
      [{ project: 'alpha' }, (x) => x.project === 'alpha'],
      [{ project: 'x%y' }, (x) => x.project === 'x%y'],
      [{ user: `o'brien, "jr"` }, (x) => x.user === `o'brien, "jr"`],
      [{ account: '@acct' }, (x) => x.account === '@acct'],
      [{ provider: 'anthropic' }, (x) => x.provider === 'anthropic'],
      [{ model: 'gpt-4o-mini' }, (x) => x.model === 'gpt-4o-mini'],
      [{ model: 'gpt-4o-2024-08-06' }, (x) => x.model === 'gpt-4o-2024-08-06'],
      [{ call_type: 'image' }, (x) => x.call_type === 'image'],
      [{ status: 'error' }, (x) => x.status === 'error'],
      [
        { project: 'beta', status: 'success', call_type: 'text' },
        (x) => x.project === 'beta' && x.status === 'success' && x.call_type === 'text',
      ],
    ];
    for (const [params, match] of cases) {
      const res = await api(c, `/summary${qs({ ...window, ...params })}`);
      const { latency_ms: _, from: _f, to: _t, ...rest } = res.body;
      expect(rest, JSON.stringify(params)).toEqual(expectedTotals(inside.filter(match)));
    }
  });
});

describe('GET /api/v1/breakdown', () => {
  for (const by of Object.keys(keyOf)) {
    it(`by=${by}: one row per value, in cost order, each equal to its calls; last_call_at exact`, async () => {
      const res = await api(c, `/breakdown${qs({ ...window, by })}`);
      expect(res.status).toBe(200);
      const expected = grouped(inside, keyOf[by]!);
      expect(res.body).toEqual({ by, rows: expected.map(([k, cs]) => row(k, cs)) });
      res.body.rows.forEach((r: { latency_ms: { avg: number; p95: number } }, i: number) => {
        expectLatency(r.latency_ms, expected[i]![1], `${by}=${expected[i]![0]}`);
      });
    });
  }

  it('the rows of a breakdown add up to the summary', async () => {
    const summary = (await api(c, `/summary${qs(window)}`)).body;
    for (const by of ['project', 'error_type']) {
      const rows = (await api(c, `/breakdown${qs({ ...window, by })}`)).body.rows;
      expect(rows.reduce((s: number, r: { calls: number }) => s + r.calls, 0)).toBe(summary.calls);
    }
  });
});

describe('GET /api/v1/timeseries', () => {
  const hours = Array.from({ length: 9 }, (_, i) => A + i * HOUR);
  const perHour = (cs: Sent[], f: (cs: Sent[]) => number | null) =>
    hours.map((h) => {
      const bucket = cs.filter((x) => x.started_at >= h && x.started_at < h + HOUR);
      return bucket.length === 0 ? (f === latency ? null : 0) : f(bucket);
    });
  const latency = (cs: Sent[]) => quantile(cs, 0.95);

  it('hourly calls, cost, tokens and failures, the empty hour zero-filled, the edge hours partial', async () => {
    const metrics: [string, (cs: Sent[]) => number | null][] = [
      ['calls', (cs) => cs.length],
      ['cost', (cs) => expectedTotals(cs).cost_usd],
      ['tokens', (cs) => cs.reduce((s, x) => s + x.input + x.output, 0)],
      ['failures', (cs) => cs.filter((x) => x.status === 'error').length],
    ];
    for (const [metric, f] of metrics) {
      const res = await api(c, `/timeseries${qs({ ...window, metric })}`);
      expect(res.body, metric).toEqual({
        granularity: 'hour',
        metric,
        buckets: hours.map(iso),
        series: [{ key: 'all', values: perHour(inside, f) }],
      });
    }
    expect(perHour(inside, (cs) => cs.length)[5]).toBe(0);
  });

  it('latency_p95 per hour within 1%, null where there were no calls', async () => {
    const res = await api(c, `/timeseries${qs({ ...window, metric: 'latency_p95' })}`);
    const expected = perHour(inside, latency);
    const got = res.body.series[0].values as (number | null)[];
    expect(got.map((v) => v === null)).toEqual(expected.map((v) => v === null));
    got.forEach((v, i) => {
      if (v !== null) expectNear(v, expected[i]!, `hour ${i}`);
    });
  });

  it('group_by keeps the top 10 keys by cost and folds the rest into __other__', async () => {
    const res = await api(c, `/timeseries${qs({ ...window, metric: 'calls', group_by: 'model' })}`);
    const ranked = grouped(inside, (x) => x.model);
    expect(ranked.length).toBeGreaterThan(10);
    const top = ranked.slice(0, 10);
    const rest = ranked.slice(10).flatMap(([, cs]) => cs);
    expect(res.body.series).toEqual([
      ...top.map(([key, cs]) => ({ key, values: perHour(cs, (b) => b.length) })),
      { key: '__other__', values: perHour(rest, (b) => b.length) },
    ]);
  });

  it('group_by=project without folding, and daily buckets', async () => {
    const res = await api(
      c,
      `/timeseries${qs({ ...window, metric: 'cost', group_by: 'project' })}`,
    );
    expect(res.body.series).toEqual(
      grouped(inside, (x) => x.project).map(([key, cs]) => ({
        key,
        values: perHour(cs, (b) => expectedTotals(b).cost_usd),
      })),
    );
    const day = 24 * HOUR;
    const days = await api(
      c,
      `/timeseries${qs({ ...window, granularity: 'day', metric: 'calls' })}`,
    );
    const first = window.from - (window.from % day);
    const starts = [first];
    while (starts.at(-1)! + day < window.to) starts.push(starts.at(-1)! + day);
    expect(days.body).toEqual({
      granularity: 'day',
      metric: 'calls',
      buckets: starts.map(iso),
      series: [
        {
          key: 'all',
          values: starts.map(
            (d) => inside.filter((x) => x.started_at >= d && x.started_at < d + day).length,
          ),
        },
      ],
    });
  });

  it('the default window has 25 hourly buckets, the current hour last and counted live', async () => {
    const res = await api(c, '/timeseries?metric=calls');
    const now = Date.now();
    expect(res.body.buckets).toHaveLength(25);
    expect(res.body.buckets.at(-1)).toBe(iso(Math.floor(now / HOUR) * HOUR));
    const live = calls.at(-1)!;
    const at = res.body.buckets.indexOf(iso(Math.floor(live.started_at / HOUR) * HOUR));
    expect(res.body.series[0].values[at]).toBe(
      calls.filter((x) => Math.floor(x.started_at / HOUR) === Math.floor(live.started_at / HOUR))
        .length,
    );
  });
});

describe('GET /api/v1/projects', () => {
  it('one entry per project (calls without one under null), in cost order', async () => {
    const res = await api(c, `/projects${qs(window)}`);
    const expected = grouped(inside, (x) => x.project);
    expect(res.body).toEqual({
      projects: expected.map(([name, cs]) => {
        const { key: _, tokens: _t, ...r } = row(name, cs);
        return { name, ...r };
      }),
    });
  });

  it('GET /projects/:name: its summary, hourly trend and models; 404 for a project never seen', async () => {
    const alpha = inside.filter((x) => x.project === 'alpha');
    const res = await api(c, `/projects/alpha${qs(window)}`);
    expect(res.status).toBe(200);
    const { latency_ms: _, ...summary } = res.body.summary;
    expect(summary).toEqual({
      from: iso(window.from),
      to: iso(window.to),
      ...expectedTotals(alpha),
    });
    const hours = Array.from({ length: 9 }, (_, i) => A + i * HOUR);
    const inHour = (h: number) => alpha.filter((x) => x.started_at >= h && x.started_at < h + HOUR);
    expect(res.body.trend).toEqual({
      buckets: hours.map(iso),
      calls: hours.map((h) => inHour(h).length),
      latency_p95_ms: expect.any(Array),
    });
    res.body.trend.latency_p95_ms.forEach((v: number | null, i: number) => {
      const cs = inHour(hours[i]!);
      if (cs.length === 0) expect(v).toBeNull();
      else expectNear(v, quantile(cs, 0.95), `hour ${i}`);
    });
    expect(res.body.models).toEqual(grouped(alpha, (x) => x.model).map(([k, cs]) => row(k, cs)));
    expect(await api(c, `/projects/nope${qs(window)}`)).toEqual({
      status: 404,
      body: { error: 'no project named "nope"' },
    });
    const pct = await api(c, `/projects/${encodeURIComponent('x%y')}${qs(window)}`);
    expect(pct.body.summary.calls).toBe(inside.filter((x) => x.project === 'x%y').length);
  });
});

describe('sums of past hours kept between requests', () => {
  it('a late export, a recompute and a delete in an hour already summed show at once', async () => {
    const fresh = await startCollector();
    try {
      const mine = makeCalls(120, 3);
      await send(fresh, mine);
      const w = { from: A - HOUR, to: A + 10 * HOUR };
      const first = await api(fresh, `/summary${qs(w)}`);
      expect(first.body.calls).toBe(inWindow(mine, w).length);
      // A span of two hours into the window arrives now (an exporter that was offline).
      const late = { ...makeCalls(1, 99)[0]!, id: `${'e'.repeat(32)}${'f'.repeat(16)}` };
      late.started_at = A + 2 * HOUR + 1234;
      await send(fresh, [late]);
      const second = await api(fresh, `/summary${qs(w)}`);
      expect(second.body.calls).toBe(first.body.calls + 1);
      expect(second.body.cost_usd).toBe(expectedTotals([...inWindow(mine, w), late]).cost_usd);
      // A re-pricing moves an old hour's cost (as costlens recompute does).
      fresh.parts.store.db
        .prepare('UPDATE rollups_hourly SET cost_pusd = cost_pusd + 5000000 WHERE hour = ?')
        .run(A + 2 * HOUR);
      const rows = (
        fresh.parts.store.db
          .prepare('SELECT count(*) n FROM rollups_hourly WHERE hour = ?')
          .get(A + 2 * HOUR) as { n: number }
      ).n;
      const third = await api(fresh, `/summary${qs(w)}`);
      expect(third.body.cost_usd).toBeCloseTo(second.body.cost_usd + rows * 0.000005, 12);
      // Rollup rows removed by hand.
      fresh.parts.store.db.prepare('DELETE FROM rollups_hourly WHERE hour = ?').run(A + 3 * HOUR);
      const fourth = await api(fresh, `/summary${qs(w)}`);
      const gone = inWindow(mine, { from: A + 3 * HOUR, to: A + 4 * HOUR }).length;
      expect(fourth.body.calls).toBe(second.body.calls - gone);
    } finally {
      await fresh.close();
    }
  });
});
