import { applyOverrides, type Catalogue, loadCatalogue, readOverrides } from '@costlens/pricing';
import { diag } from '@opentelemetry/api';
import type { CostlensInstrumentationConfig } from './types.js';

/** Every default in one place. An argument wins over the environment, which wins over these. */
export const defaultOptions = Object.freeze({
  enabled: true,
  project: undefined as string | undefined,
  user: undefined as string | undefined,
  account: undefined as string | undefined,
  captureMessageContent: false,
  maxContentChars: 1000,
  pricesFile: undefined as string | undefined,
  requestStreamUsage: true,
  /** A stream the app stops reading is ended after this long without a read (10 minutes). */
  streamIdleMs: 600_000,
  /** A video job whose end the app is not seen polling is recorded as submitted after this (1 hour). */
  videoWaitMs: 3_600_000,
} as const);

export interface ResolvedConfig {
  project: string | undefined;
  user: string | undefined;
  account: string | undefined;
  captureMessageContent: boolean;
  maxContentChars: number;
  requestStreamUsage: boolean;
  pricesFile: string | undefined;
  streamIdleMs: number;
  videoWaitMs: number;
}

export type Env = Record<string, string | undefined>;

/** Where a malformed variable is reported: diag, unless the caller says when to (register). */
export type Warn = (message: string) => void;

export const diagWarn: Warn = (message) => diag.warn(message);

/**
 * The one line said of a malformed variable. Telemetry never stops an app: the
 * default is used instead, and this says which.
 */
export function malformed(name: string, value: string, expected: string, used: unknown): string {
  return `costlens: ${name} is "${value}", not ${expected}; using the default, ${String(used)}`;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);

function envBool(env: Env, name: string, fallback: boolean, warn: Warn): boolean {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  warn(malformed(name, raw, 'true or false', fallback));
  return fallback;
}

function envInt(env: Env, name: string, fallback: number, warn: Warn): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  warn(malformed(name, raw, 'a whole number above 0', fallback));
  return fallback;
}

/** The longest delay a Node.js timer keeps (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A wait in milliseconds: a whole number above 0, at most what a timer can wait. */
function delay(ms: number, name: string, fallback: number, warn: Warn): number {
  if (!Number.isInteger(ms) || ms <= 0) {
    warn(malformed(name, String(ms), 'a whole number of milliseconds above 0', fallback));
    return fallback;
  }
  return Math.min(ms, MAX_TIMER_MS);
}

/**
 * Argument > COSTLENS_* / OTEL_* variable > default. A malformed variable is
 * said through `warn` (diag by default) and its default used; nothing throws.
 */
export function resolveConfig(
  config: CostlensInstrumentationConfig,
  env: Env = process.env,
  warn: Warn = diagWarn,
): ResolvedConfig {
  return {
    project: config.project ?? nonEmpty(env.COSTLENS_PROJECT) ?? defaultOptions.project,
    user: config.user ?? nonEmpty(env.COSTLENS_USER) ?? defaultOptions.user,
    account: config.account ?? nonEmpty(env.COSTLENS_ACCOUNT) ?? defaultOptions.account,
    captureMessageContent:
      config.captureMessageContent ??
      envBool(
        env,
        'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
        defaultOptions.captureMessageContent,
        warn,
      ),
    maxContentChars:
      config.maxContentChars ??
      envInt(env, 'COSTLENS_MAX_CONTENT_CHARS', defaultOptions.maxContentChars, warn),
    requestStreamUsage: config.requestStreamUsage ?? defaultOptions.requestStreamUsage,
    pricesFile: config.pricesFile ?? nonEmpty(env.COSTLENS_PRICES) ?? defaultOptions.pricesFile,
    streamIdleMs: delay(
      config.streamIdleMs ??
        envInt(env, 'COSTLENS_STREAM_IDLE_MS', defaultOptions.streamIdleMs, warn),
      'streamIdleMs',
      defaultOptions.streamIdleMs,
      warn,
    ),
    videoWaitMs: delay(
      config.videoWaitMs ?? envInt(env, 'COSTLENS_VIDEO_WAIT_MS', defaultOptions.videoWaitMs, warn),
      'videoWaitMs',
      defaultOptions.videoWaitMs,
      warn,
    ),
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
