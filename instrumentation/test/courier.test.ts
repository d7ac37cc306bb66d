import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Courier } from '../src/courier.js';
import { BATCH, type Collector, freePort, params, startCollector } from './fake-collector.js';

// The courier register puts under each OTLP/HTTP exporter: it takes a batch at once
// and sends it as the exporter would have (the same requests, retries and timeout),
// counting what it could not deliver. That nothing of it holds an app that is done
// is timed end to end (test/register-shutdown.test.ts).

describe('Courier', () => {
  let collector: Collector | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
  });

  it('takes a batch at once, then posts it as the OTLP exporter would', async () => {
    collector = await startCollector();
    const courier = new Courier(params(`${collector.url}/v1/traces`), 'spans');
    await expect(courier.send(BATCH, 10_000, 3)).resolves.toEqual({ status: 'success' });
    expect(collector.received).toEqual([]); // not sent yet: the exporter did not wait
    await courier.idle();
    expect(collector.received).toHaveLength(1);
    const [request] = collector.received;
    expect(request!.url).toBe('/v1/traces');
    expect(request!.headers['content-type']).toBe('application/x-protobuf');
    expect(request!.headers['user-agent']).toMatch(/^@costlens\/instrumentation\/\d/);
    expect(new Uint8Array(request!.body)).toEqual(BATCH);
    expect(courier.undelivered()).toEqual({
      url: `${collector.url}/v1/traces`,
      items: 0,
      batches: 0,
      uncounted: 0,
    });
  });

  it('gzips when the exporter was told to (OTEL_EXPORTER_OTLP_COMPRESSION)', async () => {
    collector = await startCollector();
    const courier = new Courier(params(collector.url, { compression: 'gzip' }), 'spans');
    void courier.send(BATCH, 10_000, 3);
    await courier.idle();
    const [request] = collector.received;
    expect(request!.headers['content-encoding']).toBe('gzip');
    expect(new Uint8Array(gunzipSync(request!.body))).toEqual(BATCH);
  });

  it('retries what the collector says to retry (503, Retry-After), and delivers it', async () => {
    collector = await startCollector((res, n) => {
      if (n > 1) return;
      res.writeHead(503, { 'Retry-After': '0' }).end();
      return true;
    });
    const courier = new Courier(params(collector.url), 'spans');
    void courier.send(BATCH, 10_000, 3);
    await courier.idle();
    expect(collector.received).toHaveLength(2);
    expect(courier.undelivered().batches).toBe(0);
  });

  it('gives up at once on an answer that is not to be retried, and counts what was lost', async () => {
    collector = await startCollector((res) => {
      res.writeHead(400).end('bad');
      return true;
    });
    const courier = new Courier(params(collector.url), 'spans');
    void courier.send(BATCH, 10_000, 3);
    void courier.send(BATCH, 10_000, 2);
    await courier.idle();
    expect(collector.received).toHaveLength(2);
    expect(courier.undelivered()).toEqual({
      url: collector.url,
      items: 5,
      batches: 2,
      uncounted: 0,
      last: { reason: 'HTTP 400', unreachable: false, retryable: false },
    });
  });

  it('retries a refused connection until no retry fits before the deadline', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const courier = new Courier(params(url), 'metric points');
    const started = Date.now();
    courier.cutOff(started + 1_500);
    void courier.send(BATCH, 10_000, 7);
    await courier.idle();
    // Tried at once, then after about 1 s; the next retry (about 1.5 s later) would be too late.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(courier.undelivered()).toMatchObject({
      items: 7,
      batches: 1,
      last: { reason: 'connect ECONNREFUSED', unreachable: true },
    });
  });

  it('abandon() gives up what is waiting for an answer, as not delivered', async () => {
    collector = await startCollector(() => true); // never answers
    const courier = new Courier(params(collector.url), 'spans');
    void courier.send(BATCH, 10_000, 3);
    void courier.send(BATCH, 10_000); // a batch whose size is not known
    await vi.waitFor(() => expect(collector!.received).toHaveLength(2));
    courier.abandon();
    await courier.idle();
    expect(courier.undelivered()).toMatchObject({
      items: 3,
      batches: 2,
      uncounted: 1,
      last: { reason: 'no answer' },
    });
  });

  it('refuses a batch past the concurrency limit, counted as not delivered', async () => {
    collector = await startCollector(() => true);
    const courier = new Courier(params(collector.url, { concurrencyLimit: 1 }), 'spans');
    await expect(courier.send(BATCH, 10_000, 1)).resolves.toEqual({ status: 'success' });
    await expect(courier.send(BATCH, 10_000, 2)).resolves.toMatchObject({ status: 'failure' });
    expect(courier.undelivered()).toMatchObject({
      items: 2,
      last: { reason: 'too many exports waiting' },
    });
    courier.abandon();
  });
});
