export { withAttributes } from './attribution.js';
export { defaultOptions } from './config.js';
export { CostlensInstrumentation } from './instrumentation.js';
export type { CostlensMetricProducer, MetricProducerOptions } from './metric-producer.js';
export { keepGenAiSpans, samplerFromEnv } from './sampler.js';
export { track } from './track-global.js';
export type * from './types.js';
