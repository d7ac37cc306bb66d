export { countLogsRequest, countMetricsRequest } from './metrics-logs.js';
export { encodeExportResponse, encodeStatus } from './responses.js';
export { decodeTraceRequestJson } from './traces-json.js';
export { decodeTraceRequestProto } from './traces-proto.js';
export * from './types.js';
