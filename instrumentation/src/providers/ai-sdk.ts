import type { Usage } from '@costlens/pricing';
import { type Context, context, diag } from '@opentelemetry/api';
import { Call, type CallRequest, type CallTracker } from '../call.js';
import type { PatchKit, ProviderModule } from '../internal-types.js';
import type { AnyFunction } from '../patcher.js';
import type { CallType, Operation } from '../semconv.js';
import type { CallOutcome } from '../types.js';
import { isObject, serverOf, streamTextLimit } from '../util.js';
import { runCall } from '../wrap.js';
import {
  embedOutcome,
  generateOutcome,
  imageOutcome,
  imageRequestUsage,
  languageUsage,
  newStreamState,
} from './ai-sdk-extract.js';
import { aiSdkTarget } from './ai-sdk-names.js';
import { AI_SDK_PACKAGES } from './ai-sdk-packages.js';
import type { AiSdkSpans } from './ai-sdk-spans.js';
import { observeModelStream } from './ai-sdk-stream.js';

/**
 * The Vercel AI SDK (`ai` 6 and 7; `ai` 5's v2 models are read the same way):
 * every model call its provider packages
 * make. `generateText`, `streamText`, `generateObject`, `streamObject`, `embed`,
 * `embedMany` and `generateImage` all end in a model object's `doGenerate`,
 * `doStream` or `doEmbed` (one per step of a multi-step call, one per retry
 * attempt), so wrapping those methods records each billed model call once,
 * whatever `ai` version drives it and whatever telemetry the app registered: the
 * span starts in the context active at the model call, so it is the child of an
 * `@ai-sdk/otel` span or of the app's own; where the AI SDK leaves its model-call
 * span inactive (generateObject, streamObject, embed, embedMany), the child of
 * that span still, found by the instrumentation's span processor (ai-sdk-spans.ts).
 *
 * The model classes are not exported; each provider package exports ready
 * provider instances (`openai`, `anthropic`, `google`, `bedrock`, `gateway`...),
 * and a model made from one (`openai.chat('...')`, no request sent) has the
 * class's prototype, shared by every model the app makes. A package that
 * exports no instance is probed through its `create...` factory.
 */

type Model = {
  provider?: unknown;
  modelId?: unknown;
  specificationVersion?: unknown;
  config?: unknown;
};
type Kind = 'language' | 'embedding' | 'image';

/** The patch kit, with the AI SDK's open spans when the instrumentation keeps them. */
export interface AiSdkPatchKit extends PatchKit {
  aiSdkSpans?: AiSdkSpans;
}

/** The model factories of a provider, by what they make. */
const FACTORIES: Record<Kind, string[]> = {
  language: ['languageModel', 'chat', 'responses', 'completion', 'messages'],
  embedding: ['embeddingModel', 'embedding', 'textEmbeddingModel', 'textEmbedding'],
  image: ['imageModel', 'image'],
};

/** Model specifications whose results are read here (AI SDK 5, 6, 7). */
const SPECIFICATIONS = new Set(['v2', 'v3', 'v4']);

const PROBE_MODEL = 'costlens-probe';

/** One module definition per provider package, all with the same patch. */
export const aiSdkModules: ProviderModule[] = AI_SDK_PACKAGES.map((name) => ({
  name,
  // Any version: what is patched is decided by the models' specification version.
  versions: ['*'],
  patch: patchAiSdkProvider,
}));

/** Patches the model classes reachable from one provider package's exports. */
export function patchAiSdkProvider(moduleExports: unknown, kit: AiSdkPatchKit): void {
  const unknown = new Set<string>();
  for (const provider of providersIn(moduleExports)) {
    for (const kind of Object.keys(FACTORIES) as Kind[]) {
      for (const factory of FACTORIES[kind]) {
        const proto = probe(provider, factory, unknown);
        if (proto) patchModelClass(proto, kind, kit);
      }
    }
  }
  for (const what of unknown) {
    diag.warn(`costlens: AI SDK models of ${what} are not known; their calls are not recorded`);
  }
}

function isProvider(v: unknown): v is Record<string, unknown> {
  return (
    (typeof v === 'function' || isObject(v)) &&
    typeof (v as { languageModel?: unknown }).languageModel === 'function'
  );
}

/** The provider instances a package exports; else one made by each of its factories. */
function providersIn(moduleExports: unknown): Record<string, unknown>[] {
  if (!isObject(moduleExports) && typeof moduleExports !== 'function') return [];
  const exports = moduleExports as Record<string, unknown>;
  const values = Object.keys(exports).map((k) => exports[k]);
  const found = values.filter(isProvider);
  if (found.length > 0) return found;
  for (const [name, factory] of Object.entries(exports)) {
    if (!/^create[A-Z]/.test(name) || typeof factory !== 'function') continue;
    try {
      const made = (factory as AnyFunction)({ name: PROBE_MODEL, baseURL: 'http://localhost' });
      if (isProvider(made)) found.push(made);
    } catch {
      // a factory that needs more than that: its package is not a model provider we know
    }
  }
  return found;
}

/** The prototype of a model `provider[factory]` makes, if it is one we can read. */
function probe(
  provider: Record<string, unknown>,
  factory: string,
  unknown: Set<string>,
): object | undefined {
  const make = provider[factory];
  if (typeof make !== 'function') return undefined;
  let model: Model;
  try {
    model = (make as AnyFunction).call(provider, PROBE_MODEL) as Model;
  } catch {
    return undefined;
  }
  if (!isObject(model)) return undefined;
  if (!SPECIFICATIONS.has(String(model.specificationVersion))) {
    unknown.add(`specification ${String(model.specificationVersion)} (${String(model.provider)})`);
    return undefined;
  }
  const proto = Object.getPrototypeOf(model) as object | null;
  return proto && proto !== Object.prototype ? proto : undefined;
}

function patchModelClass(proto: object, kind: Kind, kit: AiSdkPatchKit): void {
  const { patcher } = kit;
  if (kind === 'language') {
    patcher.method(proto, 'doGenerate', wrapResult(kit, 'language'));
    patcher.method(proto, 'doStream', wrapStream(kit));
  } else if (kind === 'embedding') {
    patcher.method(proto, 'doEmbed', wrapResult(kit, 'embedding'));
  } else {
    patcher.method(proto, 'doGenerate', wrapResult(kit, 'image'));
  }
}

/**
 * `server.address` / `server.port` from the model's configured base URL: a
 * string (`baseURL`) or a function (Bedrock's `baseUrl()`, the OpenAI
 * provider's `url({ path, modelId })`), as each provider package keeps it.
 */
function serverOfModel(model: Model): ReturnType<typeof serverOf> {
  const config = isObject(model.config) ? model.config : undefined;
  if (!config) return {};
  if (typeof config.baseURL === 'string') return serverOf(config.baseURL);
  try {
    if (typeof config.baseUrl === 'function') return serverOf((config.baseUrl as AnyFunction)());
    if (typeof config.url === 'function') {
      return serverOf((config.url as AnyFunction)({ path: '', modelId: model.modelId }));
    }
  } catch {
    // a base URL that needs a setting the app has not given yet: the request will say so
  }
  return {};
}

/** The key a provider's options and metadata are filed under: `openai` of `openai.image`. */
const optionsKey = (model: Model) =>
  typeof model.provider === 'string' ? model.provider.split('.')[0] : undefined;

const SHAPES: Record<Kind, { callType: CallType; operation?: Operation }> = {
  language: { callType: 'text' },
  embedding: { callType: 'embedding', operation: 'embeddings' },
  image: { callType: 'image', operation: 'image_generation' },
};

function requestOf(
  model: Model,
  kind: Kind,
  options: unknown,
  tracker: CallTracker,
  stream?: boolean,
): CallRequest {
  const target = aiSdkTarget(model.provider, model.modelId);
  const o = isObject(options) ? options : {};
  const request: CallRequest = {
    provider: target.provider,
    operation: SHAPES[kind].operation ?? target.languageOperation,
    callType: SHAPES[kind].callType,
    model: target.model,
    ...serverOfModel(model),
  };
  if (stream !== undefined) request.stream = stream;
  if (kind === 'image') {
    request.usage = imageRequestUsage(o, optionsKey(model), target.model);
    if (typeof o.aspectRatio === 'string') request.aspectRatio = o.aspectRatio;
  }
  if (tracker.config.captureMessageContent) {
    request.prompt = kind === 'embedding' ? o.values : o.prompt;
  }
  return request;
}

function outcomeOf(
  kind: Kind,
  model: Model,
  value: unknown,
  tracker: CallTracker,
  innerUsage?: Usage,
): CallOutcome {
  if (kind === 'embedding') return embedOutcome(value);
  if (kind === 'image') return imageOutcome(value, optionsKey(model), innerUsage);
  return generateOutcome(value, tracker.config.captureMessageContent);
}

/**
 * Image calls whose model makes its images through a language model of its own
 * (Gemini's image models call `GoogleLanguageModel.doGenerate`): that inner
 * call's usage, which keeps text, thinking and image tokens apart.
 */
const imageCalls = new WeakMap<Call, { usage?: Usage }>();

/**
 * A model call inside one costlens records already: a model that delegates to
 * another patched model, or an AI SDK call the app wrapped in `track()`. The
 * outer call is the record; this one runs unobserved (an image model's inner
 * language call only hands its usage to the image call).
 */
function nested(original: AnyFunction, self: Model, args: unknown[]): unknown {
  const outer = Call.active();
  if (!outer) return undefined;
  const image = imageCalls.get(outer);
  const result = original.apply(self, args);
  if (image) {
    Promise.resolve(result).then(
      (value) => {
        image.usage = languageUsage(isObject(value) ? value.usage : undefined);
      },
      () => {},
    );
  }
  return result;
}

/**
 * Runs `start` (which starts the call's span) as the child of the AI SDK's open
 * model-call span of this call when the AI SDK did not make it the active one.
 */
function inAiSdkSpan<T>(kit: AiSdkPatchKit, model: Model, kind: Kind, start: () => T): T {
  let parent: Context | undefined;
  if (kind !== 'image' && kit.aiSdkSpans) {
    try {
      parent = kit.aiSdkSpans.parentFor(model.modelId, kind);
    } catch (err) {
      diag.error(
        'costlens: could not find the AI SDK span of a call; it is recorded beside it',
        err,
      );
    }
  }
  return parent ? context.with(parent, start) : start();
}

/** `doGenerate` (language or image) and `doEmbed`: one call, ended when the result arrives. */
function wrapResult(kit: AiSdkPatchKit, kind: Kind) {
  return (original: AnyFunction): AnyFunction =>
    function observedModelCall(this: Model, ...args: unknown[]) {
      const tracker = kit.tracker();
      if (!tracker) return original.apply(this, args);
      if (Call.active()) return nested(original, this, args);
      return inAiSdkSpan(kit, this, kind, () =>
        runCall(
          tracker,
          () => requestOf(this, kind, args[0], tracker),
          () => {
            // Runs in the new call's context: the call is the active one.
            const call = kind === 'image' ? Call.active() : undefined;
            if (call) imageCalls.set(call, {});
            return original.apply(this, args);
          },
          (call, value) => {
            const inner = kind === 'image' ? imageCalls.get(call)?.usage : undefined;
            call.update(outcomeOf(kind, this, value, tracker, inner));
            call.end();
          },
        ),
      );
    };
}

/**
 * `doStream`: the call starts with the request and ends with the stream, which
 * is handed to the AI SDK observed (a new result object with the same fields).
 */
function wrapStream(kit: AiSdkPatchKit) {
  return (original: AnyFunction): AnyFunction =>
    function observedDoStream(this: Model, ...args: unknown[]) {
      const tracker = kit.tracker();
      if (!tracker) return original.apply(this, args);
      if (Call.active()) return nested(original, this, args);
      let call: Call;
      try {
        const request = requestOf(this, 'language', args[0], tracker, true);
        call = inAiSdkSpan(kit, this, 'language', () => tracker.start(request));
      } catch (err) {
        diag.error('costlens: could not start a call; running it unobserved', err);
        return original.apply(this, args);
      }
      let pending: unknown;
      try {
        pending = context.with(call.context, () => original.apply(this, args));
      } catch (err) {
        call.fail(err);
        throw err;
      }
      return Promise.resolve(pending).then(
        (result: unknown) => observeResult(result, call, tracker, abortSignalOf(args[0])),
        (err: unknown) => {
          call.fail(err);
          throw err;
        },
      );
    };
}

const abortSignalOf = (options: unknown): AbortSignal | undefined => {
  const signal = isObject(options) ? options.abortSignal : undefined;
  return signal instanceof AbortSignal ? signal : undefined;
};

function observeResult(
  result: unknown,
  call: Call,
  tracker: CallTracker,
  signal: AbortSignal | undefined,
): unknown {
  try {
    const stream = isObject(result) ? result.stream : undefined;
    if (typeof (stream as ReadableStream | undefined)?.getReader !== 'function') {
      diag.warn('costlens: an AI SDK model streamed in a way costlens does not know; no usage');
      call.end();
      return result;
    }
    const state = newStreamState(streamTextLimit(tracker.config));
    return {
      ...(result as object),
      stream: observeModelStream(stream as ReadableStream, call, state, signal),
    };
  } catch (err) {
    diag.error('costlens: could not watch a model stream; the call is recorded without it', err);
    call.end();
    return result;
  }
}
