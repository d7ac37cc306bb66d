import { Worker } from 'node:worker_threads';
import type { PreparedBatch } from './batch.js';
import type { Store } from './store.js';
import type { WriterAnswer, WriterRequest } from './writer-worker.js';

/** Stores export batches: one transaction each, resolved only once committed. */
export interface BatchWriter {
  /** Stores a batch prepareBatch() built in one transaction: the positions of the records that were new. */
  insertPrepared(batch: PreparedBatch): Promise<number[]>;
  /** Finishes the batches already handed over, then lets go of the database. */
  close(): Promise<void>;
}

/** The writer thread's entry: the compiled worker beside this file. */
const WRITER_WORKER_URL = new URL('./writer-worker.js', import.meta.url);

interface Pending {
  resolve: (fresh: number[]) => void;
  reject: (err: Error) => void;
}

/**
 * Writes export batches on a thread of their own, so the collector's thread
 * decodes and maps the next request while SQLite inserts and fsyncs this one.
 * Nothing changes in what a batch is: one transaction per export request, and
 * the promise resolves only after COMMIT returned (synchronous=FULL: on disk).
 * Batches are stored in the order they are handed over. If the thread dies,
 * every batch it held is rejected (none of them was acknowledged) and the next
 * batch starts a new thread.
 */
export class ThreadWriter implements BatchWriter {
  readonly path: string;
  readonly #entry: URL;
  #worker: Worker | null = null;
  #next = 0;
  readonly #pending = new Map<number, Pending>();
  #closing: Promise<void> | null = null;

  /** `entry` is the worker's script (tests that run the TypeScript sources pass their own). */
  constructor(path: string, entry: URL = WRITER_WORKER_URL) {
    this.path = path;
    this.#entry = entry;
    this.#start();
  }

  #start(): Worker {
    const worker = new Worker(this.#entry, {
      workerData: { path: this.path },
      // The writer allocates little and keeps nothing: a small young generation is enough.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    // Never the reason the process stays up: the HTTP server is.
    worker.unref();
    worker.on('message', (a: WriterAnswer) => {
      const p = this.#pending.get(a.id);
      if (p === undefined) return;
      this.#pending.delete(a.id);
      if ('error' in a) {
        const err = new Error(a.error.message) as Error & { code?: string };
        err.name = a.error.name;
        if (a.error.code !== undefined) err.code = a.error.code;
        p.reject(err);
      } else p.resolve(a.fresh);
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) =>
      fail(new Error(`the store writer thread stopped (exit code ${code}); nothing was stored`)),
    );
    this.#worker = worker;
    return worker;
  }

  insertPrepared(batch: PreparedBatch): Promise<number[]> {
    if (this.#closing) return Promise.reject(new Error('the store writer is closed'));
    const worker = this.#worker ?? this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // The two typed arrays move to the writer thread; only the strings are copied.
      worker.postMessage({ type: 'insert', id, batch } satisfies WriterRequest, [
        batch.ids.buffer,
        batch.values.buffer,
      ]);
    });
  }

  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      const worker = this.#worker;
      if (worker === null) return resolve();
      worker.ref(); // let it finish closing the database before the process may end
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' } satisfies WriterRequest);
    });
    return this.#closing;
  }
}

/** The store's own connection, on the caller's thread: for in-memory databases, which a thread cannot share. */
export class InlineWriter implements BatchWriter {
  constructor(readonly store: Store) {}

  async insertPrepared(batch: PreparedBatch): Promise<number[]> {
    return this.store.insertPrepared(batch);
  }

  async close(): Promise<void> {}
}

/** A writer for the store's database: its own thread, unless the database lives in memory. */
export function openWriter(store: Store, entry?: URL): BatchWriter {
  return store.path === ':memory:' ? new InlineWriter(store) : new ThreadWriter(store.path, entry);
}
