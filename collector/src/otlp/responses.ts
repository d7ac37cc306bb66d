/** Export responses and error bodies, in the request's encoding. */

function varint(out: number[], value: number): void {
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function lenField(out: number[], field: number, bytes: Uint8Array): void {
  varint(out, (field << 3) | 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

const REJECTED = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
} as const;

/**
 * Export{Trace,Metrics,Logs}ServiceResponse: partial_success (1) with the
 * rejected count (1, int64) and an English error_message (2), only when
 * something was rejected; an empty message otherwise.
 */
export function encodeExportResponse(
  signal: 'traces' | 'metrics' | 'logs',
  kind: 'protobuf' | 'json',
  rejected: number,
  message: string,
): Uint8Array | object {
  if (kind === 'json') {
    return rejected === 0 && message === ''
      ? {}
      : { partialSuccess: { [REJECTED[signal]]: String(rejected), errorMessage: message } };
  }
  if (rejected === 0 && message === '') return new Uint8Array(0);
  const inner: number[] = [];
  if (rejected > 0) {
    varint(inner, (1 << 3) | 0);
    varint(inner, rejected);
  }
  if (message) lenField(inner, 2, new TextEncoder().encode(message));
  const out: number[] = [];
  lenField(out, 1, Uint8Array.from(inner));
  return Uint8Array.from(out);
}

/** google.rpc.Status { code (1), message (2) }: the body of an OTLP/HTTP error in protobuf. */
export function encodeStatus(code: number, message: string): Uint8Array {
  const out: number[] = [];
  varint(out, (1 << 3) | 0);
  varint(out, code);
  lenField(out, 2, new TextEncoder().encode(message));
  return Uint8Array.from(out);
}
