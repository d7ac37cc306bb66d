import { once } from 'node:events';
import { Agent, createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HttpParameters } from '../src/courier.js';

// A stand-in for the collector's OTLP/HTTP endpoint, for the courier tests
// (courier.test.ts, delivery.test.ts).

export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Collector {
  url: string;
  received: Received[];
  /** Connections it accepted. */
  connections(): number;
  close(): Promise<void>;
}

/** A local HTTP server; `answer` answers the n-th request (200 when it returns nothing). */
export async function startCollector(
  answer: (res: ServerResponse, n: number) => boolean | undefined = () => undefined,
): Promise<Collector> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      if (!answer(res, received.length)) res.writeHead(200).end();
    });
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port nothing listens on. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** The parameters an OTLP/HTTP exporter gives its transport. */
export const params = (url: string, more: Partial<HttpParameters> = {}): HttpParameters => ({
  url,
  headers: async () => ({ 'Content-Type': 'application/x-protobuf' }),
  agentFactory: async () => new Agent({ keepAlive: true }),
  ...more,
});

export const BATCH = new Uint8Array([10, 3, 1, 2, 3]);
