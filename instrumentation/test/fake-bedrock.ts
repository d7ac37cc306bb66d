import { constants, createServer, type Http2ServerResponse } from 'node:http2';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { expect } from 'vitest';
import { chunkMessage, eventMessage, exceptionMessage } from './fake-bedrock-wire.js';
import { type FakeServer, setupTelemetry, type Telemetry } from './harness.js';

/**
 * A local server that speaks Bedrock Runtime's REST wire format: POST
 * /model/{modelId}/converse, /converse-stream, /invoke and
 * /invoke-with-response-stream. Each request takes the next scripted reply:
 * JSON (with headers: InvokeModel's token counts), an AWS error (status,
 * `x-amzn-errortype`, `{ message }`), or an event stream of binary frames.
 *
 * It speaks HTTP/2 without TLS (prior knowledge), as the client does: the
 * Bedrock Runtime client's default handler is HTTP/2 (for its bidirectional
 * streams), so the app's own client runs unchanged.
 */

export type Reply =
  | { json: unknown; status?: number; headers?: Record<string, string> }
  | { error: string; status: number; message?: string }
  | { frames: Buffer[]; gapMs?: number; failAfter?: number; delayMs?: number };

export interface FakeBedrock extends FakeServer {
  reply(...replies: Reply[]): void;
  /** The model ids and operations asked for, decoded from the paths. */
  calls(): { modelId: string; action: string }[];
}

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

type Handler = (req: { method: string; url: string }, res: Http2ServerResponse) => Promise<void>;

/** An HTTP/2 cleartext server on a free loopback port, recording each request. */
async function startH2Server(handler: Handler): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const headers = { ...req.headers } as FakeServer['requests'][number]['headers'];
    requests.push({ method: req.method, path: req.url, headers, body });
    try {
      await handler({ method: req.method, url: req.url }, res);
    } catch (err) {
      sendError(res, 500, 'InternalServerException', String(err));
    }
  });
  const sessions = new Set<{ destroy(): void }>();
  const sockets = new Set<{ destroy(): void }>();
  server.on('connection', (s: { destroy(): void; on(e: string, f: () => void): void }) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function startFakeBedrock(): Promise<FakeBedrock> {
  const queue: Reply[] = [];
  const server = await startH2Server(async (req, res) => {
    const route = ROUTE.exec(req.url);
    if (req.method !== 'POST' || !route) {
      sendError(res, 404, 'UnknownOperationException', `no route ${req.method} ${req.url}`);
      return;
    }
    const next = queue.shift();
    if (!next) {
      sendError(res, 500, 'InternalServerException', 'the test queued no reply');
      return;
    }
    if ('error' in next) {
      sendError(res, next.status, next.error, next.message ?? `${next.error} from the fake`);
    } else if ('json' in next) {
      sendJson(res, next.status ?? 200, next.json, {
        'x-amzn-requestid': 'f1e2d3c4-0000-4000-8000-000000000001',
        ...next.headers,
      });
    } else {
      if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs));
      if (res.stream.destroyed) return; // the client gave up waiting
      res.writeHead(200, {
        'content-type': 'application/vnd.amazon.eventstream',
        'x-amzn-requestid': 'f1e2d3c4-0000-4000-8000-000000000002',
        'x-amzn-bedrock-content-type': 'application/json',
      });
      let sent = 0;
      for (const frame of next.frames) {
        if (next.failAfter !== undefined && sent === next.failAfter) {
          res.stream.close(constants.NGHTTP2_INTERNAL_ERROR); // the stream drops mid-way
          return;
        }
        res.write(frame);
        sent++;
        if (next.gapMs) await new Promise((r) => setTimeout(r, next.gapMs));
      }
      res.end();
    }
  });
  return Object.assign(server, {
    reply: (...r: Reply[]) => void queue.push(...r),
    calls: () =>
      server.requests.map((r) => {
        const m = ROUTE.exec(r.path);
        return { modelId: decodeURIComponent(m?.[1] ?? ''), action: m?.[2] ?? '' };
      }),
  });
}

function sendJson(
  res: Http2ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** An AWS JSON error: the type in `x-amzn-errortype` (as Bedrock sends it), the message in the body. */
function sendError(res: Http2ServerResponse, status: number, type: string, message: string): void {
  sendJson(
    res,
    status,
    { message },
    {
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': 'f1e2d3c4-0000-4000-8000-00000000000e',
    },
  );
}

/** A Converse answer (shape of the Converse API reference). */
export function converseAnswer(spec: { text?: string; stop?: string; usage?: object } = {}) {
  return {
    output: { message: { role: 'assistant', content: [{ text: spec.text ?? 'Hello!' }] } },
    stopReason: spec.stop ?? 'end_turn',
    usage: spec.usage ?? { inputTokens: 12, outputTokens: 6, totalTokens: 18 },
    metrics: { latencyMs: 321 },
  };
}

/** ConverseStream's events, each its own frame, metadata (usage) last. */
export function converseStreamFrames(
  spec: { chunks?: string[]; stop?: string; usage?: object } = {},
): Buffer[] {
  const chunks = spec.chunks ?? ['Hel', 'lo!'];
  return [
    eventMessage('messageStart', { role: 'assistant' }),
    ...chunks.map((text) =>
      eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
    ),
    eventMessage('contentBlockStop', { contentBlockIndex: 0 }),
    eventMessage('messageStop', { stopReason: spec.stop ?? 'end_turn' }),
    eventMessage('metadata', {
      usage: spec.usage ?? { inputTokens: 25, outputTokens: 9, totalTokens: 34 },
      metrics: { latencyMs: 456 },
    }),
  ];
}

/** InvokeModelWithResponseStream frames from the model's own JSON chunks. */
export const invokeStreamFrames = (chunks: unknown[]): Buffer[] => chunks.map(chunkMessage);

export { exceptionMessage };

export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLEsessiontoken0123456789';
export const REGION = 'us-west-2';

/** The fake server, telemetry with the SDK patched, and a real client of it. */
export async function bedrockTestbed(): Promise<{
  server: FakeBedrock;
  t: Telemetry;
  client: BedrockRuntimeClient;
}> {
  const server = await startFakeBedrock();
  const t = setupTelemetry({}, { bedrock: await import('@aws-sdk/client-bedrock-runtime') });
  const client = new BedrockRuntimeClient({
    region: REGION,
    endpoint: server.url,
    credentials: {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken: SESSION_TOKEN,
    },
    // The SDK's own retry loop, with a 5 ms wait instead of its jittered backoff.
    retryStrategy: new ConfiguredRetryStrategy(3, () => 5),
  });
  // The client keeps its HTTP/2 sessions open: it is closed with the server.
  const close = server.close;
  server.close = () => {
    client.destroy();
    return close();
  };
  return { server, t, client };
}

/** The span's attributes without the ones a test checks apart (cost, timing). */
export function split(span: ReadableSpan) {
  const {
    'costlens.cost.usd': cost,
    'gen_ai.usage.cost': usageCost,
    'costlens.cost.breakdown': breakdown,
    'costlens.pricing.source': source,
    'gen_ai.response.time_to_first_chunk': ttft,
    ...rest
  } = span.attributes;
  // Another convention's copy of the cost, where it is written, says the same.
  if (usageCost !== undefined) expect(usageCost).toBe(cost);
  return { cost, breakdown, source, ttft, rest };
}

/** After each test: no credential reached a span (attributes, status, events). */
export function checkedReset(bed: { t: Telemetry; server: FakeBedrock }): void {
  const { t } = bed;
  for (const span of t.spans()) {
    const recorded = JSON.stringify([span.attributes, span.status, span.events, span.name]);
    for (const secret of [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN]) {
      expect(recorded).not.toContain(secret);
    }
    expect(recorded).not.toMatch(/AWS4-HMAC-SHA256|Signature=|X-Amz-Security-Token/i);
  }
  // The client did sign with the fake credentials: what was kept out was really there.
  for (const r of bed.server.requests) {
    expect(String(r.headers.authorization)).toContain(`Credential=${ACCESS_KEY_ID}/`);
  }
  t.reset();
  bed.server.requests.length = 0;
}
