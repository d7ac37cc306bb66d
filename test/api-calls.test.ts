import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, inWindow, iso, makeCalls, qs, type Sent, send, usd, WINDOW } from './api-data.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// The call list, one call, and the export, over HTTP: every row exactly once whether
// the pages are walked by number or by cursor, in every order; the CSV parsed back
// and the NDJSON compared with the calls that were sent.

const calls = makeCalls();
const inside = inWindow(calls, WINDOW);
let c: RunningCollector;
let catalogueVersion: string;

beforeAll(async () => {
  c = await startCollector();
  catalogueVersion = c.parts.catalogue.version;
  await send(c, calls);
});
afterAll(() => c.close());

const orNull = (n: number) => (n === 0 ? null : n);

/** The call as the API should show it, from what was sent. */
function expectedCall(s: Sent) {
  const ok = s.status === 'success';
  const unpriced = s.cost_pusd === null;
  return {
    id: s.id,
    trace_id: s.id.slice(0, 32),
    span_id: s.id.slice(32),
    started_at: iso(s.started_at),
    finished_at: iso(s.started_at + s.duration_ms),
    duration_ms: s.duration_ms,
    ttft_ms: null,
    service: 'api-test',
    project: s.project,
    user: s.user,
    account: s.account,
    provider: s.provider,
    operation: s.operation,
    call_type: s.call_type,
    request_model: s.request_model,
    response_model: s.response_model,
    model: s.model,
    input_tokens: orNull(s.input),
    output_tokens: orNull(s.output),
    cache_read_tokens: orNull(s.cache_read),
    cache_write_tokens: orNull(s.cache_write),
    cache_write_1h_tokens: null,
    reasoning_tokens: orNull(s.reasoning),
    image_count: orNull(s.images),
    image_size: null,
    image_resolution: null,
    image_quality: null,
    video_seconds: orNull(s.video_seconds),
    video_resolution: null,
    video_audio: null,
    aspect_ratio: null,
    status: s.status,
    error_type: s.error_type,
    error_message: ok ? null : 'the provider said no',
    retry_count: 0,
    cost_usd: s.cost_pusd === null ? null : usd(s.cost_pusd),
    pricing_source: !ok ? 'not billed' : unpriced ? catalogueVersion : 'instrumentation',
    unpriced_reason: unpriced ? expect.stringContaining('mystery-model-x') : null,
  };
}

const nullsLast = (a: Sent, b: Sent) => Number(a.cost_pusd === null) - Number(b.cost_pusd === null);
const ORDERS: Record<string, (a: Sent, b: Sent) => number> = {
  'time desc': (a, b) => b.started_at - a.started_at,
  'time asc': (a, b) => a.started_at - b.started_at,
  'cost desc': (a, b) =>
    nullsLast(a, b) || (b.cost_pusd ?? 0) - (a.cost_pusd ?? 0) || b.started_at - a.started_at,
  'cost asc': (a, b) =>
    nullsLast(a, b) || (a.cost_pusd ?? 0) - (b.cost_pusd ?? 0) || a.started_at - b.started_at,
  'latency desc': (a, b) => b.duration_ms - a.duration_ms || b.started_at - a.started_at,
  'latency asc': (a, b) => a.duration_ms - b.duration_ms || a.started_at - b.started_at,
};

const ids = (cs: { id: string }[]) => cs.map((x) => x.id);

describe('GET /api/v1/calls', () => {
  it('the first page: newest first, 20 calls, the total of the window, a cursor to go on', async () => {
    const res = await api(c, `/calls${qs(WINDOW)}`);
    expect(res.status).toBe(200);
    const expected = [...inside].sort(ORDERS['time desc']);
    expect(res.body).toEqual({
      total: inside.length,
      page: 1,
      page_size: 20,
      next_cursor: expect.any(String),
      calls: expected.slice(0, 20).map(expectedCall),
    });
  });

  for (const [order, compare] of Object.entries(ORDERS)) {
    it(`${order}: every call exactly once, walking page numbers and walking cursors`, async () => {
      const [sort, dir] = order.split(' ');
      const expected = ids([...inside].sort(compare));
      const base = { ...WINDOW, sort, order: dir, page_size: 7 };
      const byNumber: string[] = [];
      for (let page = 1; ; page++) {
        const res = await api(c, `/calls${qs({ ...base, page })}`);
        expect(res.body.total).toBe(inside.length);
        expect(res.body.page).toBe(page);
        if (res.body.calls.length === 0) {
          expect(res.body.next_cursor).toBeNull();
          break;
        }
        byNumber.push(...ids(res.body.calls));
      }
      expect(byNumber).toEqual(expected);
      const byCursor: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; ; pages++) {
        const res = await api(c, `/calls${qs({ ...base, cursor })}`);
        expect(res.body.total).toBe(inside.length);
        expect(res.body.page).toBe(cursor === undefined ? 1 : null);
        byCursor.push(...ids(res.body.calls));
        cursor = res.body.next_cursor ?? undefined;
        if (cursor === undefined) break;
        expect(pages).toBeLessThan(100);
      }
      expect(byCursor).toEqual(expected);
    });
  }

  it('filters apply to the list and its total; a cursor goes on under them', async () => {
    const alpha = inside.filter((x) => x.project === 'alpha' && x.status === 'success');
    const expected = ids([...alpha].sort(ORDERS['cost desc']));
    const got: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await api(
        c,
        `/calls${qs({ ...WINDOW, project: 'alpha', status: 'success', sort: 'cost', page_size: 5, cursor })}`,
      );
      expect(res.body.total).toBe(alpha.length);
      got.push(...ids(res.body.calls));
      cursor = res.body.next_cursor ?? undefined;
      if (cursor === undefined) break;
    }
    expect(got).toEqual(expected);
  });

  it('page_size 500 reads the window in one page; a page past the end is empty', async () => {
    const all = await api(c, `/calls${qs({ ...WINDOW, page_size: 500 })}`);
    expect(ids(all.body.calls)).toEqual(ids([...inside].sort(ORDERS['time desc'])));
    expect(all.body.next_cursor).toBeNull();
    const past = await api(c, `/calls${qs({ ...WINDOW, page: 1000 })}`);
    expect(past.body).toEqual({
      total: inside.length,
      page: 1000,
      page_size: 20,
      next_cursor: null,
      calls: [],
    });
  });
});

describe('GET /api/v1/calls/:id', () => {
  it('a priced, a failed and an unpriced call, each with its breakdown, prompt, path and attributes', async () => {
    const samples = [
      calls.find((x) => x.status === 'success' && x.cost_pusd !== null)!,
      calls.find((x) => x.status === 'error')!,
      calls.find((x) => x.cost_pusd === null)!,
    ];
    for (const s of samples) {
      const res = await api(c, `/calls/${s.id}`);
      expect(res.body).toEqual({
        ...expectedCall(s),
        cost_breakdown: null,
        prompt: null,
        output_path: null,
        attributes: { 'app.feature': s.feature },
      });
    }
    // Upper-case hex is the same id.
    expect((await api(c, `/calls/${samples[0]!.id.toUpperCase()}`)).body.id).toBe(samples[0]!.id);
  });

  it('404 for an id no call has; 400 for what cannot be an id', async () => {
    const none = `${'0'.repeat(47)}f`;
    expect(await api(c, `/calls/${none}`)).toEqual({
      status: 404,
      body: { error: `no call with id ${none}` },
    });
    for (const bad of ['xyz', `${'0'.repeat(48)}0`, "' OR 1=1 --"]) {
      const res = await api(c, `/calls/${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error).toMatch(/^id must be 48 hex characters/);
    }
  });
});

/** RFC 4180: fields split by commas, quoted fields may hold commas, "" and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  expect(cell, 'the file ends with CRLF').toBe('');
  return rows;
}

/** What a cell of the CSV holds for a value: formulas defused with a leading '. */
const cellOf = (v: unknown): string =>
  v === null ? '' : typeof v === 'string' && /^[=+\-@]/.test(v) ? `'${v}` : String(v);

describe('GET /api/v1/export', () => {
  it('CSV: a header, one row per call (newest first), quoting and formula-proofing, read back equal', async () => {
    const res = await fetch(`${c.url}/api/v1/export${qs(WINDOW)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="costlens-calls.csv"',
    );
    const text = await res.text();
    const [header, ...rows] = parseCsv(text);
    const list = (await api(c, `/calls${qs({ ...WINDOW, page_size: 500 })}`)).body.calls;
    expect(header).toEqual(Object.keys(list[0]));
    expect(rows).toEqual(
      list.map((call: Record<string, unknown>) => Object.values(call).map(cellOf)),
    );
    expect(rows.map((r) => r[0])).toEqual(ids([...inside].sort(ORDERS['time desc'])));
    // The cells a spreadsheet would run are text now, and quoting survives the round trip.
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toContain(`,'-5,`);
    expect(text).toContain(`,'@acct,`);
    expect(text).toContain(`"o'brien, ""jr"""`);
    expect(text).toContain('"two\nlines"');
  });

  it('NDJSON in the order asked: each line one call, equal to the calls sent', async () => {
    const res = await fetch(
      `${c.url}/api/v1/export${qs({ ...WINDOW, format: 'ndjson', sort: 'cost', order: 'asc' })}`,
    );
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([...inside].sort(ORDERS['cost asc']).map(expectedCall));
  });

  it('an empty window: the header alone, or nothing', async () => {
    const w = { from: 1_000_000, to: 2_000_000 };
    const csv = await (await fetch(`${c.url}/api/v1/export${qs(w)}`)).text();
    expect(csv.split('\r\n')).toHaveLength(2);
    const ndjson = await (
      await fetch(`${c.url}/api/v1/export${qs({ ...w, format: 'ndjson' })}`)
    ).text();
    expect(ndjson).toBe('');
  });
});

describe('an export larger than one batch, read by a slow client', () => {
  it('every call exactly once, while the collector keeps answering', async () => {
    const big = await startCollector();
    try {
      const many = makeCalls(1_700, 11);
      await send(big, many, undefined, 500);
      const res = await fetch(`${big.url}/api/v1/export?format=ndjson`);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let reads = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        // While the export waits on this reader, other requests are answered.
        if (reads++ === 1) expect((await api(big, '/summary')).body.calls).toBe(many.length);
        await new Promise((r) => setTimeout(r, 5));
      }
      const got = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).id);
      expect(got).toEqual(ids([...many].sort(ORDERS['time desc'])));
    } finally {
      await big.close();
    }
  });
});
