import type { BodyEncoding } from './types.js';

// OTLP/HTTP answers in the encoding of the request. A fully accepted export
// gets an empty Export*ServiceResponse (the spec says partial_success stays
// unset); a partly accepted one gets partial_success with the rejected count
// and a message, which tells the exporter not to retry. Errors (4xx/5xx) carry
// a google.rpc.Status.

export type Signal = 'traces' | 'metrics' | 'logs';

/** The rejected-count field of each signal's partial success, by its JSON name. */
const REJECTED = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
} as const;

/** Export*ServiceResponse in OTLP/JSON; int64 counts are decimal strings, as the JSON mapping writes them. */
export interface ExportResponseJson {
  partialSuccess?: {
    rejectedSpans?: string;
    rejectedDataPoints?: string;
    rejectedLogRecords?: string;
    errorMessage?: string;
  };
}

function checkCount(rejected: number): void {
  if (!Number.isSafeInteger(rejected) || rejected < 0) {
    throw new RangeError(`rejected must be a non-negative integer, got ${rejected}`);
  }
}

/** Appends a varint; `value` is a non-negative safe integer or, for negative int32, its 64-bit form. */
function varint(out: number[], value: number | bigint): void {
  if (typeof value === 'bigint') {
    let v = value;
    while (v > 0x7fn) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return;
  }
  let v = value;
  while (v > 0x7f) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function tag(out: number[], field: number, wire: number): void {
  varint(out, field * 8 + wire);
}

function lengthDelimited(out: number[], field: number, bytes: ArrayLike<number>): void {
  tag(out, field, 2);
  varint(out, bytes.length);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

const utf8 = new TextEncoder();

/**
 * Export{Trace,Metrics,Logs}ServiceResponse { partial_success = 1 } in
 * protobuf, where Export*PartialSuccess is { rejected_<items> (int64) = 1,
 * error_message = 2 } for every signal. Empty when nothing was rejected and
 * there is nothing to say.
 */
export function exportResponseProto(rejected: number, errorMessage: string): Uint8Array {
  checkCount(rejected);
  if (rejected === 0 && errorMessage === '') return new Uint8Array(0);
  const inner: number[] = [];
  if (rejected > 0) {
    tag(inner, 1, 0);
    varint(inner, rejected);
  }
  if (errorMessage !== '') lengthDelimited(inner, 2, utf8.encode(errorMessage));
  const out: number[] = [];
  lengthDelimited(out, 1, inner);
  return Uint8Array.from(out);
}

/** The same response in OTLP/JSON, as an object for JSON.stringify. */
export function exportResponseJson(
  signal: Signal,
  rejected: number,
  errorMessage: string,
): ExportResponseJson {
  checkCount(rejected);
  if (rejected === 0 && errorMessage === '') return {};
  const partialSuccess: NonNullable<ExportResponseJson['partialSuccess']> = {};
  if (rejected > 0) partialSuccess[REJECTED[signal]] = String(rejected);
  if (errorMessage !== '') partialSuccess.errorMessage = errorMessage;
  return { partialSuccess };
}

/** The export response in the request's encoding: bytes for protobuf, an object for JSON. */
export function encodeExportResponse(
  signal: Signal,
  encoding: 'protobuf',
  rejected: number,
  errorMessage: string,
): Uint8Array;
export function encodeExportResponse(
  signal: Signal,
  encoding: 'json',
  rejected: number,
  errorMessage: string,
): ExportResponseJson;
export function encodeExportResponse(
  signal: Signal,
  encoding: BodyEncoding,
  rejected: number,
  errorMessage: string,
): Uint8Array | ExportResponseJson;
export function encodeExportResponse(
  signal: Signal,
  encoding: BodyEncoding,
  rejected: number,
  errorMessage: string,
): Uint8Array | ExportResponseJson {
  return encoding === 'protobuf'
    ? exportResponseProto(rejected, errorMessage)
    : exportResponseJson(signal, rejected, errorMessage);
}

/** The google.rpc.Code an OTLP/HTTP error answer carries, by its HTTP status. */
export function grpcCodeOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 408:
      return 4; // DEADLINE_EXCEEDED
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 415:
      return 12; // UNIMPLEMENTED: an encoding this server does not speak
    case 503:
      return 14; // UNAVAILABLE
    default:
      return httpStatus >= 400 && httpStatus < 500 ? 9 : 13; // FAILED_PRECONDITION, INTERNAL
  }
}

/**
 * google.rpc.Status { code (int32) = 1, message = 2 } in protobuf: the body of
 * an OTLP/HTTP error response. `code` is meant to be a google.rpc.Code (3
 * INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE, ...); details (3)
 * are never sent.
 */
export function encodeStatus(code: number, message: string): Uint8Array {
  if (!Number.isInteger(code) || code < -(2 ** 31) || code >= 2 ** 31) {
    throw new RangeError(`code must be an int32, got ${code}`);
  }
  const out: number[] = [];
  if (code !== 0) {
    tag(out, 1, 0);
    // A negative int32 goes on the wire sign-extended to 64 bits.
    varint(out, code < 0 ? BigInt.asUintN(64, BigInt(code)) : code);
  }
  if (message !== '') lengthDelimited(out, 2, utf8.encode(message));
  return Uint8Array.from(out);
}
