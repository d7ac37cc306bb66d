import { applyOverrides, type Catalogue, loadCatalogue, readOverrides } from '@costlens/pricing';
import type { CostlensInstrumentationConfig } from './types.js';

/** Every default in one place. An argument wins over the environment, which wins over these. */
export const defaultOptions = {
  enabled: true,
  project: undefined as string | undefined,
  user: undefined as string | undefined,
  account: undefined as string | undefined,
  captureMessageContent: false,
  maxContentChars: 1000,
  pricesFile: undefined as string | undefined,
  requestStreamUsage: true,
} as const;

export interface ResolvedConfig {
  project: string | undefined;
  user: string | undefined;
  account: string | undefined;
  captureMessageContent: boolean;
  maxContentChars: number;
  requestStreamUsage: boolean;
  pricesFile: string | undefined;
}

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);

function envBool(env: Env, name: string): boolean | undefined {
  const v = nonEmpty(env[name])?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new RangeError(`${name} is "${env[name]}": set it to true or false`);
}

function envInt(env: Env, name: string): number | undefined {
  const v = nonEmpty(env[name]);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`${name} is "${v}": set it to a whole number above 0`);
  }
  return n;
}

/** Argument > COSTLENS_* / OTEL_* variable > default. Throws RangeError for a malformed variable. */
export function resolveConfig(
  config: CostlensInstrumentationConfig,
  env: Env = process.env,
): ResolvedConfig {
  return {
    project: config.project ?? nonEmpty(env.COSTLENS_PROJECT) ?? defaultOptions.project,
    user: config.user ?? nonEmpty(env.COSTLENS_USER) ?? defaultOptions.user,
    account: config.account ?? nonEmpty(env.COSTLENS_ACCOUNT) ?? defaultOptions.account,
    captureMessageContent:
      config.captureMessageContent ??
      envBool(env, 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') ??
      defaultOptions.captureMessageContent,
    maxContentChars:
      config.maxContentChars ??
      envInt(env, 'COSTLENS_MAX_CONTENT_CHARS') ??
      defaultOptions.maxContentChars,
    requestStreamUsage: config.requestStreamUsage ?? defaultOptions.requestStreamUsage,
    pricesFile: config.pricesFile ?? nonEmpty(env.COSTLENS_PRICES) ?? defaultOptions.pricesFile,
  };
}

/** The catalogue calls are priced with: the given one, or the bundled one with the override file over it. */
export function catalogueFor(
  config: CostlensInstrumentationConfig,
  resolved: ResolvedConfig,
): Catalogue {
  if (config.catalogue) return config.catalogue;
  const bundled = loadCatalogue();
  return resolved.pricesFile
    ? applyOverrides(bundled, readOverrides(resolved.pricesFile))
    : bundled;
}
