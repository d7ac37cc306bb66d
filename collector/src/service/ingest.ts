import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Catalogue } from '@costlens/pricing';
import type { Budgets } from '../budgets/budgets.js';
import type { AiMetrics, PendingMetrics } from '../metrics/ai-metrics.js';
import type { IngestMetrics, IngestResult } from '../metrics/ingest-metrics.js';
import {
  countLogsRequest,
  countMetricsRequest,
  DecodeError,
  decodeTraceRequestJson,
  decodeTraceRequestProto,
  encodeExportResponse,
  encodeStatus,
  grpcCodeOf,
  type Signal,
  TooManySpansError,
  type TraceRequest,
} from '../otlp/index.js';
import { recordsOfRequest } from '../records/request.js';
import { type PreparedBatch, prepareBatch } from '../store/batch.js';
import type { Store } from '../store/store.js';
import type { BatchWriter } from '../store/writer.js';
import { type BodyKind, bodyKind, HttpError, readBody } from './body.js';
import type { ApiKey, Config } from './config.js';
import { Gate } from './gate.js';
import type { KeyRing } from './keys.js';

/** What the ingest pipeline is built from. */
export interface IngestParts {
  config: Config;
  /** Reads the stored calls, to rebuild /metrics from them should it fall behind. */
  store: Store;
  writer: BatchWriter;
  catalogue: Catalogue;
  aiMetrics: AiMetrics;
  ingestMetrics: IngestMetrics;
  /** Told when an export added calls (budgets never hold up ingest). */
  budgets: Budgets;
  /** The keys that may send exports. */
  keys: KeyRing;
  /** No keys are configured at all: the collector serves loopback only and asks for none. */
  open: boolean;
}

/** Export requests between decoding and commit: one at the writer, one being prepared. */
const PIPELINE_DEPTH = 2;
/**
 * The longest Retry-After of a busy answer, in seconds. The official exporters
 * give up on an export once a Retry-After passes what is left of its timeout
 * (10 s by default), and back off at most 5 s themselves.
 */
const MAX_RETRY_AFTER_S = 5;

/** What became of a request's spans, before they are stored. */
interface Outcome {
  notGenai: number;
  rejected: number;
  /** Model-call spans enclosing another of the request's: the same call, recorded once. */
  enclosing: number;
  firstRejection: string;
}

/** A request's records reduced to what is stored and what /metrics needs. */
interface Prepared {
  batch: PreparedBatch;
  metrics: PendingMetrics;
  outcome: Outcome;
}

/**
 * OTLP/HTTP export requests, from the key check to the answer: admission, body,
 * decode, one record per GenAI span, ONE transaction per request, and only then
 * the counters and a 200. Every failure becomes an OTLP error answer here.
 */
export class Ingest {
  readonly #parts: IngestParts;
  readonly #pipeline = new Gate(PIPELINE_DEPTH);
  #inflight = 0;
  /** Export requests in progress per key, from the key check to the answer. */
  readonly #byKey = new Map<ApiKey, number>();
  /** Busy answers given since #busySince (a one-second window): how far to spread the retries. */
  #busy = 0;
  #busySince = 0;

  constructor(parts: IngestParts) {
    this.#parts = parts;
  }

  /** Handles one export request of `signal` and answers it. Never rejects. */
  async handle(signal: Signal, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { config, ingestMetrics: metrics } = this.#parts;
    let kind: BodyKind = 'json';
    const started = process.hrtime.bigint();
    let key: ApiKey | null = null;
    let admitted = false;
    try {
      kind = bodyKind(req.headers['content-type']);
      key = this.#parts.keys.authorize(req, this.#parts.open);
      // What one key holds is bounded from its first byte: a key cannot starve the others.
      if (key !== null) this.#holdKey(key);
      const body = await readBody(req, config.max_body_bytes, config.body_timeout_ms);
      // Only a request whose body is here takes an ingest slot: a silent client holds none.
      this.#admit();
      admitted = true;
      if (signal === 'traces') {
        const { rejected, message } = await this.#storeTraces(body, kind, key?.project);
        metrics.requests.inc({ signal, result: rejected ? 'partial' : 'ok' });
        metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        send(res, kind, 200, encodeExportResponse(signal, kind, rejected, message));
        return;
      }
      // Metrics and logs are accepted and counted: costs come from spans.
      const counted =
        signal === 'metrics' ? countMetricsRequest(body, kind) : countLogsRequest(body, kind);
      metrics.items.inc(
        { signal },
        'dataPoints' in counted ? counted.dataPoints : counted.logRecords,
      );
      metrics.requests.inc({ signal, result: 'ok' });
      send(res, kind, 200, encodeExportResponse(signal, kind, 0, ''));
    } catch (err) {
      const http = toHttpError(err, signal);
      if (http.status >= 500 && !(err instanceof HttpError)) console.error(err);
      metrics.requests.inc({ signal, result: RESULTS[http.status] ?? 'error' });
      // A body that was not read to its end is not waited for: the connection closes.
      if (http.status === 408) res.setHeader('Connection', 'close');
      sendError(res, kind, http);
    } finally {
      if (admitted) {
        this.#inflight--;
        metrics.inflight.set(this.#inflight);
      }
      if (key !== null) this.#releaseKey(key);
    }
  }

  /** Takes an ingest slot, or refuses with 503 when max_inflight requests hold them. */
  #admit(): void {
    const max = this.#parts.config.max_inflight;
    if (this.#inflight >= max) {
      throw new HttpError(
        503,
        `the collector is busy (${max} exports in progress); retry shortly`,
        this.#retryAfter(),
      );
    }
    this.#inflight++;
    this.#parts.ingestMetrics.inflight.set(this.#inflight);
  }

  #holdKey(key: ApiKey): void {
    const held = this.#byKey.get(key) ?? 0;
    const max = this.#parts.config.max_inflight_per_key;
    if (held >= max) {
      throw new HttpError(
        503,
        `this key already has ${max} exports in progress (max_inflight_per_key); retry shortly`,
        this.#retryAfter(),
      );
    }
    this.#byKey.set(key, held + 1);
  }

  /**
   * Seconds a busy answer asks the exporter to wait: 1, or, when more exports
   * were turned away within the last second than max_inflight, a random 1 to
   * (turned away / max_inflight) seconds, at most MAX_RETRY_AFTER_S. The same
   * wait for all would bring them back together, to be turned away together:
   * the collector idles between the waves and the exporters give up after
   * their fifth retry.
   */
  #retryAfter(): number {
    const now = Date.now();
    if (now - this.#busySince >= 1_000) {
      this.#busySince = now;
      this.#busy = 0;
    }
    this.#busy++;
    const spread = Math.min(
      MAX_RETRY_AFTER_S,
      Math.ceil(this.#busy / this.#parts.config.max_inflight),
    );
    return 1 + Math.floor(Math.random() * spread);
  }

  #releaseKey(key: ApiKey): void {
    const held = (this.#byKey.get(key) ?? 1) - 1;
    if (held === 0) this.#byKey.delete(key);
    else this.#byKey.set(key, held);
  }

  /** Decodes, records and commits a trace export; the counters move only after COMMIT. */
  async #storeTraces(
    body: Buffer,
    kind: BodyKind,
    project: string | undefined,
  ): Promise<{ rejected: number; message: string }> {
    const parts = this.#parts;
    let prepared: Prepared;
    let fresh: number[];
    // One request decoded while the one before it commits: no more, so the rest wait as bodies.
    await this.#pipeline.enter();
    try {
      // The records themselves are not kept past this line: what is stored and what
      // /metrics needs are taken from them first, so waiting holds little memory.
      prepared = this.#prepare(decode(body, kind, parts.config.max_spans_per_request), project);
      // One transaction, committed when this resolves: all on disk, or nothing.
      fresh = await parts.writer.insertPrepared(prepared.batch);
    } catch (err) {
      throw storeError(err);
    } finally {
      this.#pipeline.leave();
    }
    const { outcome, batch } = prepared;
    // The batch is on disk: nothing from here on may turn it into an error answer.
    try {
      parts.aiMetrics.commit(prepared.metrics, fresh);
    } catch (err) {
      this.#repairMetrics(err);
    }
    if (fresh.length > 0) parts.budgets.onStored();
    const spans = parts.ingestMetrics.spans;
    spans.inc({ result: 'accepted' }, fresh.length);
    // A span of a call already recorded through another of its spans is a duplicate too.
    spans.inc({ result: 'duplicate' }, batch.count - fresh.length + outcome.enclosing);
    spans.inc({ result: 'not_genai' }, outcome.notGenai);
    spans.inc({ result: 'rejected' }, outcome.rejected);
    return {
      rejected: outcome.rejected,
      message: outcome.rejected
        ? `${outcome.rejected} GenAI span(s) could not be recorded; first: ${outcome.firstRejection}`
        : '',
    };
  }

  /**
   * The AI metrics of a committed batch could not be advanced: they are derived
   * from the stored records, so they are rebuilt from them rather than left short.
   */
  #repairMetrics(cause: unknown): void {
    const { aiMetrics, ingestMetrics, store } = this.#parts;
    console.error(
      'costlens: /metrics could not count a stored export; rebuilding it from the stored calls:',
      cause,
    );
    ingestMetrics.repairs.inc();
    aiMetrics.rebuild(store.calls());
  }

  #prepare(request: TraceRequest, project: string | undefined): Prepared {
    const { catalogue, config } = this.#parts;
    const out = recordsOfRequest(request, {
      catalogue,
      limits: config.limits,
      content: config.content,
    });
    // A key bound to a project decides the project, whatever the span says.
    if (project !== undefined) for (const r of out.records) r.project = project;
    return {
      batch: prepareBatch(out.records, out.parents),
      metrics: this.#parts.aiMetrics.prepare(out.records),
      // Only the counts: the records are not kept while the batch waits for the writer.
      outcome: {
        notGenai: out.notGenai,
        rejected: out.rejected,
        enclosing: out.enclosing,
        firstRejection: out.firstRejection,
      },
    };
  }
}

function decode(body: Buffer, kind: BodyKind, maxSpans: number): TraceRequest {
  return kind === 'protobuf'
    ? decodeTraceRequestProto(body, maxSpans)
    : decodeTraceRequestJson(body.toString('utf8'), maxSpans);
}

/** A database that cannot take writes now is a 503 to retry, not an internal error. */
function storeError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_BUSY') ||
      code.startsWith('SQLITE_FULL') ||
      code.startsWith('SQLITE_IOERR'))
  ) {
    return new HttpError(503, `the database cannot take writes now (${code}); retry shortly`, 5);
  }
  return err;
}

function toHttpError(err: unknown, signal: Signal): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof TooManySpansError) return new HttpError(413, err.message);
  if (err instanceof DecodeError) {
    return new HttpError(400, `the ${signal} export request could not be decoded: ${err.message}`);
  }
  return new HttpError(500, 'internal error while storing the export; it was not stored, retry');
}

const RESULTS: Record<number, IngestResult> = {
  400: 'bad_request',
  401: 'unauthorized',
  408: 'timeout',
  413: 'too_large',
  415: 'unsupported',
  503: 'busy',
};

/**
 * Answers an OTLP request straight through Node's response: an exporter needs no
 * ETag or freshness check on a POST, and this runs once per export request.
 */
function send(
  res: ServerResponse,
  kind: BodyKind,
  status: number,
  body: Uint8Array | object,
): void {
  const bytes =
    body instanceof Uint8Array
      ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
      : Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader(
    'Content-Type',
    kind === 'protobuf' ? 'application/x-protobuf' : 'application/json; charset=utf-8',
  );
  res.setHeader('Content-Length', bytes.byteLength);
  res.end(bytes);
}

/** OTLP/HTTP error bodies are a google.rpc.Status, in the request's encoding, with a gRPC code. */
function sendError(res: ServerResponse, kind: BodyKind, err: HttpError): void {
  if (err.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(err.retryAfterSeconds));
  const code = grpcCodeOf(err.status);
  send(
    res,
    kind,
    err.status,
    kind === 'protobuf' ? encodeStatus(code, err.message) : { code, message: err.message },
  );
}
