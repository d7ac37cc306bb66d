// Preloaded into a collector process by tests (NODE_OPTIONS="--expose-gc --import
// this file"): on SIGUSR2 it collects garbage and writes process.memoryUsage() as
// JSON to $COSTLENS_MEMORY_PROBE, so a test can tell a leak from memory the
// allocator has not given back yet.
import { writeFileSync } from 'node:fs';

const file = process.env.COSTLENS_MEMORY_PROBE;
if (file) {
  process.on('SIGUSR2', () => {
    globalThis.gc?.();
    writeFileSync(
      file,
      JSON.stringify({ gc: typeof globalThis.gc === 'function', ...process.memoryUsage() }),
    );
  });
}
