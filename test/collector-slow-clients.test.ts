import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';
import { chatSpans } from './spans.js';

// Hundreds of connections that send nothing, send their headers a byte at a
// time, or their body a few bytes at a time, each group from its own loopback
// address: meanwhile a client from 127.0.0.1 must still get /healthz, an export
// stored and the usage page, each within 2 s (less than the timeouts that would
// free a blocked server), and the server must close
// every slow connection once body_timeout_ms (+1 s for headers) has passed.

const BODY_TIMEOUT_MS = 2_000;
const HOLD_MS = 7_000;

const running: CollectorProcess[] = [];
const sockets: Socket[] = [];
afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const c of running) c.child.kill('SIGKILL');
});

interface Slow {
  socket: Socket;
  /** Resolves with the time (ms since the start) the server closed it, and what it answered. */
  closed: Promise<{ atMs: number; answer: string }>;
}

/** A connection from `from` that calls `drip` every 400 ms until the server closes it. */
function slow(port: number, from: string, t0: number, drip: (s: Socket, n: number) => void): Slow {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (d) => (answer += d.toString('latin1')));
  let n = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) drip(socket, n++);
  }, 400);
  const closed = new Promise<{ atMs: number; answer: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ atMs: performance.now() - t0, answer });
    }),
  );
  return { socket, closed };
}

describe('slow and idle clients', () => {
  it('do not keep /healthz, ingest or the page from others, and are closed after the timeouts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-slow-'));
    const config = join(dir, 'costlens.json');
    writeFileSync(config, JSON.stringify({ body_timeout_ms: BODY_TIMEOUT_MS }));
    const port = await freePort();
    const collector = await spawnCollector([
      '--config',
      config,
      '--port',
      String(port),
      '--db',
      join(dir, 'c.db'),
    ]);
    running.push(collector);
    const url = `http://127.0.0.1:${port}`;
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(chatSpans(5))!);
    const t0 = performance.now();

    const idle = Array.from({ length: 200 }, () => slow(port, '127.0.0.2', t0, () => {}));
    const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    const slowHeaders = Array.from({ length: 100 }, () =>
      slow(port, '127.0.0.3', t0, (s, n) => s.write(n < header.length ? header[n]! : 'a')),
    );
    const slowBodies = Array.from({ length: 100 }, () =>
      slow(port, '127.0.0.4', t0, (s, n) =>
        s.write(
          n === 0
            ? 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n'
            : 'abcd',
        ),
      ),
    );
    // More than max_connections_per_client (256) from one address: the rest are closed at once.
    const flood = Array.from({ length: 300 }, () => slow(port, '127.0.0.5', t0, () => {}));

    // A client from another address, all along.
    const timings: Record<string, number[]> = { healthz: [], ingest: [], page: [] };
    const failures: string[] = [];
    const timed = async (name: string, f: () => Promise<Response>, want: number) => {
      const start = performance.now();
      try {
        const res = await f();
        await res.arrayBuffer();
        if (res.status !== want) failures.push(`${name}: ${res.status}`);
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
      timings[name]!.push(performance.now() - start);
    };
    while (performance.now() - t0 < HOLD_MS) {
      await timed('healthz', () => fetch(`${url}/healthz`), 200);
      await timed(
        'ingest',
        () =>
          fetch(`${url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body,
          }),
        200,
      );
      await timed('page', () => fetch(`${url}/`), 200);
      await new Promise((r) => setTimeout(r, 150));
    }
    const worst = Object.fromEntries(
      Object.entries(timings).map(([k, v]) => [k, Math.round(Math.max(...v))]),
    );
    const closedAt = async (group: Slow[]) =>
      Math.round(Math.max(...(await Promise.all(group.map((g) => g.closed))).map((c) => c.atMs)));
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('a slow connection was never closed')), 15_000),
    );
    const [idleMs, headersMs, bodiesMs] = await Promise.race([
      Promise.all([closedAt(idle), closedAt(slowHeaders), closedAt(slowBodies)]),
      deadline,
    ]);
    const floodClosed = (await Promise.all(flood.map((f) => f.closed))).filter(
      (c) => c.atMs < 1_000,
    ).length;
    const answers = await Promise.all(slowBodies.map((s) => s.closed));
    console.log(
      `slow clients: ${timings.healthz!.length} rounds; slowest healthz ${worst.healthz} ms, export ${worst.ingest} ms, page ${worst.page} ms;`,
      `idle closed by ${idleMs} ms, slow headers by ${headersMs} ms, slow bodies by ${bodiesMs} ms; ${floodClosed} of 300 over the per-address cap closed at once`,
    );

    expect(failures).toEqual([]);
    expect(timings.healthz!.length).toBeGreaterThan(5);
    for (const [name, ms] of Object.entries(worst)) expect(ms, name).toBeLessThan(2_000);
    // Headers must be whole within body_timeout_ms + 1 s, bodies within body_timeout_ms
    // (Node checks once a second: allow two more).
    for (const ms of [idleMs, headersMs, bodiesMs])
      expect(ms).toBeLessThan(BODY_TIMEOUT_MS + 3_000);
    // A slow body is told why before the connection closes.
    expect(answers.filter((a) => /^HTTP\/1\.1 408 /.test(a.answer)).length).toBe(100);
    expect(floodClosed).toBeGreaterThanOrEqual(300 - 256);
    expect(collector.child.exitCode).toBeNull();
  }, 60_000);
});
