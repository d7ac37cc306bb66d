import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A,
  api,
  expectedTotals,
  HOUR,
  inWindow,
  iso,
  makeCalls,
  qs,
  type Sent,
  send,
  usd,
  WINDOW,
} from './api-data.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// Keys over HTTP: a read key bound to a project or a user sees that scope on every
// endpoint and can neither see nor infer anything else; admin endpoints need an admin
// key; no key, or an ingest key, is a 401. Then DELETE /calls and GET /info.

const KEYS = {
  ingest: 'ingest-key-0123456789',
  read: 'read-key-0123456789abc',
  alpha: 'alpha-key-0123456789ab',
  u1: 'user-u1-key-0123456789',
  admin: 'admin-key-0123456789ab',
};
const calls = makeCalls();
const inside = inWindow(calls, WINDOW);
const alpha = (cs: Sent[]) => cs.filter((x) => x.project === 'alpha');
const budget = (
  name: string,
  scope: { project?: string },
  period: 'day' | 'month',
  limit_usd: number,
) => ({ name, scope, period, timezone: 'UTC', limit_usd, alert_at: [0.5], notify: [] });
let c: RunningCollector;

beforeAll(async () => {
  c = await startCollector({
    keys: {
      ingest: [{ key: KEYS.ingest }],
      read: [
        { key: KEYS.read },
        { key: KEYS.alpha, project: 'alpha' },
        { key: KEYS.u1, user: 'u1' },
      ],
      admin: [{ key: KEYS.admin }],
    },
    budgets: [
      budget('alpha-month', { project: 'alpha' }, 'month', 100),
      budget('everyone-day', {}, 'day', 50),
    ],
  });
  await send(c, calls, KEYS.ingest);
});
afterAll(() => c.close());

const ENDPOINTS = [
  '/summary',
  '/breakdown?by=project',
  '/timeseries',
  '/calls',
  `/calls/${calls[0]!.id}`,
  '/projects',
  '/projects/alpha',
  '/export',
  '/budgets',
  '/info',
];

/** Summary figures without latency (checked elsewhere) and the window. */
const figures = (body: Record<string, unknown>) => {
  const { latency_ms: _, from: _f, to: _t, ...rest } = body;
  return rest;
};

describe('keys', () => {
  it('no key, a wrong key or an ingest key: 401 on every endpoint, with what to send', async () => {
    for (const path of ENDPOINTS) {
      for (const key of [undefined, 'not-a-key-0123456789', KEYS.ingest]) {
        expect(await api(c, path, key), `${path} ${key}`).toEqual({
          status: 401,
          body: {
            error:
              'missing or invalid API key (send Authorization: Bearer <key> or x-api-key with a read or admin key)',
          },
        });
      }
    }
    const x = await fetch(`${c.url}/api/v1/summary`, { headers: { 'x-api-key': KEYS.read } });
    expect(x.status).toBe(200);
  });

  it('an unbound read key and an admin key see everything', async () => {
    for (const key of [KEYS.read, KEYS.admin]) {
      const res = await api(c, `/summary${qs(WINDOW)}`, key);
      expect(figures(res.body)).toEqual(expectedTotals(inside));
    }
  });

  it('DELETE /calls needs an admin key: a read key gets 403 and nothing changes', async () => {
    const before = await api(c, '/info', KEYS.read);
    for (const key of [KEYS.read, KEYS.alpha]) {
      expect(await api(c, `/calls?before=${Date.now()}`, key, 'DELETE')).toEqual({
        status: 403,
        body: { error: 'this endpoint needs an admin key (keys.admin)' },
      });
    }
    expect(await api(c, '/info', KEYS.read)).toEqual(before);
  });
});

describe('a key bound to project alpha', () => {
  const key = KEYS.alpha;
  const mine = alpha(inside);

  it('summary, distinct counts and every breakdown hold alpha alone', async () => {
    const res = await api(c, `/summary${qs(WINDOW)}`, key);
    expect(figures(res.body)).toEqual(expectedTotals(mine));
    expect(res.body.distinct.projects).toBe(1);
    for (const by of ['project', 'user', 'model', 'status', 'error_type']) {
      const rows = (await api(c, `/breakdown${qs({ ...WINDOW, by })}`, key)).body.rows;
      const keys = new Set(mine.map((x) => x[by as keyof Sent] ?? null));
      expect(new Set(rows.map((r: { key: string | null }) => r.key)), by).toEqual(keys);
      expect(rows.reduce((s: number, r: { calls: number }) => s + r.calls, 0)).toBe(mine.length);
    }
  });

  it('time series, projects and a project page: alpha only; another project is a 403', async () => {
    const ts = await api(
      c,
      `/timeseries${qs({ ...WINDOW, metric: 'calls', group_by: 'project' })}`,
      key,
    );
    expect(ts.body.series.map((s: { key: string }) => s.key)).toEqual(['alpha']);
    const total = ts.body.series[0].values.reduce((s: number, v: number) => s + v, 0);
    expect(total).toBe(mine.length);
    const projects = await api(c, `/projects${qs(WINDOW)}`, key);
    expect(projects.body.projects.map((p: { name: string }) => p.name)).toEqual(['alpha']);
    expect((await api(c, `/projects/alpha${qs(WINDOW)}`, key)).body.summary.calls).toBe(
      mine.length,
    );
    for (const name of ['beta', 'nope']) {
      expect(await api(c, `/projects/${name}`, key)).toEqual({
        status: 403,
        body: {
          error: 'this key reads project "alpha" only: leave project out or set it to "alpha"',
        },
      });
    }
  });

  it('a filter naming another project is a 403 everywhere; naming alpha is the same as none', async () => {
    for (const path of [
      '/summary',
      '/breakdown?by=user&',
      '/timeseries',
      '/calls',
      '/projects',
      '/export',
    ]) {
      const sep = path.includes('?') ? '' : '?';
      const other = await api(c, `${path}${sep}project=beta`, key);
      expect(other.status, path).toBe(403);
      expect(other.body.error).toMatch(/^this key reads project "alpha" only/);
    }
    const same = await api(c, `/summary${qs({ ...WINDOW, project: 'alpha' })}`, key);
    expect(figures(same.body)).toEqual(expectedTotals(mine));
    // Other filters narrow within the scope.
    const u1 = await api(c, `/summary${qs({ ...WINDOW, user: 'u1' })}`, key);
    expect(figures(u1.body)).toEqual(expectedTotals(mine.filter((x) => x.user === 'u1')));
  });

  it("the call list, a call, and the export: alpha calls only; another project's call is a 404", async () => {
    const list = await api(c, `/calls${qs({ ...WINDOW, page_size: 500 })}`, key);
    expect(list.body.total).toBe(mine.length);
    expect(new Set(list.body.calls.map((x: { project: string }) => x.project))).toEqual(
      new Set(['alpha']),
    );
    const beta = calls.find((x) => x.project === 'beta')!;
    const mineOne = calls.find((x) => x.project === 'alpha')!;
    expect(await api(c, `/calls/${beta.id}`, key)).toEqual({
      status: 404,
      body: { error: `no call with id ${beta.id}` },
    });
    expect((await api(c, `/calls/${mineOne.id}`, key)).status).toBe(200);
    // A cursor taken from an unbound key's walk still yields alpha's calls only.
    const wide = await api(c, `/calls${qs({ ...WINDOW, page_size: 3 })}`, KEYS.read);
    const after = await api(c, `/calls${qs({ ...WINDOW, cursor: wide.body.next_cursor })}`, key);
    expect(after.body.calls.every((x: { project: string }) => x.project === 'alpha')).toBe(true);
    const ndjson = await fetch(`${c.url}/api/v1/export${qs({ ...WINDOW, format: 'ndjson' })}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const ids = (await ndjson.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    expect(new Set(ids)).toEqual(new Set(mine.map((x) => x.id)));
  });

  it("info counts alpha's calls and leaves out the size of everyone's data", async () => {
    const all = alpha(calls);
    expect(await api(c, '/info', key)).toEqual({
      status: 200,
      body: {
        db_bytes: null,
        calls: all.length,
        oldest_call_at: iso(Math.min(...all.map((x) => x.started_at))),
        newest_call_at: iso(Math.max(...all.map((x) => x.started_at))),
        catalogue_version: c.parts.catalogue.version,
        retention_days: 90,
      },
    });
  });
});

describe('GET /api/v1/budgets', () => {
  it("an unbound key sees every budget; a key bound to alpha sees alpha's alone", async () => {
    const all = await api(c, '/budgets', KEYS.read);
    expect(all.body.budgets.map((b: { name: string }) => b.name)).toEqual([
      'alpha-month',
      'everyone-day',
    ]);
    const mine = await api(c, '/budgets', KEYS.alpha);
    expect(mine.body.budgets).toHaveLength(1);
    const b = mine.body.budgets[0];
    expect(b).toMatchObject({
      name: 'alpha-month',
      scope: { project: 'alpha' },
      period: 'month',
      timezone: 'UTC',
      limit_usd: 100,
      alert_at: [0.5],
    });
    const start = Date.parse(b.period_start);
    const end = Date.parse(b.period_end);
    const spent = alpha(calls)
      .filter((x) => x.started_at >= start && x.started_at < end)
      .reduce((s, x) => s + (x.cost_pusd ?? 0), 0);
    expect(b.spent_usd).toBeCloseTo(usd(spent), 12);
    expect((await api(c, '/budgets', KEYS.u1)).body).toEqual({ budgets: [] });
    expect((await api(c, '/budgets?project=alpha', KEYS.read)).status).toBe(400);
  });
});

describe('a key bound to user u1', () => {
  it('sees u1 alone; another user is a 403', async () => {
    const mine = inside.filter((x) => x.user === 'u1');
    const res = await api(c, `/summary${qs(WINDOW)}`, KEYS.u1);
    expect(figures(res.body)).toEqual(expectedTotals(mine));
    const rows = (await api(c, `/breakdown${qs({ ...WINDOW, by: 'user' })}`, KEYS.u1)).body.rows;
    expect(rows.map((r: { key: string }) => r.key)).toEqual(['u1']);
    const projects = (await api(c, `/projects${qs(WINDOW)}`, KEYS.u1)).body.projects;
    expect(projects.reduce((s: number, p: { calls: number }) => s + p.calls, 0)).toBe(mine.length);
    expect((await api(c, `/summary?user=u2`, KEYS.u1)).status).toBe(403);
    const list = await api(c, `/calls${qs({ ...WINDOW, page_size: 500 })}`, KEYS.u1);
    expect(list.body.calls.map((x: { id: string }) => x.id).sort()).toEqual(
      mine.map((x) => x.id).sort(),
    );
  });
});

describe('GET /api/v1/info and DELETE /api/v1/calls (admin)', () => {
  it('info, then a delete: the calls before the time and the rollup rows of the hours wholly before it', async () => {
    const info = await api(c, '/info', KEYS.admin);
    expect(info.body).toEqual({
      db_bytes: expect.any(Number),
      calls: calls.length,
      oldest_call_at: iso(Math.min(...calls.map((x) => x.started_at))),
      newest_call_at: iso(Math.max(...calls.map((x) => x.started_at))),
      catalogue_version: c.parts.catalogue.version,
      retention_days: 90,
    });
    expect(info.body.db_bytes).toBeGreaterThan(0);

    const before = A + 3 * HOUR + 20 * 60_000;
    const hourOf = (x: Sent) => Math.floor(x.started_at / HOUR) * HOUR;
    const gone = calls.filter((x) => x.started_at < before);
    const rollupRows = new Set(
      calls
        .filter((x) => hourOf(x) + HOUR <= before)
        .map((x) =>
          [
            hourOf(x),
            x.project,
            x.user,
            x.account,
            x.provider,
            x.model,
            x.call_type,
            x.status,
          ].join('|'),
        ),
    );
    expect(await api(c, `/calls?before=${iso(before)}`, KEYS.admin, 'DELETE')).toEqual({
      status: 200,
      body: { deleted_calls: gone.length, deleted_rollup_rows: rollupRows.size },
    });
    const left = calls.filter((x) => x.started_at >= before);
    const after = await api(c, '/info', KEYS.admin);
    expect(after.body).toMatchObject({
      calls: left.length,
      oldest_call_at: iso(Math.min(...left.map((x) => x.started_at))),
    });
    // Totals keep the hour the time falls in (its rollups stay), and lose the hours before.
    const w = { from: A - HOUR, to: A + 10 * HOUR };
    const summary = await api(c, `/summary${qs(w)}`, KEYS.admin);
    const counted = calls.filter((x) => hourOf(x) >= Math.floor(before / HOUR) * HOUR);
    expect(summary.body.calls).toBe(inWindow(counted, w).length);
    // The list shows the calls still stored, and its total says so.
    const list = await api(c, `/calls${qs({ ...w, page_size: 500 })}`, KEYS.admin);
    expect(list.body.total).toBe(inWindow(left, w).length);
    expect(list.body.calls).toHaveLength(inWindow(left, w).length);
    // Again: nothing more to delete.
    expect((await api(c, `/calls?before=${before}`, KEYS.admin, 'DELETE')).body).toEqual({
      deleted_calls: 0,
      deleted_rollup_rows: 0,
    });
  });
});
