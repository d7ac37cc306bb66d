import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// What a child process (a collector under test) uses, read from outside it.

/** CPU seconds a process has used (user + system), from /proc. */
export const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
/** Starts a process with test/memory-probe.mjs preloaded, writing to `file`. */
export async function withMemoryProbe<T>(file: string, start: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  process.env.NODE_OPTIONS = `--expose-gc --import ${fileURLToPath(new URL('./memory-probe.mjs', import.meta.url))}`;
  process.env.COSTLENS_MEMORY_PROBE = file;
  try {
    return await start();
  } finally {
    process.env.NODE_OPTIONS = saved.NODE_OPTIONS ?? '';
    if (saved.NODE_OPTIONS === undefined) delete process.env.NODE_OPTIONS;
    delete process.env.COSTLENS_MEMORY_PROBE;
  }
}

/** The process's memory after a full GC (asked for with SIGUSR2). */
export async function memory(
  pid: number,
  file: string,
): Promise<NodeJS.MemoryUsage & { gc: boolean }> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {} // not written (whole) yet
  }
  throw new Error(`the collector wrote no memory figures to ${file}`);
}

export const rssMB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
