export {
  type ExportResponseJson,
  encodeExportResponse,
  encodeStatus,
  exportResponseJson,
  exportResponseProto,
  grpcCodeOf,
  type Signal,
} from './encode-response.js';
export { countLogsRequest, countMetricsRequest } from './metrics-logs.js';
export { decodeTraceRequestJson } from './traces-json.js';
export { decodeTraceRequestProto } from './traces-proto.js';
export {
  type Attributes,
  type AttrValue,
  type BodyEncoding,
  type DecodedEvent,
  type DecodedResourceSpans,
  type DecodedScopeSpans,
  type DecodedSpan,
  DecodeError,
  type LogsCount,
  MAX_DEPTH,
  type MetricsCount,
  TooManySpansError,
  type TraceRequest,
} from './types.js';
