import type { Catalogue } from '@costlens/pricing';
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { CallTracker } from './call.js';
import { catalogueFor, type ResolvedConfig, resolveConfig } from './config.js';
import type { ProviderModule } from './internal-types.js';
import { CostlensMetricProducer, type MetricProducerOptions } from './metric-producer.js';
import { CallMetrics } from './metrics.js';
import { Patcher } from './patcher.js';
import { type AiSdkPatchKit, aiSdkModules, patchAiSdkProvider } from './providers/ai-sdk.js';
import { AiSdkSpans } from './providers/ai-sdk-spans.js';
import { anthropicModule } from './providers/anthropic.js';
import { bedrockModule } from './providers/bedrock.js';
import { googleGenAIModule } from './providers/google-genai.js';
import { openaiModule } from './providers/openai.js';
import { runTracked } from './track.js';
import type { CostlensInstrumentationConfig, TrackedCall, TrackMeta } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** What `instrumentModules({ aiSdk })` patches each package with. */
const AI_SDK: ProviderModule = { name: 'ai-sdk', versions: ['*'], patch: patchAiSdkProvider };

const PROVIDERS: ProviderModule[] = [
  openaiModule,
  anthropicModule,
  googleGenAIModule,
  bedrockModule,
  ...aiSdkModules,
];

/**
 * Patches the openai, @anthropic-ai/sdk and @google/genai SDKs so that every call
 * becomes a CLIENT span plus metrics, priced at call time. Add it to a NodeSDK's
 * instrumentations, or let `@costlens/instrumentation/register` do everything.
 */
export class CostlensInstrumentation extends InstrumentationBase<CostlensInstrumentationConfig> {
  private readonly patcher = new Patcher();
  /**
   * Set by setConfig, which InstrumentationBase's constructor calls: `declare`d,
   * so that no field initialiser resets it after super() and the configuration
   * is read (and a malformed variable said) once.
   */
  declare private resolved: ResolvedConfig;
  private catalogue: Catalogue | undefined;
  private metrics: CallMetrics | undefined;
  /** Set once a metric producer was asked for: it reports the metrics, summed here. */
  private summedHere = false;
  private callTracker: CallTracker | undefined;
  private readonly aiSdkSpans = new AiSdkSpans();
  private readonly kit: AiSdkPatchKit = {
    patcher: this.patcher,
    tracker: () => (this.isEnabled() ? this.tracker() : undefined),
    aiSdkSpans: this.aiSdkSpans,
  };

  constructor(config: CostlensInstrumentationConfig = {}) {
    // The tracer's and meter's scope: the package's name and version, from package.json.
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this.resolved ??= resolveConfig(config);
  }

  override setConfig(config: CostlensInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.resolved = resolveConfig(config);
    this.catalogue = undefined;
    this.callTracker = undefined;
  }

  protected override init() {
    return PROVIDERS.map(
      (p) =>
        new InstrumentationNodeModuleDefinition(
          p.name,
          p.versions,
          (exports) => {
            this.patchModule(p, exports);
            return exports;
          },
          () => this.patcher.restore(),
        ),
    );
  }

  override disable(): void {
    super.disable();
    this.patcher.restore();
  }

  protected override _updateMetricInstruments(): void {
    // Called by InstrumentationBase's constructor too, before `summedHere` is set:
    // undefined there, which CallMetrics takes as its default (false).
    this.metrics = new CallMetrics(this.meter, this.summedHere);
    this.callTracker = undefined;
  }

  override setTracerProvider(
    tracerProvider: Parameters<InstrumentationBase['setTracerProvider']>[0],
  ): void {
    super.setTracerProvider(tracerProvider);
    this.callTracker = undefined;
  }

  /**
   * Patches SDK modules that were loaded without the module hooks (a bundler, a
   * test runner with its own loader): pass the modules as imported.
   *
   *   import * as openai from 'openai';
   *   instrumentation.instrumentModules({ openai });
   */
  instrumentModules(modules: {
    openai?: unknown;
    anthropic?: unknown;
    googleGenAI?: unknown;
    bedrock?: unknown;
    /** Vercel AI SDK provider packages (`@ai-sdk/openai`, `@ai-sdk/anthropic`, ...). */
    aiSdk?: unknown[];
  }): void {
    // Never throws: called at start-up, it must not stop the app.
    const { openai, anthropic, googleGenAI, bedrock } = modules ?? {};
    if (openai) this.patchModule(openaiModule, openai);
    if (anthropic) this.patchModule(anthropicModule, anthropic);
    if (googleGenAI) this.patchModule(googleGenAIModule, googleGenAI);
    if (bedrock) this.patchModule(bedrockModule, bedrock);
    const aiSdk: unknown = modules?.aiSdk;
    for (const p of Array.isArray(aiSdk) ? aiSdk : aiSdk ? [aiSdk] : []) {
      this.patchModule(AI_SDK, p);
    }
  }

  /**
   * The span processor that lets the spans of AI SDK calls nest under the AI
   * SDK's own (`@ai-sdk/otel`) model-call spans, so that each call is recorded
   * once. `@costlens/instrumentation/register` adds it; an app with its own
   * NodeSDK adds it to its `spanProcessors` beside its exporter's processor.
   */
  spanProcessor(): SpanProcessor {
    return this.aiSdkSpans;
  }

  /**
   * A metric producer for the app's metric reader, which then reports this
   * instrumentation's metrics in place of its SDK instruments:
   *
   *   new PeriodicExportingMetricReader({ exporter, metricProducers: [instrumentation.metricProducer()] })
   *
   * The histograms are then summed here, per series, and a call no longer pays
   * for three recordings through the SDK (each sorts and serialises the
   * attributes). Ask for it before the first call, and give it to a reader:
   * from then on metrics reach only the readers that have a producer. One per
   * reader; `@costlens/instrumentation/register` adds one to each of its readers.
   */
  metricProducer(options?: MetricProducerOptions): MetricProducer {
    if (this.metrics && !this.metrics.isSummedHere && this.metrics.sets.all.length > 0) {
      diag.warn(
        'costlens: metricProducer() was asked for after calls were recorded through the SDK ' +
          'instruments; those stay in the SDK and both may be reported: ask for it before the first call',
      );
    }
    this.summedHere = true;
    this.metrics?.sumHere();
    return new CostlensMetricProducer(
      () => this.metrics?.sets.all ?? [],
      { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      options,
    );
  }

  /**
   * Records a call made with any other client (a hand-written HTTP client,
   * Cloudflare Workers AI over REST, a media generator) with the same span,
   * metrics, pricing and error handling as the patched SDKs. Returns what `fn`
   * returns; its errors reach the caller unchanged.
   */
  track<T>(meta: TrackMeta<T>, fn: (call: TrackedCall) => T | Promise<T>): Promise<T> {
    return runTracked(this.tracker(), meta, fn);
  }

  private patchModule(provider: ProviderModule, exports: unknown): void {
    try {
      provider.patch(exports, this.kit);
    } catch (err) {
      diag.error(`costlens: could not patch ${provider.name}; its calls are not recorded`, err);
    }
  }

  private tracker(): CallTracker {
    if (!this.callTracker) {
      this.metrics ??= new CallMetrics(this.meter, this.summedHere);
      this.callTracker = new CallTracker(
        this.tracer,
        this.metrics,
        () => this.priceList(),
        this.resolved,
        this.patcher,
      );
    }
    return this.callTracker;
  }

  /** Loaded on the first call, not at start-up: an app that makes no AI call pays nothing. */
  private priceList(): Catalogue {
    this.catalogue ??= catalogueFor(this._config, this.resolved);
    return this.catalogue;
  }
}
