import type { Catalogue, Usage } from '@costlens/pricing';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { CallType, Operation } from './semconv.js';

/** Who a call is charged to. Unset fields fall back to the enclosing scope, then the config. */
export interface Attribution {
  project?: string;
  user?: string;
  account?: string;
}

/** Options of `new CostlensInstrumentation(config)`; every one has a default (see config.ts). */
export interface CostlensInstrumentationConfig extends InstrumentationConfig, Attribution {
  /**
   * Record prompts and completions (truncated) on spans. Off unless set here or by
   * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.
   */
  captureMessageContent?: boolean;
  /** Longest prompt, completion or error message kept, in characters. Default 1000. */
  maxContentChars?: number;
  /** Prices calls with this catalogue; default: the bundled one, with COSTLENS_PRICES laid over it. */
  catalogue?: Catalogue;
  /** A price override file (JSON or YAML) laid over the catalogue. Default: COSTLENS_PRICES. */
  pricesFile?: string;
  /**
   * Ask OpenAI for the usage chunk of streamed chat completions
   * (`stream_options.include_usage`) when the caller did not say; the chunk is
   * then kept from the caller. Default true.
   */
  requestStreamUsage?: boolean;
  /**
   * A stream the app neither reads to the end nor breaks off is ended, with what
   * it said so far and `costlens.stream.state`, when the app lets go of it or
   * after this many milliseconds without a read. Default: COSTLENS_STREAM_IDLE_MS, else 600000.
   */
  streamIdleMs?: number;
  /**
   * How long a video job (Veo, Sora) is followed for its end, through the app's own
   * polls, before it is recorded as `costlens.video.state: submitted`, unpriced.
   * Default: COSTLENS_VIDEO_WAIT_MS, else 3600000.
   */
  videoWaitMs?: number;
}

/** What the response (or the caller of `track`) says about a call; any field may be missing. */
export interface CallOutcome {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** Token counts as the conventions count them, and media facts (images, video). */
  usage?: Usage;
  aspectRatio?: string;
  outputPath?: string;
  /** The model's output, recorded only when content capture is on. */
  completion?: unknown;
  /**
   * What the provider says the call cost, in pUSD (OpenRouter's `usage.cost`):
   * what was charged, so it is used ahead of the catalogue's price.
   */
  reportedCostPusd?: number;
}

/** What `track()` needs to know about a call made with any client. */
export interface TrackMeta<T = unknown> {
  /** `gen_ai.provider.name`: `openai`, `anthropic`, `gcp.gemini`, `cloudflare`, ... */
  provider: string;
  model: string;
  /** Default from `callType`: `chat` for text, `embeddings`, `image_generation`, `video_generation`. */
  operation?: Operation | (string & {});
  /** Default `text`. */
  callType?: CallType;
  stream?: boolean;
  serverAddress?: string;
  serverPort?: number;
  /** Usage and media facts known before the call (a requested video length, image size...). */
  usage?: Usage;
  /** Turns the result into what it says about the call; merged over `usage`. */
  extract?: (result: T) => CallOutcome | undefined;
  /** Recorded when content capture is on. */
  prompt?: unknown;
  /** Attribution for this call only. */
  attribution?: Attribution;
  /** Retry the call when it throws: `attempts` in all (default 1: no retry). */
  retry?: RetryOptions;
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before attempt n (n >= 2): a number of ms, or a function of n. Default 0. */
  delayMs?: number | ((attempt: number) => number);
  /** Whether an error is worth another attempt. Default: every error. */
  retryOn?: (error: unknown) => boolean;
}

/** The handle `track()` gives its function: for callers that report as they go. */
export interface TrackedCall {
  /** Counts one more attempt; the span's `costlens.retry.count` is attempts - 1. */
  attempt(): void;
  /** Merges what is known so far (usage reported mid-way, media facts). */
  report(outcome: CallOutcome): void;
  /** Marks the first chunk of a stream (time to first chunk). */
  firstChunk(): void;
}
