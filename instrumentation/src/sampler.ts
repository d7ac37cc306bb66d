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

function ratio(arg: string | undefined): number {
  if (arg === undefined || arg.trim() === '') return 1;
  const r = Number(arg);
  if (!Number.isFinite(r) || r < 0 || r > 1) {
    throw new RangeError(`OTEL_TRACES_SAMPLER_ARG is "${arg}": set it to a number from 0 to 1`);
  }
  return r;
}

/** The sampler the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG variables name. */
export function samplerFromEnv(env: Record<string, string | undefined> = process.env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio(arg));
    case '':
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio(arg)) });
    default:
      throw new RangeError(
        `OTEL_TRACES_SAMPLER is "${env.OTEL_TRACES_SAMPLER}": costlens knows always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off and parentbased_traceidratio`,
      );
  }
}
