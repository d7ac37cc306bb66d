import type { CallRecord } from '../records/call-record.js';

/**
 * One export request's records in the form the writer stores them: numbers in one
 * Float64Array and ids in one byte array (both move to the writer thread without
 * a copy), low-cardinality text once per batch, rollup keys once per batch. It is
 * built on the collector's thread, which has time while the writer commits.
 */
export interface PreparedBatch {
  count: number;
  /** trace_id (16 bytes), span_id (8 bytes), then the parent's span id (8, zeros for none), per record. */
  ids: Uint8Array<ArrayBuffer>;
  /** WIDTH values per record, in CALL_COLUMNS order then the extra slots; NaN is NULL. */
  values: Float64Array<ArrayBuffer>;
  /** The distinct strings of the batch: string columns hold an index into it. */
  strings: string[];
  /** TEXT_COLUMNS per record, as they are. */
  texts: (string | null)[];
  /** The hourly rollup rows the batch adds to; the GROUP slot of a record indexes it. */
  groups: RollupKey[];
}

/** The calls table's columns, in the insert statement's order. */
export const CALL_COLUMNS = [
  'trace_id',
  'span_id',
  'started_at',
  'duration_us',
  'ttft_us',
  'service',
  'project',
  'user',
  'account',
  'provider',
  'operation',
  'call_type',
  'request_model',
  'response_model',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'reasoning_tokens',
  'image_count',
  'image_size',
  'image_resolution',
  'image_quality',
  'video_seconds',
  'video_resolution',
  'video_audio',
  'aspect_ratio',
  'status',
  'error_type',
  'error_message',
  'retry_count',
  'cost_pusd',
  'cost_input',
  'cost_output',
  'cost_cache_read',
  'cost_cache_write',
  'cost_reasoning',
  'cost_media',
  'pricing_source',
  'unpriced_reason',
  'prompt',
  'output_path',
  'attributes',
] as const;

type Column = (typeof CALL_COLUMNS)[number];

/** Columns that hold an id of the strings table. */
export const STRING_COLUMNS: ReadonlySet<Column> = new Set([
  'service',
  'project',
  'user',
  'account',
  'provider',
  'operation',
  'call_type',
  'request_model',
  'response_model',
  'image_size',
  'image_resolution',
  'image_quality',
  'video_resolution',
  'aspect_ratio',
  'status',
  'error_type',
  'pricing_source',
]);

/** Free text, stored as it is. */
export const TEXT_COLUMNS = [
  'error_message',
  'unpriced_reason',
  'prompt',
  'output_path',
  'attributes',
] as const;

export const col = (c: Column) => CALL_COLUMNS.indexOf(c);

/** Bytes of ids per record in a batch: trace id, span id, parent span id. */
export const ID_BYTES = 32;

/** Extra slots after the columns: what the rollups need that no column holds exactly. */
export const DURATION_MS = CALL_COLUMNS.length;
export const GROUP = DURATION_MS + 1;
export const WIDTH = GROUP + 1;

/**
 * The usage counts of a call: its column in `calls` and its sum in `rollups_hourly`.
 * The one list the batch, the store and the rollups walk.
 */
export const USAGE_COLUMNS = [
  ['input_tokens', 'input_tokens'],
  ['output_tokens', 'output_tokens'],
  ['cache_read_tokens', 'cache_read_tokens'],
  ['cache_write_tokens', 'cache_write_tokens'],
  ['cache_write_1h_tokens', 'cache_write_1h_tokens'],
  ['reasoning_tokens', 'reasoning_tokens'],
  ['image_count', 'images'],
  ['video_seconds', 'video_seconds'],
] as const satisfies readonly (readonly [Column & keyof CallRecord, string])[];

export const ROLLUP_KEY = [
  'hour',
  'project',
  'user',
  'account',
  'provider',
  'model',
  'call_type',
  'status',
] as const;

export type RollupKey = { hour: number } & Record<
  Exclude<(typeof ROLLUP_KEY)[number], 'hour'>,
  string
>;

const HOUR_MS = 3_600_000;

const num = (v: number | null) => (v === null ? Number.NaN : v);

const C = {
  started_at: col('started_at'),
  duration_us: col('duration_us'),
  ttft_us: col('ttft_us'),
  video_audio: col('video_audio'),
  retry_count: col('retry_count'),
  cost_pusd: col('cost_pusd'),
  cost_input: col('cost_input'),
  cost_output: col('cost_output'),
  cost_cache_read: col('cost_cache_read'),
  cost_cache_write: col('cost_cache_write'),
  cost_reasoning: col('cost_reasoning'),
  cost_media: col('cost_media'),
};

/** Where each usage count is, in USAGE_COLUMNS order. */
export const USAGE_AT = USAGE_COLUMNS.map(([c]) => col(c));

/** Where each string column is, read by name (one property read per column, no lookup by key). */
const S = {
  service: col('service'),
  project: col('project'),
  user: col('user'),
  account: col('account'),
  provider: col('provider'),
  operation: col('operation'),
  call_type: col('call_type'),
  request_model: col('request_model'),
  response_model: col('response_model'),
  image_size: col('image_size'),
  image_resolution: col('image_resolution'),
  image_quality: col('image_quality'),
  video_resolution: col('video_resolution'),
  aspect_ratio: col('aspect_ratio'),
  status: col('status'),
  error_type: col('error_type'),
  pricing_source: col('pricing_source'),
};

/**
 * Builds the batch the writer stores; the records themselves stay with the caller.
 * `parents` are the records' parent span ids, hex ('' for a root span), by position.
 */
export function prepareBatch(
  records: readonly CallRecord[],
  parents: readonly string[] = [],
): PreparedBatch {
  const n = records.length;
  const ids = new Uint8Array(n * ID_BYTES);
  const idBuf = Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
  const values = new Float64Array(n * WIDTH).fill(Number.NaN);
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const texts: (string | null)[] = new Array(n * TEXT_COLUMNS.length);
  const groups: RollupKey[] = [];
  const groupIndex = new Map<string, number>();
  const str = (v: string | null): number => {
    if (v === null) return Number.NaN;
    let i = stringIndex.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      stringIndex.set(v, i);
    }
    return i;
  };
  const part = (v: string | null): number => (v === null || v === '' ? -1 : str(v));
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    // Ids of any other length than 16 + 8 bytes never reach here: the decoders refuse them.
    idBuf.write(r.trace_id, i * ID_BYTES, 16, 'hex');
    idBuf.write(r.span_id, i * ID_BYTES + 16, 8, 'hex');
    const parent = parents[i];
    if (parent) idBuf.write(parent, i * ID_BYTES + 24, 8, 'hex');
    const v = i * WIDTH;
    values[v + C.started_at] = r.started_at;
    values[v + C.duration_us] = Math.round(r.duration_ms * 1000);
    values[v + C.ttft_us] = r.ttft_ms === null ? Number.NaN : Math.round(r.ttft_ms * 1000);
    for (let u = 0; u < USAGE_COLUMNS.length; u++) {
      values[v + USAGE_AT[u]!] = num(r[USAGE_COLUMNS[u]![0]]);
    }
    values[v + C.video_audio] = r.video_audio === null ? Number.NaN : r.video_audio ? 1 : 0;
    values[v + C.retry_count] = r.retry_count;
    values[v + C.cost_pusd] = num(r.cost_pusd);
    const b = r.cost_breakdown_pusd;
    if (b !== null) {
      values[v + C.cost_input] = b.input;
      values[v + C.cost_output] = b.output;
      values[v + C.cost_cache_read] = b.cache_read;
      values[v + C.cost_cache_write] = b.cache_write;
      values[v + C.cost_reasoning] = b.reasoning;
      values[v + C.cost_media] = b.media;
    }
    values[v + S.service] = str(r.service);
    values[v + S.project] = str(r.project);
    values[v + S.user] = str(r.user);
    values[v + S.account] = str(r.account);
    values[v + S.provider] = str(r.provider);
    values[v + S.operation] = str(r.operation);
    values[v + S.call_type] = str(r.call_type);
    values[v + S.request_model] = str(r.request_model);
    values[v + S.response_model] = str(r.response_model);
    values[v + S.image_size] = str(r.image_size);
    values[v + S.image_resolution] = str(r.image_resolution);
    values[v + S.image_quality] = str(r.image_quality);
    values[v + S.video_resolution] = str(r.video_resolution);
    values[v + S.aspect_ratio] = str(r.aspect_ratio);
    values[v + S.status] = str(r.status);
    values[v + S.error_type] = str(r.error_type);
    values[v + S.pricing_source] = str(r.pricing_source);
    values[v + DURATION_MS] = r.duration_ms;
    const t = i * TEXT_COLUMNS.length;
    texts[t] = r.error_message;
    texts[t + 1] = r.unpriced_reason;
    texts[t + 2] = r.prompt;
    texts[t + 3] = r.output_path;
    texts[t + 4] = r.attributes;
    const hour = Math.floor(r.started_at / HOUR_MS) * HOUR_MS;
    const model = r.response_model ?? r.request_model ?? '';
    // The parts by their index in the batch's strings (just taken above), so the key is
    // short and built from numbers; '' and null are the same part, as in the group itself.
    const key = `${hour}|${part(r.project)}|${part(r.user)}|${part(r.account)}|${part(r.provider)}|${part(model)}|${part(r.call_type)}|${part(r.status)}`;
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groups.length;
      groups.push({
        hour,
        project: r.project ?? '',
        user: r.user ?? '',
        account: r.account ?? '',
        provider: r.provider ?? '',
        model,
        call_type: r.call_type,
        status: r.status,
      });
      groupIndex.set(key, g);
    }
    values[v + GROUP] = g;
  }
  return { count: n, ids, values, strings, texts, groups };
}
