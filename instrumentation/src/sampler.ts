import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { diagWarn, type Env, malformed, type Warn } from './config.js';
import { ATTR_GEN_AI_OPERATION_NAME } from './semconv.js';

/**
 * Keeps every span that is an AI call (it has `gen_ai.operation.name` when it
 * starts), and leaves every other span to the user's sampler: costs must not be
 * lost to a 1% trace sample.
 */
export function keepGenAiSpans(sampler: Sampler): Sampler {
  return {
    shouldSample(
      ctx: Context,
      traceId: string,
      name: string,
      kind: SpanKind,
      attributes: Attributes,
      links: Link[],
    ): SamplingResult {
      if (attributes?.[ATTR_GEN_AI_OPERATION_NAME] !== undefined) {
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      }
      return sampler.shouldSample(ctx, traceId, name, kind, attributes, links);
    },
    toString: () => `KeepGenAiSpans{${sampler.toString()}}`,
  };
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
const DEFAULT_SAMPLER = 'parentbased_always_on';
const DEFAULT_RATIO = 1;

function ratio(arg: string | undefined, warn: Warn): number {
  if (arg === undefined || arg.trim() === '') return DEFAULT_RATIO;
  const r = Number(arg);
  if (Number.isFinite(r) && r >= 0 && r <= 1) return r;
  warn(malformed('OTEL_TRACES_SAMPLER_ARG', arg, 'a number from 0 to 1', DEFAULT_RATIO));
  return DEFAULT_RATIO;
}

/**
 * The sampler the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG variables
 * name. A value it does not know is said through diag, and the default used
 * (`parentbased_always_on`, a ratio of 1), as the OpenTelemetry SDK does.
 */
export function samplerFromEnv(env: Env = process.env): Sampler {
  return readSampler(env, diagWarn);
}

/** samplerFromEnv, saying what is malformed through `warn` (register says it later). */
export function readSampler(env: Env, warn: Warn): Sampler {
  const raw = env.OTEL_TRACES_SAMPLER ?? '';
  let name = raw.trim().toLowerCase() || DEFAULT_SAMPLER;
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    warn(malformed('OTEL_TRACES_SAMPLER', raw, `one of ${SAMPLERS.join(', ')}`, DEFAULT_SAMPLER));
    name = DEFAULT_SAMPLER;
  }
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  switch (name as (typeof SAMPLERS)[number]) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio(arg, warn));
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio(arg, warn)) });
  }
}
