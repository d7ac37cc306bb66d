// Load for the collector benchmarks: real protobuf export requests from the
// official serializer, a `costlens start` process, and concurrent senders.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

// COSTLENS_BIN runs another build of the collector (a clean copy of a commit, say)
// with the same load: the working tree may hold others' unfinished changes.
const BIN =
  process.env.COSTLENS_BIN ?? new URL('../collector/bin/costlens.js', import.meta.url).pathname;

/** `size` finished GenAI spans (chat gpt-4o with tokens and a user), made by the real SDK. */
export function makeSpans(size, project = 'p0') {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench', 'costlens.project': project }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('@costlens/instrumentation');
  for (let i = 0; i < size; i++) {
    tracer
      .startSpan('chat gpt-4o', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 1000 + i,
          'gen_ai.usage.output_tokens': 200,
          'costlens.user': `user-${i % 50}`,
        },
      })
      .end();
  }
  return memory.getFinishedSpans();
}

/** `count` export requests of `size` GenAI spans each; every span has fresh ids. */
export function makeBatches(count, size) {
  const out = [];
  for (let b = 0; b < count; b++) {
    out.push(ProtobufTraceSerializer.serializeRequest(makeSpans(size, `p${b % 5}`)));
  }
  return out;
}

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export const rssMB = (pid) => residentMB(pid).rss;

/**
 * A process's resident memory in MB: all of it, the anonymous part (heaps, caches:
 * what can grow) and the file-backed part (mostly the node binary's own pages,
 * about 64 MB, which does not).
 */
export function residentMB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kB('VmRSS') / 1024, anon: kB('RssAnon') / 1024, file: kB('RssFile') / 1024 };
}

// Preloaded into the collector when a bench asks for its memory figures: on SIGUSR2
// it writes process.memoryUsage() as it stands (no GC forced) to the file named in
// COSTLENS_BENCH_MEMORY. The main thread's heap only; the writer thread's is apart.
const MEMORY_PROBE = `data:text/javascript,${encodeURIComponent(
  "import{writeFileSync}from'node:fs';const f=process.env.COSTLENS_BENCH_MEMORY;if(f)process.on('SIGUSR2',()=>writeFileSync(f,JSON.stringify(process.memoryUsage())));",
)}`;

/** The collector's process.memoryUsage() (see MEMORY_PROBE), in MB; null when it does not answer. */
export async function heapMB(collector) {
  const file = collector.memoryFile;
  if (file === undefined) return null;
  rmSync(file, { force: true });
  collector.child.kill('SIGUSR2');
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 25));
    try {
      const m = JSON.parse(readFileSync(file, 'utf8'));
      return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v / 1024 / 1024]));
    } catch {} // not written (whole) yet
  }
  return null;
}

/**
 * `costlens start` on a free port; PROF=1 writes its CPU profile to /tmp/prof4.
 * With `memoryFile`, heapMB() can ask it for its heap figures.
 */
export async function startCollectorProcess(db, { memoryFile } = {}) {
  const port = await freePort();
  const profile = process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof4'] : [];
  const probe = memoryFile === undefined ? [] : [`--import=${MEMORY_PROBE}`];
  const child = spawn(
    process.execPath,
    [...profile, ...probe, BIN, 'start', '--port', String(port), '--db', db],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env:
        memoryFile === undefined
          ? process.env
          : { ...process.env, COSTLENS_BENCH_MEMORY: memoryFile },
    },
  );
  await new Promise((resolve) =>
    child.stdout.on('data', (d) => d.includes('listening on') && resolve()),
  );
  return {
    child,
    port,
    memoryFile,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    },
  };
}

/** Sends every batch once from `senders` concurrent loops; fails on any answer but 200. */
export async function sendAll(port, batches, senders) {
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < batches.length) {
        const body = batches[next++];
        const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        if (res.status !== 200)
          throw new Error(`export refused: ${res.status} ${await res.text()}`);
      }
    }),
  );
}
