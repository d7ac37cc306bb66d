/** What a command needs from its process; tests pass their own. */
export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  /** Where a command asks for confirmation; absent, or not a terminal, in a script. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Bad arguments: the message is one sentence that says which and what to do. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2, unpriced: 3 } as const;
