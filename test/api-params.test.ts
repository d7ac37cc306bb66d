import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, inWindow, makeCalls, qs, send, WINDOW } from './api-data.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// What the API does with parameters it cannot use: SQL metacharacters in every filter
// (no error, no other data: the value is bound, never spliced), and bad values (400,
// a sentence naming the parameter, nothing changed).

const calls = makeCalls();
const inside = inWindow(calls, WINDOW);
let c: RunningCollector;

beforeAll(async () => {
  c = await startCollector();
  await send(c, calls);
});
afterAll(() => c.close());

const HOSTILE = [
  "' OR 1=1 --",
  "alpha' --",
  "%' OR '1'='1",
  '%',
  '_',
  'x_y',
  'al%',
  '"',
  '"alpha"',
  'alpha"; DROP TABLE calls; --',
  '\\',
  '*',
];

describe('SQL metacharacters in every filter', () => {
  for (const field of ['project', 'user', 'account', 'provider', 'model']) {
    it(`${field}: nothing matches, on every endpoint, and the data is untouched`, async () => {
      for (const value of HOSTILE) {
        const p = { ...WINDOW, [field]: value };
        const summary = await api(c, `/summary${qs(p)}`);
        expect(summary.status, value).toBe(200);
        expect(summary.body.calls, value).toBe(0);
        expect((await api(c, `/breakdown${qs({ ...p, by: 'project' })}`)).body.rows).toEqual([]);
        expect((await api(c, `/breakdown${qs({ ...p, by: 'error_type' })}`)).body.rows).toEqual([]);
        const ts = await api(c, `/timeseries${qs({ ...p, metric: 'calls' })}`);
        expect(ts.body.series[0].values.every((v: number) => v === 0)).toBe(true);
        const list = await api(c, `/calls${qs(p)}`);
        expect([list.body.total, list.body.calls]).toEqual([0, []]);
        expect((await api(c, `/projects${qs(p)}`)).body.projects).toEqual([]);
        const nd = await fetch(`${c.url}/api/v1/export${qs({ ...p, format: 'ndjson' })}`);
        expect(await nd.text()).toBe('');
      }
      expect((await api(c, `/summary${qs(WINDOW)}`)).body.calls).toBe(inside.length);
    });
  }

  it('call_type and status: a 400 naming the parameter', async () => {
    for (const field of ['call_type', 'status']) {
      for (const value of HOSTILE) {
        const res = await api(c, `/summary${qs({ [field]: value })}`);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatch(new RegExp(`^${field} must be one of`));
      }
    }
  });

  it('a project named x%y is found by its own name only', async () => {
    const own = inside.filter((x) => x.project === 'x%y').length;
    expect(own).toBeGreaterThan(0);
    expect((await api(c, `/summary${qs({ ...WINDOW, project: 'x%y' })}`)).body.calls).toBe(own);
    for (const near of ['x_y', 'x%', '%y', 'X%Y']) {
      expect((await api(c, `/summary${qs({ ...WINDOW, project: near })}`)).body.calls, near).toBe(
        0,
      );
    }
    expect((await api(c, `/projects/${encodeURIComponent("' OR 1=1 --")}`)).status).toBe(404);
  });
});

describe('bad parameters: 400 with a sentence naming the parameter', () => {
  const cases: [string, RegExp][] = [
    ['/summary?from=yesterday', /^from must be an ISO-8601 time .* got "yesterday"$/],
    ['/summary?to=2026-13-45', /^to must be an ISO-8601 time/],
    ['/summary?from=-5', /^from must be an ISO-8601 time/],
    [
      '/summary?from=2026-12-02T10:00:00Z&to=2026-12-02T09:00:00Z',
      /^from \(.*\) must be before to/,
    ],
    ['/summary?projct=alpha', /^unknown parameter projct \(known: from, to, project, /],
    ['/summary?project=a&project=b', /^project must be given once$/],
    [`/summary?project=${'p'.repeat(1001)}`, /^project is longer than 1000 characters$/],
    ['/breakdown', /^by is required: one of project, user, /],
    ['/breakdown?by=colour', /^by must be one of .* got "colour"$/],
    ["/breakdown?by=' OR 1=1 --", /^by must be one of/],
    ['/timeseries?granularity=minute', /^granularity must be one of hour, day/],
    [
      '/timeseries?metric=revenue',
      /^metric must be one of cost, calls, tokens, failures, latency_p95/,
    ],
    ['/timeseries?group_by=colour', /^group_by must be one of/],
    ['/timeseries?from=0&to=4102444800000', /^from and to span \d+ hours, .* use granularity=day/],
    ['/projects/alpha?from=0', /^from and to span \d+ hours, .* ask for a shorter window/],
    ['/calls?page=0', /^page must be a whole number from 1 to/],
    ['/calls?page=1.5', /^page must be a whole number/],
    ['/calls?page_size=501', /^page_size must be a whole number from 1 to 500, got "501"$/],
    ['/calls?sort=name', /^sort must be one of time, cost, latency/],
    ['/calls?sort=time;DROP TABLE calls', /^sort must be one of/],
    ['/calls?order=up', /^order must be one of desc, asc/],
    ['/calls?cursor=garbage', /^cursor is not one this API gave/],
    ["/calls?cursor=' OR 1=1 --", /^cursor is not one this API gave/],
    ['/export?format=xml', /^format must be one of csv, ndjson/],
    ['/info?project=alpha', /^unknown parameter project: this endpoint takes none$/],
    ['/calls/abc?from=0', /^unknown parameter from: this endpoint takes none$/],
  ];
  for (const [path, error] of cases) {
    it(path.slice(0, 80), async () => {
      const res = await api(c, path);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: expect.stringMatching(error) });
    });
  }

  it('a cursor made for one order is refused by another', async () => {
    const first = await api(c, `/calls${qs({ ...WINDOW, sort: 'cost', page_size: 2 })}`);
    const res = await api(
      c,
      `/calls${qs({ ...WINDOW, sort: 'latency', cursor: first.body.next_cursor })}`,
    );
    expect(res).toEqual({
      status: 400,
      body: {
        error:
          'cursor was made for sort=cost&order=desc: ask with the same sort and order, or leave cursor out to start again',
      },
    });
  });

  it('DELETE /calls without a usable time deletes nothing', async () => {
    for (const [query, error] of [
      ['', 'before is required: the time before which calls are deleted'],
      ['?before=soon', expect.stringMatching(/^before must be an ISO-8601 time/)],
      ['?before=1&after=2', expect.stringMatching(/^unknown parameter after/)],
    ] as const) {
      expect(await api(c, `/calls${query}`, undefined, 'DELETE')).toEqual({
        status: 400,
        body: { error },
      });
    }
    expect((await api(c, '/info')).body.calls).toBe(calls.length);
  });

  it('an unknown endpoint is a JSON 404', async () => {
    expect(await api(c, '/nothing')).toEqual({
      status: 404,
      body: { error: 'no such endpoint: GET /api/v1/nothing' },
    });
    expect((await api(c, '/summary', undefined, 'POST')).status).toBe(404);
  });
});
