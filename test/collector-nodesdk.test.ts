import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './collector-harness.js';

const APP = fileURLToPath(new URL('./fixtures/nodesdk-app.mjs', import.meta.url));
const run = promisify(execFile);
const running: RunningCollector[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.close();
});

describe.each(['http/protobuf', 'http/json'])(
  'a NodeSDK app exporting with OTEL_EXPORTER_OTLP_PROTOCOL=%s',
  (protocol) => {
    it('lands its AI calls in the collector, priced', async () => {
      const collector = await startCollector();
      running.push(collector);
      await run(process.execPath, [APP], {
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: 'nodesdk-app',
          OTEL_RESOURCE_ATTRIBUTES: 'costlens.project=research',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        },
      });
      const rows = collector.parts.store.db
        .prepare(
          'SELECT service, project, operation, call_type, request_model, cost_pusd FROM call_records ORDER BY request_model',
        )
        .all();
      expect(rows).toEqual([
        {
          service: 'nodesdk-app',
          project: 'research',
          operation: 'chat',
          call_type: 'text',
          request_model: 'gpt-4o-mini',
          cost_pusd: 750_000_000_000,
        },
        {
          service: 'nodesdk-app',
          project: 'research',
          operation: 'embeddings',
          call_type: 'embedding',
          request_model: 'text-embedding-3-small',
          cost_pusd: 20_000_000_000,
        },
      ]);
    });
  },
);

describe('a NodeSDK app with a key in OTEL_EXPORTER_OTLP_HEADERS', () => {
  it.each(['x-api-key=ingest-key-0123456789', 'authorization=Bearer%20ingest-key-0123456789'])(
    '%s reaches a collector that requires keys',
    async (headers) => {
      const collector = await startCollector({
        keys: { ingest: [{ key: 'ingest-key-0123456789', project: 'keyed' }], read: [], admin: [] },
      });
      running.push(collector);
      await run(process.execPath, [APP], {
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_HEADERS: headers,
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        },
      });
      const rows = collector.parts.store.db
        .prepare('SELECT DISTINCT project FROM call_records')
        .all();
      expect(rows).toEqual([{ project: 'keyed' }]);
    },
  );
});
