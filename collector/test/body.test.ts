import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, readBody } from '../src/service/body.js';

// readBody on a real loopback server: how a gzip body is inflated, seen from the
// buffer it comes back in. One buffer the size the trailer gives (and a byte) is
// what keeps a bomb from leaving a thousand 16 kB pieces in the allocator's heap.

const LIMIT = 1024 * 1024;
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer(async (req, res) => {
    try {
      const body = await readBody(req, LIMIT);
      res.end(JSON.stringify({ length: body.length, backing: body.buffer.byteLength }));
    } catch (err) {
      res.statusCode = err instanceof HttpError ? err.status : 500;
      res.end(JSON.stringify({ message: (err as Error).message }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const send = async (body: Buffer): Promise<{ status: number; [field: string]: unknown }> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-encoding': 'gzip' },
    body: new Uint8Array(body),
  });
  return { status: res.status, ...((await res.json()) as Record<string, unknown>) };
};
/** Text that compresses about as well as an export request does. */
const text = (bytes: number) => {
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `span ${i} gpt-4o ${(i * 7919) % 1000} tokens; `;
  return Buffer.from(s.slice(0, bytes));
};

describe('readBody inflating gzip', () => {
  it('inflates a body into one buffer of the size its trailer gives, and a byte', async () => {
    const raw = text(300 * 1024);
    expect(await send(gzipSync(raw))).toEqual({
      status: 200,
      length: raw.length,
      backing: raw.length + 1,
    });
  });

  it('inflates a bomb into one buffer of the limit and a byte, then refuses it', async () => {
    const answer = await send(gzipSync(Buffer.alloc(LIMIT * 4)));
    expect(answer).toEqual({
      status: 413,
      message: `request body is larger than the limit of ${LIMIT} bytes once decompressed`,
    });
  });

  it('takes no size from a trailer no deflate stream of its length can reach: a cut body is a 400', async () => {
    const whole = gzipSync(text(64 * 1024));
    let end = 24;
    // The first cut whose last 4 bytes read as more than 1032 times the data before them.
    while (whole.readUInt32LE(end - 4) <= (end - 18) * 1032) end++;
    const answer = await send(whole.subarray(0, end));
    expect(answer.status).toBe(400);
    expect(String(answer.message)).toMatch(/not valid gzip/);
  });

  it('a body of several gzip members is inflated whole, in pieces past the last one', async () => {
    const [a, b] = [text(100 * 1024), text(1000)];
    const answer = await send(Buffer.concat([gzipSync(a), gzipSync(b)]));
    expect(answer).toMatchObject({ status: 200, length: a.length + b.length });
  });
});
