import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';
import { type Case, type Cls, messageOf, nextCase, seedCases } from './fuzz-cases.js';
import { cpuSeconds, memory, rssMB, withMemoryProbe } from './process-stats.js';
import { type RawAnswer, RawConnection } from './raw-http.js';

// 100,000 generated and mutated export requests against a real `costlens start`
// process, over keep-alive connections, eight at a time. Every body belongs to a
// class whose answer is known (good: 200 and stored; malformed: 4xx with a
// message; a poison value: 200 with the span refused; hostile keys and names:
// 200 and stored as sent) or is a random mutation (any answer but a 5xx). Each
// span's trace id starts with its class, so the database says afterwards
// exactly what was kept from whom. FUZZ_SEED=n replays a run.

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL = Number(process.env.FUZZ_TOTAL ?? 100_000);
// About 70 s alone on 2 cores; the suite runs other files beside it, so the bound is wide.
const DEADLINE_MS = Number(process.env.FUZZ_DEADLINE_MS ?? 170_000);
/** Memory is measured once this many requests have warmed the collector up, and at the end. */
const WARM = 20_000;
const IN_FLIGHT = 8;
const MB = 1024 * 1024;
seedCases(SEED);

const running: CollectorProcess[] = [];
afterAll(() => {
  for (const c of running) c.child.kill('SIGKILL');
});

describe(`100,000 fuzzed export requests against a running collector (FUZZ_SEED=${SEED})`, () => {
  it('no crash, no 5xx, a 4xx with a sentence for each bad body, nothing kept from a refused one, no impossible number anywhere, memory back down', async () => {
    // In memory where there is /dev/shm: this is about what is kept, not about fsync.
    const db = join(
      mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'costlens-fuzz-')),
      'c.db',
    );
    const port = await freePort();
    const probe = join(tmpdir(), `costlens-fuzz-memory-${port}.json`);
    const collector = await withMemoryProbe(probe, () =>
      spawnCollector(['--port', String(port), '--db', db]),
    );
    running.push(collector);
    const pid = collector.child.pid!;
    const sent: Record<Cls, Set<string>> = {
      good: new Set(),
      odd: new Set(),
      poison: new Set(),
      bad: new Set(),
      mutated: new Set(),
    };
    const refused = new Map<string, string>();
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const fail = (c: Case, why: string) => {
      if (failures.length < 20)
        failures.push(
          `${c.cls} ${c.headers['content-type']} ${c.body.subarray(0, 60).toString('hex')}: ${why}`,
        );
    };
    let done = 0;
    let peak = 0;
    const t0 = performance.now();
    const cpu0 = [process.cpuUsage(), cpuSeconds(pid)] as const;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB(pid))), 250);

    const worker = async (until: number) => {
      let conn = new RawConnection(port);
      while (done < until && performance.now() - t0 < DEADLINE_MS && failures.length < 20) {
        const c = nextCase();
        done++;
        let a: RawAnswer;
        try {
          if (conn.closed) conn = new RawConnection(port);
          a = await conn.request('POST', '/v1/traces', c.headers, c.body);
        } catch (err) {
          fail(c, `no answer: ${(err as Error).message}`);
          continue;
        }
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500) fail(c, `answered ${a.status}: ${a.body.toString().slice(0, 200)}`);
        else if (a.status >= 400 && messageOf(a).length < 10)
          fail(
            c,
            `answered ${a.status} without a sentence: ${a.body.toString('hex').slice(0, 80)}`,
          );
        if (c.status !== undefined && a.status !== c.status)
          fail(c, `answered ${a.status}, not ${c.status}: ${messageOf(a)}`);
        if ((c.cls === 'good' || c.cls === 'odd') && a.status !== 200)
          fail(c, `answered ${a.status}: ${messageOf(a)}`);
        if (
          c.cls === 'poison' &&
          !(a.status === 200 && /could not be recorded/.test(a.body.toString()))
        )
          fail(c, `poison span not refused in partial_success: ${a.status} ${a.body.toString()}`);
        if (c.ids) sent[c.cls].add(c.ids);
        if (c.cls === 'mutated' && a.status >= 400 && c.ids)
          refused.set(c.ids, `${a.status} ${messageOf(a)} ${c.body.toString('base64')}`);
      }
      conn.close();
    };
    const run = (until: number) =>
      Promise.all(Array.from({ length: IN_FLIGHT }, () => worker(until)));
    // Warm up (JIT, caches, /metrics series, SQLite pages), then measure, then the rest.
    await run(WARM);
    const before = await memory(pid, probe);
    await run(TOTAL);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const after = await memory(pid, probe);
    const mine = process.cpuUsage(cpu0[0]);
    const cpu = `CPU s: collector ${(cpuSeconds(pid) - cpu0[1]).toFixed(1)}, test ${((mine.user + mine.system) / 1e6).toFixed(1)}`;
    const mb = (n: number) => (n / MB).toFixed(0);
    console.log(
      `fuzz seed ${SEED}: ${done} requests in ${seconds.toFixed(1)} s (${Math.round(done / seconds)}/s),`,
      `statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${cpu};`,
      `after ${WARM} and at the end: heap after GC ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB, RSS ${mb(before.rss)} -> ${mb(after.rss)} MB (peak ${peak.toFixed(0)})`,
    );
    expect(failures, `FUZZ_SEED=${SEED}`).toEqual([]);
    expect(done, `FUZZ_SEED=${SEED}: too slow to send them all`).toBeGreaterThanOrEqual(TOTAL);
    expect(collector.child.exitCode, collector.output()).toBeNull();

    // What was kept: exactly the good and odd spans, nothing of a refused body or span.
    const base = `http://127.0.0.1:${port}`;
    const day = 86_400_000;
    const [from, to] = [Date.now() - day, Date.now() + day];
    const read = new Database(db, { readonly: true });
    const ids = new Set(
      (
        read.prepare('SELECT lower(hex(trace_id)) || lower(hex(span_id)) t FROM calls').all() as {
          t: string;
        }[]
      ).map((r) => r.t),
    );
    const missing = (set: Set<string>) => [...set].filter((t) => !ids.has(t));
    const kept = (set: Set<string>) => [...set].filter((t) => ids.has(t));
    expect(missing(sent.good), `FUZZ_SEED=${SEED}`).toEqual([]);
    expect(missing(sent.odd), `FUZZ_SEED=${SEED}`).toEqual([]);
    expect(kept(sent.bad), `FUZZ_SEED=${SEED}`).toEqual([]);
    expect(kept(sent.poison), `FUZZ_SEED=${SEED}`).toEqual([]);
    expect(
      kept(new Set(refused.keys())).map((t) => `${t}: ${refused.get(t)}`),
      `FUZZ_SEED=${SEED}`,
    ).toEqual([]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const accepted = Number(
      /costlens_ingest_spans_total\{result="accepted"\} (\S+)/.exec(metrics)?.[1],
    );
    expect(ids.size).toBe(accepted); // only answered-200 requests added calls

    // No impossible number: in the calls, the rollups, /metrics, the API.
    const impossible = read
      .prepare(
        `SELECT count(*) n FROM calls WHERE cost_pusd < 0 OR input_tokens < 0 OR output_tokens < 0
           OR cache_read_tokens < 0 OR reasoning_tokens < 0 OR image_count < 0 OR duration_us < 0
           OR video_seconds < 0 OR abs(video_seconds) > 1e300 OR typeof(input_tokens) NOT IN ('integer','null')
           OR typeof(cost_pusd) NOT IN ('integer','null')`,
      )
      .get() as { n: number };
    expect(impossible.n).toBe(0);
    const sums = `count(*) n, sum(cost_pusd) pusd, sum(input_tokens) input, sum(output_tokens) output`;
    const calls = read.prepare(`SELECT ${sums} FROM calls`).get() as Record<string, number>;
    const rollups = read
      .prepare(
        `SELECT sum(calls) n, sum(cost_pusd) pusd, sum(input_tokens) input, sum(output_tokens) output,
           min(min(calls, cost_pusd, input_tokens, output_tokens, failures, unpriced)) least FROM rollups_hourly`,
      )
      .get() as Record<string, number>;
    expect({ ...rollups, least: undefined }).toEqual({
      ...calls,
      pusd: calls.pusd ?? 0,
      least: undefined,
    });
    expect(rollups.least).toBeGreaterThanOrEqual(0);
    expect(
      read.prepare("SELECT count(*) n FROM call_records WHERE request_model = 'polluted'").get(),
    ).toEqual({ n: 0 });
    // A mutated start time may fall outside the window the API is asked about.
    const { inWindow } = read
      .prepare('SELECT count(*) inWindow FROM calls WHERE started_at >= ? AND started_at < ?')
      .get(from, to) as { inWindow: number };
    read.close();
    const samples = metrics.split('\n').filter((l) => l && !l.startsWith('#'));
    for (const line of samples) {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      expect(Number.isFinite(value) && value >= 0, line).toBe(true);
    }
    expect(metrics).not.toMatch(/polluted/);
    const summary = (await (
      await fetch(
        `${base}/api/v1/summary?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      )
    ).json()) as { calls: number; cost_usd: number; tokens: Record<string, number> };
    expect(summary.calls).toBe(inWindow);
    for (const v of [summary.cost_usd, ...Object.values(summary.tokens)])
      expect(Number.isFinite(v) && v >= 0, JSON.stringify(summary)).toBe(true);

    // Memory: 80,000 more requests leave the heap where it was; RSS (what the allocator
    // has not handed back yet) within a generous bound.
    expect(after.gc).toBe(true);
    expect(after.heapUsed).toBeLessThan(before.heapUsed + 32 * MB);
    expect(after.rss).toBeLessThan(before.rss + 192 * MB);
  }, 200_000);
});
