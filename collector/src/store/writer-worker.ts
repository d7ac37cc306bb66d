import { parentPort, workerData } from 'node:worker_threads';
import type { PreparedBatch } from './batch.js';
import { Store } from './store.js';

/** What the collector's thread asks of the writer thread. */
export type WriterRequest =
  | { type: 'insert'; id: number; batch: PreparedBatch }
  | { type: 'close' };

/** The answer to one insert: the positions of the new records, or why nothing was stored. */
export type WriterAnswer =
  | { id: number; fresh: number[] }
  | { id: number; error: { name: string; message: string; code?: string } };

// The writer thread: the one connection that stores exports. Each message is one
// export request and one transaction; its answer is posted only after COMMIT.
const port = parentPort;
if (port === null) throw new Error('writer-worker.ts runs as a worker thread (see writer.ts)');
const store = new Store((workerData as { path: string }).path);
port.on('message', (m: WriterRequest) => {
  if (m.type === 'close') {
    store.close();
    port.close();
    return;
  }
  let answer: WriterAnswer;
  try {
    answer = { id: m.id, fresh: store.insertPrepared(m.batch) };
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown; code?: unknown };
    answer = {
      id: m.id,
      error: {
        name: String(e?.name ?? 'Error'),
        message: String(e?.message ?? err),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      },
    };
  }
  port.postMessage(answer);
});
