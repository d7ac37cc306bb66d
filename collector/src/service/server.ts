import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { type AppParts, createApp } from './app.js';

/**
 * The collector's HTTP server: the app, with what the app cannot do alone. A
 * request must arrive whole within `body_timeout_ms` (Node checks every second
 * and answers 408), and one address may hold at most `max_connections_per_client`
 * connections; more are closed at once, so one client cannot take every socket.
 */
export function createCollectorServer(parts: AppParts): Server {
  const { config } = parts;
  const timeout = config.body_timeout_ms;
  const server = createServer(
    {
      // Headers and body together: the app's own body timer answers first, with an OTLP status.
      requestTimeout: timeout + 1_000,
      headersTimeout: timeout + 1_000,
      connectionsCheckingInterval: Math.min(1_000, timeout),
      keepAliveTimeout: 5_000,
    },
    createApp(parts),
  );
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const held = perClient.get(address) ?? 0;
    if (held >= config.max_connections_per_client) {
      socket.destroy();
      return;
    }
    perClient.set(address, held + 1);
    socket.once('close', () => {
      const left = (perClient.get(address) ?? 1) - 1;
      if (left === 0) perClient.delete(address);
      else perClient.set(address, left);
    });
  });
  return server;
}
