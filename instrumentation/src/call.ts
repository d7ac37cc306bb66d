import { type Catalogue, isUnbilledFailure, type PriceResult, type Usage } from '@costlens/pricing';
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  diag,
  INVALID_SPAN_CONTEXT,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AttributeSets, type BaseSet } from './attribute-sets.js';
import { currentAttribution } from './attribution.js';
import { breakdownJson, costOf, hasCounts, put, unpriced } from './call-attributes.js';
import { CallContext } from './call-context.js';
import type { ResolvedConfig } from './config.js';
import type { CallMetrics } from './metrics.js';
import { OpenStreams, type StreamWatch } from './open-streams.js';
import type { Patcher } from './patcher.js';
import * as S from './semconv.js';
import type { Attribution, CallOutcome } from './types.js';
import { contentText, errorMessage, errorType, truncate } from './util.js';
import { VideoJobs } from './video-jobs.js';

/** What is known when a call starts. */
export interface CallRequest {
  provider: string;
  operation: string;
  callType: S.CallType;
  model: string | undefined;
  stream?: boolean;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
  /** Usage and media facts known from the request (requested image size, video seconds...). */
  usage?: Usage;
  aspectRatio?: string | undefined;
  /** Recorded only when content capture is on. */
  prompt?: unknown;
  attribution?: Attribution;
  /** Spans this call follows from (a video job's completion seen after its submission's record). */
  links?: Link[];
}

const CALL_KEY = createContextKey('costlens.call');

/** What `call.span` is once the call has ended: its own span is the exporter's now. */
const ENDED_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * One AI call: its span, what the response said, and the one place where a call
 * ends (priced, measured, span closed). `end` and `fail` act once; later calls are
 * ignored, so a stream that is both broken off and errored closes one span.
 */
export class Call {
  private liveSpan: Span | undefined;
  /** The context the SDK call runs in: our span active, this call findable. */
  private callContext: Context | undefined;
  private readonly startedAt = performance.now();
  /** The prices in force when the call started apply. */
  private readonly startedAtMs = Date.now();
  private usage: Usage;
  private outcome: CallOutcome = {};
  private attempts = 1;
  private ttftSeconds: number | undefined;
  private done = false;
  /** Attributes set along the way that belong to no outcome field (a stream's or job's state). */
  private extra: Attributes | undefined;
  /** Set while the call is a stream whose end is not yet known. */
  private watch: StreamWatch | undefined;
  /** Why the call is not priced whatever its usage says (a video job whose end was not seen). */
  private unpricedBecause: string | undefined;
  /** Operation, provider, model, server, project: shared by the span and the metrics, built once. */
  private readonly base: BaseSet;

  constructor(
    private readonly tracker: CallTracker,
    private readonly request: CallRequest,
    private readonly attribution: Attribution,
  ) {
    this.usage = request.usage === undefined ? {} : { ...request.usage };
    this.base = tracker.sets.base(request, attribution.project);
    this.liveSpan = tracker.tracer.startSpan(this.base.spanName, {
      kind: SpanKind.CLIENT,
      attributes: this.startAttributes(),
      links: request.links,
    });
    this.callContext = new CallContext(context.active(), this.liveSpan, CALL_KEY, this);
  }

  /** The call's span; once the call has ended, a span that records nothing (see finish). */
  get span(): Span {
    return this.liveSpan ?? ENDED_SPAN;
  }

  /** The context the SDK call runs in: our span active, this call findable; the root once ended. */
  get context(): Context {
    return this.callContext ?? ROOT_CONTEXT;
  }

  /** The call whose SDK request is running in the active context, if any. */
  static active(): Call | undefined {
    return context.active().getValue(CALL_KEY) as Call | undefined;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Merges what the response (or a chunk of it) says; later values win field by field. */
  update(outcome: CallOutcome | undefined): void {
    if (!outcome || this.done) return;
    const o = this.outcome;
    // Field by field, not a spread: this runs on every call and is kept cheap.
    if (outcome.usage) Object.assign(this.usage, outcome.usage);
    if (outcome.responseModel !== undefined) o.responseModel = outcome.responseModel;
    if (outcome.responseId !== undefined) o.responseId = outcome.responseId;
    if (outcome.finishReasons !== undefined) o.finishReasons = outcome.finishReasons;
    if (outcome.aspectRatio !== undefined) o.aspectRatio = outcome.aspectRatio;
    if (outcome.outputPath !== undefined) o.outputPath = outcome.outputPath;
    if (outcome.completion !== undefined) o.completion = outcome.completion;
    if (outcome.reportedCostPusd !== undefined) o.reportedCostPusd = outcome.reportedCostPusd;
  }

  /** One more attempt at the request (the SDK or the caller retried). */
  attempt(): void {
    this.attempts++;
  }

  firstChunk(): void {
    if (this.ttftSeconds === undefined) {
      this.ttftSeconds = (performance.now() - this.startedAt) / 1000;
    }
  }

  /** A chunk reached the app: time to first chunk, and the stream is being read. */
  chunk(): void {
    this.firstChunk();
    if (this.watch) this.watch.seen = true;
  }

  /** Whether the app is waiting for the stream's next chunk (a slow server is not an idle reader). */
  reading(waiting: boolean): void {
    if (this.watch) {
      this.watch.reading = waiting;
      this.watch.seen = true;
    }
  }

  /**
   * Ends this call, unless it ends first, when `holder` and every other holder
   * are garbage-collected or nothing reads it for the idle time; `read` says what
   * the stream said so far (the latest given wins).
   */
  holdUntilRead(holder: object, read?: () => CallOutcome | undefined): void {
    if (this.done) return;
    this.watch = this.tracker.streams.watch(this, holder, this.watch);
    if (read) this.watch.read = read;
  }

  /** What the call is, as started: to start another record of the same call. */
  description(): CallRequest {
    return { ...this.request, usage: { ...this.request.usage }, attribution: this.attribution };
  }

  /** Usage and media facts so far (the request's, then the response's). */
  usageSoFar(): Readonly<Usage> {
    return this.usage;
  }

  /** Leaves the call unpriced, with this reason, whatever its usage says. */
  unpriced(reason: string): void {
    this.unpricedBecause = reason;
  }

  /** An attribute outside the outcome (a stream's or a job's state), written when the call ends. */
  set(key: string, value: string | number | boolean): void {
    if (this.done) return;
    this.extra ??= {};
    this.extra[key] = value;
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.finish(undefined);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.finish(error);
  }

  /** The shared start attributes, copied only for what is the call's own (user, account, prompt). */
  private startAttributes(): Attributes {
    const r = this.request;
    const shared = this.base.start(r.stream);
    const { user, account } = this.attribution;
    const cfg = this.tracker.config;
    const prompt = cfg.captureMessageContent && r.prompt !== undefined;
    if (!user && !account && !prompt) return shared;
    const a = { ...shared };
    if (user) a[S.ATTR_COSTLENS_USER] = user;
    if (account) a[S.ATTR_COSTLENS_ACCOUNT] = account;
    if (prompt) {
      const text = contentText(r.prompt);
      if (text) a[S.ATTR_COSTLENS_PROMPT] = truncate(text, cfg.maxContentChars);
    }
    return a;
  }

  private finish(error: unknown): void {
    if (this.watch) {
      this.tracker.streams.forget(this.watch);
      this.watch = undefined;
    }
    const span = this.span;
    // The SDK may keep what still points at this call (its stream, a promise)
    // after the call: let go of the span and the context, the most of what a call
    // holds, so that such a holder, if the collector keeps it for a while, keeps
    // little. Measured on the streamed bench call: the young generation's survivors
    // fell from 1,600 to 1,270 kB a collection.
    this.liveSpan = undefined;
    this.callContext = undefined;
    try {
      const seconds = (performance.now() - this.startedAt) / 1000;
      this.writeEnd(span);
      const costPusd = this.price(span, error !== undefined);
      let type: string | undefined;
      if (error !== undefined) {
        type = errorType(error);
        span.setAttribute(S.ATTR_ERROR_TYPE, type);
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: truncate(errorMessage(error), this.tracker.config.maxContentChars),
        });
      }
      const metrics = this.tracker.metrics;
      if (metrics !== undefined) {
        const u = this.usage;
        metrics.record(
          this.base.seriesFor(this.outcome.responseModel, type),
          seconds,
          u.input_tokens,
          u.output_tokens,
          costPusd,
        );
      }
    } catch (err) {
      diag.error('costlens: could not record a call', err);
    } finally {
      span.end();
    }
  }

  /** What the response said, onto the span: set one by one, no object built for it. */
  private writeEnd(span: Span): void {
    const u = this.usage;
    const o = this.outcome;
    put(span, S.ATTR_GEN_AI_RESPONSE_MODEL, o.responseModel);
    put(span, S.ATTR_GEN_AI_RESPONSE_ID, o.responseId);
    put(span, S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, o.finishReasons);
    put(span, S.ATTR_GEN_AI_USAGE_INPUT_TOKENS, u.input_tokens);
    put(span, S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, u.output_tokens);
    put(span, S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u.cache_read_tokens);
    if (u.cache_write_tokens !== undefined || u.cache_write_1h_tokens !== undefined) {
      // The conventions count every cache write here; the 1-hour share is ours to add.
      span.setAttribute(
        S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        (u.cache_write_tokens ?? 0) + (u.cache_write_1h_tokens ?? 0),
      );
    }
    put(span, S.ATTR_COSTLENS_CACHE_WRITE_1H_TOKENS, u.cache_write_1h_tokens);
    put(span, S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u.reasoning_tokens);
    put(span, S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, this.ttftSeconds);
    put(span, S.ATTR_COSTLENS_IMAGE_COUNT, u.images);
    put(span, S.ATTR_COSTLENS_IMAGE_SIZE, u.image_size);
    put(span, S.ATTR_COSTLENS_IMAGE_QUALITY, u.image_quality);
    put(span, S.ATTR_COSTLENS_IMAGE_RESOLUTION, u.image_resolution);
    put(span, S.ATTR_COSTLENS_VIDEO_SECONDS, u.video_seconds);
    put(span, S.ATTR_COSTLENS_VIDEO_RESOLUTION, u.video_resolution);
    put(span, S.ATTR_COSTLENS_VIDEO_AUDIO, u.video_audio);
    put(span, S.ATTR_COSTLENS_ASPECT_RATIO, o.aspectRatio ?? this.request.aspectRatio);
    put(span, S.ATTR_COSTLENS_OUTPUT_PATH, o.outputPath);
    // Absent is none: most calls are not retried, and every attribute is paid for on every call.
    if (this.attempts > 1) span.setAttribute(S.ATTR_COSTLENS_RETRY_COUNT, this.attempts - 1);
    if (this.extra) span.setAttributes(this.extra);
    const cfg = this.tracker.config;
    if (cfg.captureMessageContent && o.completion !== undefined) {
      const text = contentText(o.completion);
      if (text) span.setAttribute(S.ATTR_COSTLENS_COMPLETION, truncate(text, cfg.maxContentChars));
    }
  }

  /**
   * Writes the cost attributes (USD, converted here where they leave) and returns
   * the cost in pUSD for the metrics; a failed call that reported no usage was not billed (0).
   */
  private price(span: Span, failed: boolean): number | undefined {
    const u = this.usage;
    if (isUnbilledFailure(failed, u)) return costOf(span, 0, undefined, undefined);
    if (this.unpricedBecause !== undefined) return unpriced(span, this.unpricedBecause);
    // What the provider charged is the cost; the catalogue's price is only an estimate of it.
    const reported = this.outcome.reportedCostPusd;
    if (reported !== undefined) return costOf(span, reported, undefined, 'provider');
    // A call that said nothing of its usage (a raw response read by the caller, a
    // stream without its usage chunk) cost something unknown, not nothing.
    if (!hasCounts(u)) return unpriced(span, 'the response reported no usage');
    // The answer's model is the more exact (a dated snapshot); the requested one stands in.
    const answered = this.outcome.responseModel;
    const requested = this.request.model;
    let reason = 'the call names no model';
    let result: PriceResult | undefined;
    for (let i = 0; i < 2; i++) {
      const model = i === 0 ? answered : requested;
      if (!model || (i === 1 && model === answered && result)) continue;
      try {
        result = this.tracker
          .catalogue()
          .priceUsage(u, model, this.request.provider, this.startedAtMs);
      } catch (err) {
        reason = errorMessage(err);
        continue;
      }
      if (!result.unpriced) break;
      reason = result.reason ?? reason;
    }
    if (!result || result.unpriced) return unpriced(span, reason);
    return costOf(span, result.cost_pusd, breakdownJson(result.breakdown_pusd), result.source);
  }
}

const NO_ATTRIBUTION: Attribution = Object.freeze({});

/**
 * Starts calls with one tracer, one set of instruments and one catalogue. The
 * instrumentation owns one; nothing here is global. What a call patches on its
 * way (a class first seen in a response) goes through the instrumentation's
 * patcher, so that disabling puts it back too.
 */
export class CallTracker {
  /** Streams whose end is not yet known (see OpenStreams). */
  readonly streams: OpenStreams;
  /** Video jobs submitted and not yet seen to end (see VideoJobs). */
  readonly videos: VideoJobs;
  /** The calls' attribute sets, shared with the metrics that count by them. */
  readonly sets: AttributeSets;
  /** The attribution of a call charged to the config's project and nobody else. */
  private readonly projectOnly: Attribution;

  constructor(
    readonly tracer: Tracer,
    readonly metrics: CallMetrics | undefined,
    readonly catalogue: () => Catalogue,
    readonly config: ResolvedConfig,
    readonly patcher: Patcher,
  ) {
    this.streams = new OpenStreams(config.streamIdleMs);
    this.videos = new VideoJobs(this, config.videoWaitMs);
    this.sets = metrics?.sets ?? new AttributeSets();
    this.projectOnly = Object.freeze(config.project ? { project: config.project } : {});
  }

  /** Starts a call's span; attribution: the request's, then the enclosing scope's, then the config's. */
  start(request: CallRequest): Call {
    const given = request.attribution;
    const scope = currentAttribution();
    const cfg = this.config;
    const project = given?.project ?? scope.project ?? cfg.project;
    const user = given?.user ?? scope.user ?? cfg.user;
    const account = given?.account ?? scope.account ?? cfg.account;
    // Most calls are charged to nobody in particular, or to the config's project alone.
    let attribution = NO_ATTRIBUTION;
    if (user || account || (project && project !== this.projectOnly.project)) {
      attribution = {};
      if (project) attribution.project = project;
      if (user) attribution.user = user;
      if (account) attribution.account = account;
    } else if (project) {
      attribution = this.projectOnly;
    }
    return new Call(this, request, attribution);
  }
}
