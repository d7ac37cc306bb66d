import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { chatSpans } from './spans.js';

const realSpans = () => chatSpans(3);

let c: RunningCollector;
let proto: Uint8Array;
beforeAll(async () => {
  c = await startCollector({ max_body_bytes: 64 * 1024 });
  proto = ProtobufTraceSerializer.serializeRequest(realSpans())!;
});
afterAll(() => c.close());

const post = (body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };
const stored = () =>
  (c.parts.store.db.prepare('SELECT count(*) n FROM call_records').get() as { n: number }).n;

async function expectRefused(res: Response, status: number, message: RegExp) {
  expect(res.status).toBe(status);
  const body = res.headers.get('content-type')?.includes('json')
    ? ((await res.json()) as { message: string }).message
    : await res.text();
  expect(body).toMatch(message);
}

/** The google.rpc.Status code of an OTLP error answer, protobuf or JSON. */
async function grpcCode(res: Response): Promise<number> {
  if (res.headers.get('content-type')?.includes('json'))
    return ((await res.json()) as { code: number }).code;
  const b = new Uint8Array(await res.arrayBuffer());
  // Field 1 (code), wire type 0: tag 0x08, then a varint (every code fits one byte).
  expect(b[0]).toBe(0x08);
  return b[1]!;
}

describe('bad export requests get a clear 4xx and change nothing', () => {
  it('truncated protobuf', async () => {
    for (const cut of [1, 7, proto.length / 2, proto.length - 1]) {
      const res = await post(proto.subarray(0, Math.floor(cut)), PROTO);
      expect(res.status, `cut at ${cut}`).toBe(400);
    }
    expect(stored()).toBe(0);
  });

  it('a known field with the wrong wire type', async () => {
    // Field 1 (resource_spans) sent as a varint instead of a message.
    await expectRefused(
      await post(Uint8Array.from([0x08, 0x01]), PROTO),
      400,
      /could not be decoded: ExportTraceServiceRequest field 1 has wire type 0, expected 2 at byte 1/,
    );
  });

  it('invalid JSON, and JSON of the wrong shape', async () => {
    await expectRefused(
      await post('{"resourceSpans": [', JSON_CT),
      400,
      /could not be decoded: the request is not valid JSON/,
    );
    await expectRefused(
      await post('{"resourceSpans": {}}', JSON_CT),
      400,
      /request\.resourceSpans must be a list/,
    );
    const badId = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(realSpans())!),
    );
    badId.resourceSpans[0].scopeSpans[0].spans[0].traceId = 'not-hex';
    await expectRefused(
      await post(JSON.stringify(badId), JSON_CT),
      400,
      /traceId must be 32 hex digits/,
    );
    expect(stored()).toBe(0);
  });

  it('deep nesting is refused, not a stack overflow', async () => {
    let value = '{"stringValue":"x"}';
    for (let i = 0; i < 200; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"k","value":${value}}]}]}]}]}`;
    await expectRefused(await post(body, JSON_CT), 400, /nested deeper than 32/);
    const deepJson = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    expect((await post(deepJson, JSON_CT)).status).toBe(400);
  });

  it('a body over the limit, plain or as a gzip bomb, is 413', async () => {
    const huge = `{"resourceSpans":[],"x":"${'a'.repeat(70 * 1024)}"}`;
    await expectRefused(await post(huge, JSON_CT), 413, /larger than the limit of 65536 bytes/);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MiB of zeros in ~50 KiB
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expectRefused(
      await post(bomb, { ...JSON_CT, 'content-encoding': 'gzip' }),
      413,
      /larger than the limit of 65536 bytes once decompressed/,
    );
  });

  it('other content types are 415; other encodings too', async () => {
    await expectRefused(
      await post('hello', { 'content-type': 'text/plain' }),
      415,
      /Content-Type "text\/plain" is not supported/,
    );
    await expectRefused(
      await post(proto, { ...PROTO, 'content-encoding': 'br' }),
      415,
      /Content-Encoding "br" is not supported/,
    );
  });

  it('error answers carry the gRPC code of the failure, not the HTTP status', async () => {
    // 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 12 UNIMPLEMENTED
    expect(await grpcCode(await post(proto.subarray(0, 7), PROTO))).toBe(3);
    expect(await grpcCode(await post('{"resourceSpans": 5}', JSON_CT))).toBe(3);
    expect(await grpcCode(await post(new Uint8Array(65 * 1024), PROTO))).toBe(8);
    expect(await grpcCode(await post('x', { 'content-type': 'text/plain' }))).toBe(12);
  });

  it('and then the collector still takes a good export, gzipped', async () => {
    const res = await post(gzipSync(proto), { ...PROTO, 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(stored()).toBe(3);
  });
});

describe('keys', () => {
  let secured: RunningCollector;
  beforeAll(async () => {
    secured = await startCollector({
      keys: {
        ingest: [
          { key: 'ingest-key-0123456789' },
          { key: 'team-a-key-0123456789', project: 'team-a' },
        ],
        read: [{ key: 'read-key-0123456789ab' }],
        admin: [],
      },
    });
  });
  afterAll(() => secured.close());
  const send = (headers: Record<string, string>) =>
    fetch(`${secured.url}/v1/traces`, {
      method: 'POST',
      headers: { ...PROTO, ...headers },
      body: Buffer.from(proto),
    });

  it('a missing or wrong key is 401 with the same sentence, and nothing is stored', async () => {
    const none = await send({});
    const wrong = await send({ authorization: 'Bearer nope' });
    expect([none.status, wrong.status]).toEqual([401, 401]);
    expect((await none.clone().text()).length).toBe((await wrong.clone().text()).length);
    expect(await grpcCode(none)).toBe(16); // UNAUTHENTICATED
    expect((await fetch(`${secured.url}/metrics`)).status).toBe(401);
    expect(secured.parts.store.db.prepare('SELECT count(*) n FROM call_records').get()).toEqual({
      n: 0,
    });
  });

  it('a key bound to a project decides the project of what it sends', async () => {
    expect((await send({ 'x-api-key': 'team-a-key-0123456789' })).status).toBe(200);
    expect(
      secured.parts.store.db.prepare('SELECT DISTINCT project FROM call_records').all(),
    ).toEqual([{ project: 'team-a' }]);
    const m = await fetch(`${secured.url}/metrics`, {
      headers: { authorization: 'Bearer read-key-0123456789ab' },
    });
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('project="team-a"');
  });
});

describe('saturation', () => {
  it('answers 503 with Retry-After when max_inflight exports are already being stored, so exporters retry', async () => {
    const busy = await startCollector({ max_inflight: 1 });
    // Another program holding the database's write lock keeps the first export in its commit.
    const lock = new Database(busy.parts.config.db);
    try {
      lock.exec('BEGIN IMMEDIATE');
      const post = () =>
        fetch(`${busy.url}/v1/traces`, {
          method: 'POST',
          headers: PROTO,
          body: Buffer.from(proto),
        });
      const first = post();
      await new Promise((r) => setTimeout(r, 300));
      const res = await post();
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await grpcCode(res)).toBe(14); // UNAVAILABLE
      lock.exec('ROLLBACK');
      expect((await first).status).toBe(200);
      // The slot is free again.
      expect((await post()).status).toBe(200);
    } finally {
      lock.close();
      await busy.close();
    }
  });

  it('64 clients that send headers and a little of a 1 MB body hold no ingest slot: a real export gets 200 at once, they get 408', async () => {
    const slow = await startCollector({ body_timeout_ms: 1_500 });
    const { port } = new URL(slow.url);
    const stalled = Array.from({ length: 64 }, () => {
      const s = connect(Number(port), '127.0.0.1');
      s.on('error', () => {});
      s.write(
        `POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(100)}`,
      );
      const answer = new Promise<string>((resolve) => {
        let text = '';
        s.on('data', (d) => {
          text += d.toString('latin1');
        });
        s.on('close', () => resolve(text));
      });
      return { s, answer };
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      const res = await fetch(`${slow.url}/v1/traces`, {
        method: 'POST',
        headers: PROTO,
        body: Buffer.from(proto),
      });
      expect(res.status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(1_000);
      // Each stalled client is answered 408 and its connection closed, within the timeout and a second.
      const answers = await Promise.all(stalled.map((x) => x.answer));
      for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 408 /);
      expect(answers[0]).toMatch(/did not arrive within 1500 ms/);
    } finally {
      for (const x of stalled) x.s.destroy();
      await slow.close();
    }
  });

  it('with keys, one key holds at most max_inflight_per_key exports; other keys still get in', async () => {
    const keyed = await startCollector({
      max_inflight_per_key: 2,
      body_timeout_ms: 3_000,
      keys: {
        ingest: [{ key: 'greedy-key-0123456789' }, { key: 'polite-key-0123456789' }],
        read: [],
        admin: [],
      },
    });
    const { port } = new URL(keyed.url);
    const held = Array.from({ length: 2 }, () => {
      const s = connect(Number(port), '127.0.0.1');
      s.on('error', () => {});
      s.write(
        'POST /v1/traces HTTP/1.1\r\nHost: x\r\nx-api-key: greedy-key-0123456789\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n',
      );
      return s;
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const send = (key: string) =>
        fetch(`${keyed.url}/v1/traces`, {
          method: 'POST',
          headers: { ...PROTO, 'x-api-key': key },
          body: Buffer.from(proto),
        });
      const greedy = await send('greedy-key-0123456789');
      expect(greedy.status).toBe(503);
      expect(((await greedy.text()) as string).length).toBeGreaterThan(0);
      expect((await send('polite-key-0123456789')).status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await keyed.close();
    }
  });
});
