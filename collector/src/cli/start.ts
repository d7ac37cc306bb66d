import type { Server } from 'node:http';
import { OverrideFileError } from '@costlens/pricing';
import { ConfigError, checkExposure, hasKeys, isLoopback, loadConfig } from '../service/config.js';
import { buildParts, closeParts } from '../service/parts.js';
import { startRetention } from '../service/retention.js';
import { createCollectorServer } from '../service/server.js';
import { parse } from './args.js';
import { EXIT, type Io, UsageError } from './io.js';

export const START_HELP = `costlens start: run the collector

Usage: costlens start [--config FILE] [--port 4318] [--host 127.0.0.1] [--db ./data/costlens.db]

Receives OTLP/HTTP on /v1/traces, /v1/metrics, /v1/logs; serves /metrics, /healthz, /readyz.
Settings come from the config file (YAML or JSON), then COSTLENS_* variables, then these flags.
Without keys in the config file the collector listens on loopback only.
`;

/** Starts the collector; resolves when it has stopped (SIGINT/SIGTERM), with the exit status. */
export async function startCommand(args: string[], io: Io): Promise<number> {
  const v = parse('start', args, {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
  });
  let parts: ReturnType<typeof buildParts>;
  try {
    const flags = {
      ...(v.port !== undefined ? { port: v.port } : {}),
      ...(v.host !== undefined ? { host: v.host } : {}),
      ...(v.db !== undefined ? { db: v.db } : {}),
    };
    const config = loadConfig({ file: v.config, env: io.env, flags });
    checkExposure(config);
    parts = buildParts(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`start: ${err.message}.`);
    if (err instanceof OverrideFileError) throw new UsageError(`start: price file ${err.message}`);
    if ((err as { code?: string }).code?.startsWith('SQLITE')) {
      throw new UsageError(`start: cannot open the database: ${(err as Error).message}.`);
    }
    throw err;
  }
  const { config } = parts;
  const server: Server = createCollectorServer(parts).listen(config.port, config.host);
  const listening = await new Promise<Error | null>((resolve) => {
    server.once('listening', () => resolve(null));
    server.once('error', resolve);
  });
  if (listening) {
    await closeParts(parts);
    io.stderr.write(
      `costlens: start: cannot listen on ${config.host}:${config.port}: ${listening.message}\n`,
    );
    return EXIT.failed;
  }
  const anyKeys = hasKeys(config);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const exposure = !anyKeys
    ? 'no keys configured: serving loopback only, anyone on this machine can send and read'
    : isLoopback(config.host)
      ? 'keys required'
      : `keys required; reachable beyond this machine on ${config.host}`;
  // One write, so whoever waits for "listening on" sees the whole announcement.
  io.stdout.write(
    `costlens collector listening on http://${host}:${config.port} (database ${config.db}, catalogue ${parts.catalogue.version})\n${exposure}\n`,
  );

  const stopRetention = startRetention(parts.store, config.retention.calls_days);
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      stopRetention();
      io.stdout.write(`${signal}: stopping (finishing requests in flight)\n`);
      server.close(() => {
        // Requests in flight were answered, so the writer has nothing left to commit.
        void closeParts(parts).then(() => resolve(EXIT.ok));
      });
      server.closeIdleConnections();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
