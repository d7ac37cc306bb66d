// Load for the collector benchmarks: real protobuf export requests from the
// official serializer, a `costlens start` process, and concurrent senders.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

const BIN = new URL('../collector/bin/costlens.js', import.meta.url).pathname;

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

export const rssMB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

/** `costlens start` on a free port; PROF=1 writes its CPU profile to /tmp/prof4. */
export async function startCollectorProcess(db) {
  const port = await freePort();
  const profile = process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof4'] : [];
  const child = spawn(
    process.execPath,
    [...profile, BIN, 'start', '--port', String(port), '--db', db],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve) =>
    child.stdout.on('data', (d) => d.includes('listening on') && resolve()),
  );
  return {
    child,
    port,
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
