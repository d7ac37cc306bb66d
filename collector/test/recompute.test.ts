import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalogue } from '@costlens/pricing';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/records/call-record.js';
import { DEFAULT_LIMITS } from '../src/records/limits.js';
import { Repricer } from '../src/store/recompute.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { runCli } from './run-cli.js';
import { insertRecords } from './support/store.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 24, 10);
const zero = { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, media: 0 };

function call(i: number, over: Partial<CallRecord> = {}): CallRecord {
  const trace = (i + 1).toString(16).padStart(32, '0');
  const spanId = (i + 1).toString(16).padStart(16, '0');
  return callRecord({
    id: trace + spanId,
    trace_id: trace,
    span_id: spanId,
    started_at: T0 + i,
    ...over,
  });
}

/** gpt-4o-2024-08-06, 1,000 in and 100 out: $0.0035 at the catalogue's price. */
const RIGHT = 3_500_000_000;

const opened: Store[] = [];
function tempStore(): { store: Store; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'costlens-recompute-')), 'c.db');
  const store = new Store(path);
  opened.push(store);
  return { store, path };
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

const totals = (s: Store) => ({
  calls: s.db
    .prepare('SELECT sum(cost_pusd) cost, sum(cost_pusd IS NULL) unpriced FROM calls')
    .get(),
  rollups: s.db
    .prepare('SELECT sum(cost_pusd) cost, sum(unpriced) unpriced FROM rollups_hourly')
    .get(),
});

const history = () => [
  // Priced long ago at a wrong price.
  call(0, { cost_pusd: 1_000_000_000, cost_breakdown_pusd: { ...zero, input: 1_000_000_000 } }),
  // A fine-tuned model the catalogue does not know: unpriced until a price file names it.
  call(1, {
    request_model: 'ft:gpt-4o-mini:acme',
    response_model: null,
    cost_pusd: null,
    unpriced_reason: 'unknown model',
  }),
  // Failed without usage: not billed, and stays so.
  call(2, {
    status: 'error',
    error_type: 'RateLimitError',
    input_tokens: null,
    output_tokens: null,
    cost_pusd: 0,
    pricing_source: 'not billed',
  }),
  // Priced by image output tokens, which the record does not keep: left as it is.
  call(3, {
    request_model: 'gemini-2.5-flash-image',
    response_model: null,
    provider: 'gcp.gemini',
    cost_pusd: 5_000_000_000,
    cost_breakdown_pusd: { ...zero, media: 5_000_000_000 },
  }),
  // Already right.
  call(4, { cost_pusd: RIGHT, pricing_source: loadCatalogue().version }),
  // Another hour and provider, wrong too.
  call(5, {
    started_at: T0 + 2 * HOUR,
    provider: 'anthropic',
    request_model: 'claude-sonnet-4-5',
    response_model: null,
    cost_pusd: 1,
  }),
];

describe('costlens recompute', () => {
  it("re-prices stored calls with today's catalogue and the price file, and the rollups follow", async () => {
    const { store, path } = tempStore();
    insertRecords(store, history());
    const prices = join(mkdtempSync(join(tmpdir(), 'costlens-prices-')), 'prices.yaml');
    writeFileSync(
      prices,
      'models:\n  - provider: openai\n    model: ft:gpt-4o-mini:acme\n    input: 0.3\n    output: 1.2\n',
    );
    const run = await runCli('recompute', '--db', path, '--prices', prices);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // claude-sonnet-4-5: 1,000 in at $3 and 100 out at $15 per 1M.
    const claude = 1000 * 3_000_000 + 100 * 15_000_000;
    const ft = 1000 * 300_000 + 100 * 1_200_000;
    const before = 1_000_000_000 + 0 + 5_000_000_000 + RIGHT + 1;
    const after = RIGHT + ft + 5_000_000_000 + RIGHT + claude;
    expect(run.stdout).toBe(
      `re-priced 6 calls with catalogue ${loadCatalogue().version} and ${prices}
  changed               3
  now priced            1   (were unpriced)
  now unpriced          0
  kept                  1   (their cost rests on counts the record does not keep)
  total        $${(before / 1e12).toFixed(6)} -> $${(after / 1e12).toFixed(6)}
`,
    );
    const rows = store.db
      .prepare(
        'SELECT cost_pusd, pricing_source, unpriced_reason FROM call_records ORDER BY started_at',
      )
      .all();
    expect(rows).toEqual([
      { cost_pusd: RIGHT, pricing_source: loadCatalogue().version, unpriced_reason: null },
      { cost_pusd: ft, pricing_source: 'override', unpriced_reason: null },
      { cost_pusd: 0, pricing_source: 'not billed', unpriced_reason: null },
      { cost_pusd: 5_000_000_000, pricing_source: 'test', unpriced_reason: null },
      { cost_pusd: RIGHT, pricing_source: loadCatalogue().version, unpriced_reason: null },
      { cost_pusd: claude, pricing_source: loadCatalogue().version, unpriced_reason: null },
    ]);
    const t = totals(store);
    expect(t.rollups).toEqual(t.calls);
    expect(t.calls).toEqual({ cost: after, unpriced: 0 });
    // Run again: nothing changes.
    const again = await runCli('recompute', '--db', path, '--prices', prices);
    expect(again.stdout).toMatch(/changed\s+0\n/);
  });

  it('--provider, --from and --to choose the calls', async () => {
    const { store, path } = tempStore();
    insertRecords(store, history());
    const run = await runCli('recompute', '--db', path, '--provider', 'anthropic');
    expect(run.stdout).toMatch(/^re-priced 1 calls/);
    const window = await runCli(
      'recompute',
      '--db',
      path,
      '--from',
      new Date(T0).toISOString(),
      '--to',
      new Date(T0 + 1).toISOString(),
    );
    expect(window.stdout).toMatch(/^re-priced 1 calls/);
    expect(
      store.db.prepare('SELECT cost_pusd FROM calls ORDER BY started_at LIMIT 1').pluck().get(),
    ).toBe(RIGHT);
  });

  it('a run stopped after a chunk resumes where it stopped, and ends where a whole run ends', () => {
    const a = tempStore().store;
    const b = tempStore().store;
    insertRecords(a, history());
    insertRecords(b, history());
    const catalogue = loadCatalogue();
    const whole = new Repricer(a.db, catalogue, DEFAULT_LIMITS).run({}, { chunk: 2 });
    const stopped = new Repricer(b.db, catalogue, DEFAULT_LIMITS);
    let lastRowid = 0;
    const first = stopped.run(
      {},
      {
        chunk: 2,
        onChunk: (p) => {
          lastRowid = p.lastRowid;
          return false;
        },
      },
    );
    expect(first.calls).toBe(2);
    const rest = stopped.run({}, { chunk: 2, after: lastRowid });
    expect(first.calls + rest.calls).toBe(whole.calls);
    expect(first.afterPusd + rest.afterPusd).toBe(whole.afterPusd);
    expect(totals(b)).toEqual(totals(a));
  });

  it('bad arguments and a missing database are a sentence and exit 2', async () => {
    expect(await runCli('recompute', '--db', '/nonexistent/c.db')).toMatchObject({
      code: 2,
      stderr:
        'costlens: recompute: there is no database at /nonexistent/c.db; pass --db or --config.\n',
    });
    expect((await runCli('recompute', '--from', 'yesterday')).code).toBe(2);
    expect((await runCli('recompute', '--help')).stdout).toMatch(/^costlens recompute: re-price/);
  });
});
