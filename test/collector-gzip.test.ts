import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { chatSpans } from './spans.js';

// Gzip bodies at the edges of max_body_bytes: a bomb is stopped at the limit
// whatever its trailer (the size it says it inflates to) claims, a body in several
// members is inflated whole, and a trailer that does not match is a broken body.

const LIMIT = 64 * 1024;
let c: RunningCollector;
beforeAll(async () => {
  c = await startCollector({ max_body_bytes: LIMIT });
});
afterAll(() => c.close());

const post = (body: Buffer) =>
  fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    body: new Uint8Array(body),
  });
const stored = () =>
  (c.parts.store.db.prepare('SELECT count(*) n FROM call_records').get() as { n: number }).n;
const message = async (res: Response) => {
  // google.rpc.Status: field 1 the code, field 2 the message (a one- or two-byte length).
  const b = Buffer.from(await res.arrayBuffer());
  return b.subarray(b.indexOf(0x12) + 1).toString('latin1');
};
/** The same gzip body with another size in its trailer (ISIZE, little-endian). */
const sayingSize = (gz: Buffer, size: number) => {
  const out = Buffer.from(gz);
  out.writeUInt32LE(size, out.length - 4);
  return out;
};
/** One export request of `n` real spans, as protobuf. */
const exportOf = (n: number) =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(chatSpans(n))!);

describe('gzip bodies at the edges of the body limit', () => {
  it('a bomb is refused with 413', async () => {
    const bomb = gzipSync(Buffer.alloc(17 * 1024 * 1024));
    const res = await post(bomb);
    expect(res.status).toBe(413);
    expect(await message(res)).toMatch(/larger than the limit of 65536 bytes once decompressed/);
  });

  it('a bomb whose trailer lies is still stopped at the limit while inflating', async () => {
    const liar = sayingSize(gzipSync(Buffer.alloc(17 * 1024 * 1024)), 100);
    const res = await post(liar);
    expect(res.status).toBe(413);
    expect(await message(res)).toMatch(/larger than the limit of 65536 bytes once decompressed/);
  });

  it('two gzip members over the limit together, the last one small, are 413', async () => {
    const body = Buffer.concat([gzipSync(Buffer.alloc(70 * 1024)), gzipSync(Buffer.alloc(10))]);
    expect(body.readUInt32LE(body.length - 4)).toBe(10);
    expect((await post(body)).status).toBe(413);
  });

  it('a body just under the limit is inflated whole and stored', async () => {
    let n = 1;
    while (exportOf(n * 2).length < LIMIT) n *= 2;
    const raw = exportOf(n);
    expect(raw.length).toBeGreaterThan(LIMIT / 2);
    const before = stored();
    const res = await post(gzipSync(raw));
    expect(res.status).toBe(200);
    expect(stored() - before).toBe(n);
  });

  it('a body in two gzip members, the last saying less than the whole, is inflated whole', async () => {
    // Two requests' worth of spans in one protobuf message: repeated fields concatenate.
    const a = exportOf(100);
    const b = exportOf(100);
    expect(a.length).toBeGreaterThan(16 * 1024); // more than one 16 kB piece in all
    const body = Buffer.concat([gzipSync(a), gzipSync(b)]);
    expect(body.readUInt32LE(body.length - 4)).toBe(b.length);
    const before = stored();
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(stored() - before).toBe(200);
  });

  it('a truncated body whose last bytes read as a size past the limit is a broken body (400), not a large one', async () => {
    // Its last 4 bytes are deflate data, not a trailer: they say nothing of its size.
    const whole = gzipSync(exportOf(3));
    let end = 20;
    while (whole.readUInt32LE(end - 4) <= LIMIT) end++;
    const cut = whole.subarray(0, end);
    expect(end).toBeLessThan(whole.length - 8);
    const res = await post(Buffer.from(cut));
    expect(res.status).toBe(400);
    expect(await message(res)).toMatch(/not valid gzip/);
  });

  it('a trailer that gives the wrong size for a body within the limit is a 400, nothing stored', async () => {
    const before = stored();
    const res = await post(sayingSize(gzipSync(exportOf(3)), 5));
    expect(res.status).toBe(400);
    expect(await message(res)).toMatch(/not valid gzip/);
    expect(stored()).toBe(before);
  });
});
