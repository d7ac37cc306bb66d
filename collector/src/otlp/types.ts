/** OTLP attribute values as decoded: int64 values that do not fit a double stay bigint. */
export type AttrValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | Uint8Array
  | AttrValue[]
  | { [key: string]: AttrValue };

export type Attributes = Record<string, AttrValue>;

export interface DecodedSpan {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  /** code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}

export interface DecodedScopeSpans {
  name: string;
  version: string;
  spans: DecodedSpan[];
}

export interface DecodedResourceSpans {
  resource: Attributes;
  scopes: DecodedScopeSpans[];
}

export interface TraceRequest {
  resourceSpans: DecodedResourceSpans[];
}

/** A body that is not a valid OTLP message; the message says what and where. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

/** AnyValue nesting (arrays and kvlists inside each other) deeper than this is refused. */
export const MAX_DEPTH = 32;
