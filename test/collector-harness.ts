import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Only what @costlens/collector exports: the harness embeds the collector as a program would.
import {
  type AppParts,
  type BuildOptions,
  buildParts,
  type Config,
  closeParts,
  createCollectorServer,
  DEFAULT_CONFIG,
} from '../collector/src/index.js';
import { SOURCE_WRITER_ENTRY } from '../collector/test/support/store.js';

export interface RunningCollector {
  url: string;
  parts: AppParts;
  close(): Promise<void>;
}

/** A collector on a free loopback port with a temp database and a fresh registry; `options` as buildParts takes them. */
export async function startCollector(
  overrides: Partial<Config> = {},
  options: Omit<BuildOptions, 'writerEntry'> = {},
): Promise<RunningCollector> {
  const db = join(mkdtempSync(join(tmpdir(), 'costlens-e2e-')), 'costlens.db');
  const parts = buildParts(
    { ...structuredClone(DEFAULT_CONFIG), db, ...overrides },
    { ...options, writerEntry: SOURCE_WRITER_ENTRY },
  );
  const server: Server = await new Promise((resolve, reject) => {
    const s = createCollectorServer(parts).listen(0, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    parts,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeParts(parts);
    },
  };
}
