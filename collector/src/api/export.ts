import type { ServerResponse } from 'node:http';
import type { Queries, QueryFilter, SortBy } from '../store/queries.js';
import { type CallJson, callJson } from './json.js';

export const FORMATS = ['csv', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** Calls read from the database at a time: what the export holds in memory at most. */
const BATCH = 500;

/** The CSV columns: the fields of a call in the list, in that order (the values of this blank row do not matter). */
const COLUMNS = Object.keys(
  callJson({
    rid: 0,
    trace_id: '',
    span_id: '',
    started_at: 0,
    duration_us: 0,
    ttft_us: null,
    service: null,
    project: null,
    user: null,
    account: null,
    provider: null,
    operation: null,
    call_type: 'other',
    request_model: null,
    response_model: null,
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_write_tokens: null,
    cache_write_1h_tokens: null,
    reasoning_tokens: null,
    image_count: null,
    image_size: null,
    image_resolution: null,
    image_quality: null,
    video_seconds: null,
    video_resolution: null,
    video_audio: null,
    aspect_ratio: null,
    status: 'success',
    error_type: null,
    error_message: null,
    retry_count: 0,
    cost_pusd: null,
    pricing_source: null,
    unpriced_reason: null,
  }),
) as (keyof CallJson)[];

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. Text
 * that a spreadsheet would run as a formula (= + - @, tab, carriage return first) gets
 * a leading ' so it stays text.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** Resolves when the client has taken what was written, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * GET /export: every call the filter matches, streamed a batch at a time; the next
 * batch is read only once the client has taken the last one, so any number of calls
 * costs the memory of one batch. A failure after the first byte cuts the response
 * short (the client sees an incomplete transfer, never a file that looks whole).
 */
export async function streamExport(
  res: ServerResponse,
  queries: Queries,
  f: QueryFilter,
  format: Format,
  sort: SortBy,
  desc: boolean,
): Promise<void> {
  const batches = queries.batches(f, sort, desc, BATCH);
  // The first batch before the headers: an error here is still a JSON answer.
  let next = batches.next();
  res.statusCode = 200;
  res.setHeader(
    'Content-Type',
    format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
  );
  res.setHeader('Content-Disposition', `attachment; filename="costlens-calls.${format}"`);
  if (format === 'csv') res.write(csvLine(COLUMNS));
  try {
    while (!next.done) {
      let chunk = '';
      for (const row of next.value) {
        const call = callJson(row);
        chunk +=
          format === 'csv' ? csvLine(COLUMNS.map((c) => call[c])) : `${JSON.stringify(call)}\n`;
      }
      if (!res.write(chunk)) await drained(res);
      if (res.destroyed) return;
      next = batches.next();
    }
    res.end();
  } catch (err) {
    console.error('costlens: export failed after it started:', err);
    res.destroy(err as Error);
  }
}
