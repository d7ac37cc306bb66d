import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';

type AnyRegistry = Registry<RegistryContentType>;

export type IngestResult =
  | 'ok'
  | 'partial'
  | 'bad_request'
  | 'timeout'
  | 'too_large'
  | 'unsupported'
  | 'unauthorized'
  | 'busy'
  | 'error';
export type SpanResult = 'accepted' | 'duplicate' | 'rejected' | 'not_genai';

/** The collector's own health: what it was sent and what it did with it. */
export class IngestMetrics {
  readonly requests: Counter;
  readonly spans: Counter;
  readonly items: Counter;
  readonly batchSeconds: Histogram;
  readonly inflight: Gauge;
  readonly repairs: Counter;

  constructor(registry: AnyRegistry | AnyRegistry[], storeBytes: () => number) {
    // One set of metrics, shown in both exposition formats.
    const registers = Array.isArray(registry) ? registry : [registry];
    this.requests = new Counter({
      name: 'costlens_ingest_requests_total',
      help: 'OTLP export requests received, by signal and result',
      labelNames: ['signal', 'result'],
      registers,
    });
    this.spans = new Counter({
      name: 'costlens_ingest_spans_total',
      help: 'Spans received: accepted (stored), duplicate (already stored), rejected (unusable), not_genai (ignored)',
      labelNames: ['result'],
      registers,
    });
    this.items = new Counter({
      name: 'costlens_ingest_items_total',
      help: 'Metric data points and log records received (counted, not stored)',
      labelNames: ['signal'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'costlens_ingest_batch_duration_seconds',
      help: 'Time from a trace export request arriving to its records being committed',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.inflight = new Gauge({
      name: 'costlens_ingest_inflight_requests',
      help: 'Export requests being decoded or written now (the queue depth)',
      registers,
    });
    this.repairs = new Counter({
      name: 'costlens_ingest_metrics_repairs_total',
      help: 'Times /metrics could not count a stored export and was rebuilt from the stored calls',
      registers,
    });
    new Gauge({
      name: 'costlens_store_size_bytes',
      help: 'Size of the SQLite database and its write-ahead log',
      registers,
      collect() {
        this.set(storeBytes());
      },
    });
  }
}
