import type { Queries } from './queries.js';
import type { Store } from './store.js';

/** Calls deleted per transaction, so exports are stored between chunks. */
export const DELETE_CHUNK = 5_000;

export interface DeleteBeforeOptions {
  /** After each chunk of calls: the calls deleted so far. */
  onCalls?: (calls: number) => void;
  /** After each hour of rollups: the rollup rows deleted so far. */
  onRollupRows?: (rows: number) => void;
  /** Asked between chunks; true stops the run where it is (a later run resumes it). */
  stop?: () => boolean;
}

/**
 * Deletes the calls that started before `before`, then the rollups of the hours
 * before it, a chunk at a time with a turn of the event loop between chunks: the
 * one path for the API's DELETE and `costlens db clear`.
 */
export async function deleteBefore(
  store: Store,
  queries: Queries,
  before: number,
  opts: DeleteBeforeOptions = {},
): Promise<{ calls: number; rollupRows: number; stopped: boolean }> {
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  let calls = 0;
  for (;;) {
    const n = store.pruneCalls(before, DELETE_CHUNK);
    calls += n;
    opts.onCalls?.(calls);
    if (n < DELETE_CHUNK) break;
    await turn();
    if (opts.stop?.()) return { calls, rollupRows: 0, stopped: true };
  }
  let rollupRows = 0;
  for (;;) {
    const n = queries.deleteRollupsBefore(before);
    if (n === null) break;
    rollupRows += n;
    opts.onRollupRows?.(rollupRows);
    await turn();
    if (opts.stop?.()) return { calls, rollupRows, stopped: true };
  }
  return { calls, rollupRows, stopped: false };
}
