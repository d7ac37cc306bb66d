import type { Catalogue } from '@costlens/pricing';
import express, { type Express, type Request, type Response } from 'express';
import type { OpenMetricsContentType, Registry } from 'prom-client';
import type { AiMetrics, PendingMetrics } from '../metrics/ai-metrics.js';
import type { IngestMetrics } from '../metrics/ingest-metrics.js';
import {
  countLogsRequest,
  countMetricsRequest,
  DecodeError,
  decodeTraceRequestJson,
  decodeTraceRequestProto,
  encodeExportResponse,
  encodeStatus,
  type TraceRequest,
} from '../otlp/index.js';
import type { CallRecord } from '../records/call-record.js';
import { isGenAiSpan, recordFromSpan } from '../records/from-span.js';
import { type PreparedBatch, prepareBatch } from '../store/batch.js';
import type { Store } from '../store/store.js';
import type { BatchWriter } from '../store/writer.js';
import { type BodyKind, bodyKind, HttpError, readBody } from './body.js';
import type { ApiKey, Config } from './config.js';
import { Gate } from './gate.js';

/** The parts a collector is built from; tests pass temp databases and fresh registries. */
export interface AppParts {
  config: Config;
  /** Reads (readiness, retention, size); exports are stored through `writer`. */
  store: Store;
  /** Stores each export request's records in one transaction, on a thread of its own. */
  writer: BatchWriter;
  catalogue: Catalogue;
  /** The Prometheus text format. */
  registry: Registry;
  /** The same metrics in the OpenMetrics format, for scrapers that ask for it. */
  openMetrics: Registry<OpenMetricsContentType>;
  aiMetrics: AiMetrics;
  ingestMetrics: IngestMetrics;
}

type Signal = 'traces' | 'metrics' | 'logs';

function presentedKey(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  const x = req.headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}

/** Which configured key the request carries; with no keys configured everyone passes (loopback only). */
function authorize(req: Request, allowed: ApiKey[], anyConfigured: boolean): ApiKey | null {
  if (!anyConfigured) return null;
  const given = presentedKey(req);
  const key = given === undefined ? undefined : allowed.find((k) => k.key === given);
  // The same sentence for a missing and a wrong key: nothing about which keys exist leaks.
  if (!key)
    throw new HttpError(
      401,
      'missing or invalid API key (send Authorization: Bearer <key> or x-api-key)',
    );
  return key;
}

/**
 * Answers an OTLP request straight through Node's response: an exporter needs no
 * ETag or freshness check on a POST, and this runs once per export request.
 */
function send(res: Response, kind: BodyKind, status: number, body: Uint8Array | object): void {
  const bytes =
    kind === 'protobuf'
      ? Buffer.from(
          (body as Uint8Array).buffer,
          (body as Uint8Array).byteOffset,
          (body as Uint8Array).byteLength,
        )
      : Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader(
    'Content-Type',
    kind === 'protobuf' ? 'application/x-protobuf' : 'application/json; charset=utf-8',
  );
  res.setHeader('Content-Length', bytes.byteLength);
  res.end(bytes);
}

function sendError(res: Response, kind: BodyKind, err: HttpError): void {
  if (err.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(err.retryAfterSeconds));
  // OTLP/HTTP error bodies are a google.rpc.Status in the request's encoding.
  send(
    res,
    kind,
    err.status,
    kind === 'protobuf'
      ? encodeStatus(err.status, err.message)
      : { code: err.status, message: err.message },
  );
}

interface TraceOutcome {
  records: CallRecord[];
  notGenai: number;
  rejected: number;
  firstRejection: string;
}

function toRecords(
  request: TraceRequest,
  parts: AppParts,
  project: string | undefined,
): TraceOutcome {
  const out: TraceOutcome = { records: [], notGenai: 0, rejected: 0, firstRejection: '' };
  for (const rs of request.resourceSpans) {
    for (const scope of rs.scopes) {
      for (const span of scope.spans) {
        if (!isGenAiSpan(span.attributes)) {
          out.notGenai++;
          continue;
        }
        try {
          const r = recordFromSpan(
            span,
            { resource: rs.resource, scopeName: scope.name },
            { catalogue: parts.catalogue },
          );
          if (project !== undefined) r.project = project;
          out.records.push(r);
        } catch (err) {
          out.rejected++;
          out.firstRejection ||= `span ${span.spanId}: ${(err as Error).message}`;
        }
      }
    }
  }
  return out;
}

interface Prepared {
  batch: PreparedBatch;
  metrics: PendingMetrics;
  outcome: Omit<TraceOutcome, 'records'>;
}

function prepare(request: TraceRequest, parts: AppParts, project: string | undefined): Prepared {
  const { records, ...outcome } = toRecords(request, parts, project);
  return { batch: prepareBatch(records), metrics: parts.aiMetrics.prepare(records), outcome };
}

/** Export requests between decoding and commit: one at the writer, one being prepared. */
const PIPELINE_DEPTH = 2;

function decodeTraces(body: Buffer, kind: BodyKind): TraceRequest {
  return kind === 'protobuf'
    ? decodeTraceRequestProto(body)
    : decodeTraceRequestJson(body.toString('utf8'));
}

export function createApp(parts: AppParts): Express {
  const { config, store, ingestMetrics: ingest } = parts;
  const anyKeys =
    config.keys.ingest.length + config.keys.read.length + config.keys.admin.length > 0;
  const readKeys = [...config.keys.read, ...config.keys.admin];
  let inflight = 0;
  const pipeline = new Gate(PIPELINE_DEPTH);

  const app = express();
  app.disable('x-powered-by');

  const otlp = (signal: Signal) => async (req: Request, res: Response) => {
    let kind: BodyKind = 'json';
    const started = process.hrtime.bigint();
    inflight++;
    ingest.inflight.set(inflight);
    try {
      kind = bodyKind(req.headers['content-type']);
      const key = authorize(req, config.keys.ingest, anyKeys);
      if (inflight > config.max_inflight) {
        throw new HttpError(
          503,
          `the collector is busy (${config.max_inflight} exports in progress); retry shortly`,
          1,
        );
      }
      const body = await readBody(req, config.max_body_bytes);
      if (signal !== 'traces') {
        const counted =
          signal === 'metrics' ? countMetricsRequest(body, kind) : countLogsRequest(body, kind);
        ingest.items.inc(
          { signal },
          'dataPoints' in counted ? counted.dataPoints : counted.logRecords,
        );
        ingest.requests.inc({ signal, result: 'ok' });
        send(res, kind, 200, encodeExportResponse(signal, kind, 0, ''));
        return;
      }
      let prepared: Prepared;
      let fresh: number[];
      // One request decoded while the one before it commits: no more, so the rest wait as bodies.
      await pipeline.enter();
      try {
        // The records themselves are not kept past this line: what is stored and what
        // /metrics needs are taken from them first, so waiting holds little memory.
        prepared = prepare(decodeTraces(body, kind), parts, key?.project);
        // One transaction, committed when this resolves: all on disk, or nothing.
        fresh = await parts.writer.insertPrepared(prepared.batch);
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (
          code.startsWith('SQLITE_BUSY') ||
          code.startsWith('SQLITE_FULL') ||
          code.startsWith('SQLITE_IOERR')
        ) {
          throw new HttpError(
            503,
            `the database cannot take writes now (${code}); retry shortly`,
            5,
          );
        }
        throw err;
      } finally {
        pipeline.leave();
      }
      // Only now, with the records committed, do the counters move.
      const outcome = prepared.outcome;
      parts.aiMetrics.commit(prepared.metrics, fresh);
      ingest.spans.inc({ result: 'accepted' }, fresh.length);
      ingest.spans.inc({ result: 'duplicate' }, prepared.batch.count - fresh.length);
      ingest.spans.inc({ result: 'not_genai' }, outcome.notGenai);
      ingest.spans.inc({ result: 'rejected' }, outcome.rejected);
      ingest.requests.inc({ signal, result: outcome.rejected ? 'partial' : 'ok' });
      ingest.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      const message = outcome.rejected
        ? `${outcome.rejected} GenAI span(s) could not be recorded; first: ${outcome.firstRejection}`
        : '';
      send(res, kind, 200, encodeExportResponse(signal, kind, outcome.rejected, message));
    } catch (err) {
      const http =
        err instanceof HttpError
          ? err
          : err instanceof DecodeError
            ? new HttpError(
                400,
                `the ${signal} export request could not be decoded: ${err.message}`,
              )
            : new HttpError(
                500,
                'internal error while storing the export; it was not stored, retry',
              );
      if (http.status === 500) console.error(err);
      const result =
        {
          400: 'bad_request',
          401: 'unauthorized',
          413: 'too_large',
          415: 'unsupported',
          503: 'busy',
        }[http.status] ?? 'error';
      ingest.requests.inc({ signal, result });
      sendError(res, kind, http);
    } finally {
      inflight--;
      ingest.inflight.set(inflight);
    }
  };

  app.post('/v1/traces', otlp('traces'));
  app.post('/v1/metrics', otlp('metrics'));
  app.post('/v1/logs', otlp('logs'));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    try {
      store.db.prepare('SELECT 1 FROM schema_migrations LIMIT 1').get();
      res.json({ status: 'ready' });
    } catch (err) {
      res.status(503).json({ status: 'not ready', reason: (err as Error).message });
    }
  });
  app.get('/metrics', async (req, res) => {
    try {
      authorize(req, readKeys, anyKeys);
    } catch (err) {
      res
        .status(401)
        .type('text/plain')
        .send(`${(err as Error).message}\n`);
      return;
    }
    const accept = String(req.headers.accept ?? '');
    const chosen = accept.includes('application/openmetrics-text')
      ? parts.openMetrics
      : parts.registry;
    res.setHeader('Content-Type', chosen.contentType);
    res.send(await chosen.metrics());
  });
  return app;
}
