import { context, DiagLogLevel, diag, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { withAttributes } from '../src/attribution.js';
import { defaultOptions, type ResolvedConfig, resolveConfig } from '../src/config.js';
import { CostlensInstrumentation } from '../src/instrumentation.js';
import { Patcher } from '../src/patcher.js';
import { keepGenAiSpans, samplerFromEnv } from '../src/sampler.js';
import { redact } from '../src/util.js';
import { observeIterator, runCall } from '../src/wrap.js';
import { setupTelemetry, type Telemetry } from './harness.js';

let t: Telemetry;
beforeAll(() => {
  t = setupTelemetry();
});
afterEach(() => t.reset());
afterAll(() => t.shutdown());

// The lifecycle through a real tracker: the instrumentation's own, reached the way providers reach it.
const tracker = () =>
  (t.instrumentation as unknown as { tracker(): Parameters<typeof runCall>[0] }).tracker();
const request = () => ({
  provider: 'openai',
  operation: 'chat',
  callType: 'text' as const,
  model: 'gpt-4o-mini',
});

interface Chunk {
  i: number;
  usage: { input_tokens: number; output_tokens: number } | undefined;
}

async function* chunks(n: number, failAt?: number): AsyncGenerator<Chunk> {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new RangeError(`chunk ${i} broke`);
    yield { i, usage: i === n - 1 ? { input_tokens: 10, output_tokens: 2 } : undefined };
  }
}

function observed(n: number, failAt?: number, hide?: (c: { i: number }) => boolean) {
  return runCall(
    tracker(),
    request,
    () => Promise.resolve(chunks(n, failAt)),
    (call, gen) => {
      let usage: Chunk['usage'];
      const it = observeIterator<Chunk>(gen, call, {
        onChunk: (chunk) => {
          usage = chunk.usage ?? usage;
        },
        outcome: () => ({ usage }),
        hide,
      });
      (gen as { wrapped?: unknown }).wrapped = it;
    },
  ).then((gen) => (gen as unknown as { wrapped: AsyncIterableIterator<{ i: number }> }).wrapped);
}

describe("a stream's span ends exactly once", () => {
  it('when fully consumed, with the usage it reported', async () => {
    const seen: number[] = [];
    for await (const c of await observed(3)) seen.push(c.i);
    expect(seen).toEqual([0, 1, 2]);
    expect(t.spans()).toHaveLength(1);
    expect(t.spans()[0]!.attributes['gen_ai.usage.input_tokens']).toBe(10);
  });

  it('when the caller breaks off early', async () => {
    for await (const _ of await observed(3)) break;
    expect(t.spans()).toHaveLength(1);
    expect(t.spans()[0]!.status.code).toBe(0);
  });

  it('when it fails mid-way: the caller gets the error, the span is ERROR', async () => {
    const it = await observed(3, 1);
    await expect(async () => {
      for await (const _ of it);
    }).rejects.toThrow('chunk 1 broke');
    expect(t.spans()).toHaveLength(1);
    expect(t.spans()[0]!.attributes['error.type']).toBe('RangeError');
    // reading on after the end changes nothing
    await it.next();
    await it.return?.();
    expect(t.spans()).toHaveLength(1);
  });

  it('when the inner iterator throws rather than rejects: the caller gets a rejection, the span is ERROR', async () => {
    const broken: AsyncIterator<Chunk> = {
      next() {
        throw new TypeError('not readable');
      },
    };
    const it = await runCall(
      tracker(),
      request,
      () => Promise.resolve(broken),
      (call, inner) => {
        (inner as { wrapped?: unknown }).wrapped = observeIterator<Chunk>(inner, call, {
          onChunk: () => {},
          outcome: () => undefined,
        });
      },
    ).then((inner) => (inner as unknown as { wrapped: AsyncIterableIterator<Chunk> }).wrapped);
    await expect(it.next()).rejects.toThrow('not readable');
    expect(t.spans()).toHaveLength(1);
    expect(t.spans()[0]!.attributes['error.type']).toBe('TypeError');
  });

  it('hidden chunks are read but not passed on', async () => {
    const seen: number[] = [];
    for await (const c of await observed(3, undefined, (c) => c.i === 2)) seen.push(c.i);
    expect(seen).toEqual([0, 1]);
    expect(t.spans()[0]!.attributes['gen_ai.usage.output_tokens']).toBe(2);
  });
});

describe('telemetry never breaks the call', () => {
  it('a bug while reading a response is logged; the caller still gets the value', async () => {
    const value = await runCall(
      tracker(),
      request,
      () => Promise.resolve('ok'),
      () => {
        throw new Error('bug in an extractor');
      },
    );
    expect(value).toBe('ok');
    expect(t.spans()).toHaveLength(1);
  });

  it('a response that cannot be watched still reaches the caller', async () => {
    // A thenable whose then() throws the first time (as a broken SDK object might).
    let calls = 0;
    const odd = {
      // biome-ignore lint/suspicious/noThenProperty: a deliberately broken thenable
      then(resolve: (v: string) => void) {
        if (calls++ === 0) throw new Error('then() broke');
        resolve('ok');
      },
    };
    const value = runCall(
      tracker(),
      request,
      () => odd,
      (call) => call.end(),
    );
    expect(await value).toBe('ok');
    expect(t.spans()).toHaveLength(1);
  });

  it('a request that cannot even be described runs unobserved', () => {
    const value = runCall(
      tracker(),
      () => {
        throw new Error('bug in a describer');
      },
      () => 7,
      (call) => call.end(),
    );
    expect(value).toBe(7);
    expect(t.spans()).toHaveLength(0);
  });

  it('a synchronous throw from the SDK reaches the caller as is, and ends the span', () => {
    const err = new SyntaxError('sdk says no');
    expect(() =>
      runCall(
        tracker(),
        request,
        () => {
          throw err;
        },
        () => {},
      ),
    ).toThrow(err);
    expect(t.spans()[0]!.attributes['error.type']).toBe('SyntaxError');
  });

  it('the SDK call runs with our span active, so HTTP spans nest under it', async () => {
    let inner: string | undefined;
    await runCall(
      tracker(),
      request,
      async () => {
        inner = trace.getSpan(context.active())?.spanContext().spanId;
      },
      (call) => call.end(),
    );
    expect(inner).toBe(t.spans()[0]!.spanContext().spanId);
  });
});

/** What `fn` says through diag at the warn level. */
function warningsOf(fn: () => void): string[] {
  const warnings: string[] = [];
  const ignore = () => {};
  diag.setLogger(
    {
      error: ignore,
      warn: (m) => void warnings.push(m),
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    DiagLogLevel.WARN,
  );
  try {
    fn();
  } finally {
    diag.disable();
  }
  return warnings;
}

describe('keepGenAiSpans()', () => {
  const decide = (sampler: ReturnType<typeof keepGenAiSpans>, attributes: Record<string, string>) =>
    sampler.shouldSample(
      ROOT_CONTEXT,
      '0af7651916cd43dd8448eb211c80319c',
      'x',
      SpanKind.CLIENT,
      attributes,
      [],
    ).decision;

  it("keeps AI spans whatever the user's sampler says, and leaves the rest to it", () => {
    const s = keepGenAiSpans(new AlwaysOffSampler());
    expect(decide(s, { 'gen_ai.operation.name': 'chat' })).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(decide(s, { 'http.request.method': 'GET' })).toBe(SamplingDecision.NOT_RECORD);
    expect(String(s)).toBe('KeepGenAiSpans{AlwaysOffSampler}');
  });

  it('samplerFromEnv reads the standard variables', () => {
    expect(samplerFromEnv({})).toBeInstanceOf(ParentBasedSampler);
    expect(
      samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' }),
    ).toBeInstanceOf(TraceIdRatioBasedSampler);
  });

  it('samplerFromEnv takes the default for a value it does not know, and says so', () => {
    let sampler: ReturnType<typeof samplerFromEnv> | undefined;
    expect(
      warningsOf(() => (sampler = samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }))),
    ).toEqual([
      'costlens: OTEL_TRACES_SAMPLER is "sometimes", not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; using the default, parentbased_always_on',
    ]);
    expect(sampler).toBeInstanceOf(ParentBasedSampler);
    expect(
      warningsOf(
        () =>
          (sampler = samplerFromEnv({
            OTEL_TRACES_SAMPLER: 'traceidratio',
            OTEL_TRACES_SAMPLER_ARG: '2',
          })),
      ),
    ).toEqual([
      'costlens: OTEL_TRACES_SAMPLER_ARG is "2", not a number from 0 to 1; using the default, 1',
    ]);
    expect(String(sampler)).toBe('TraceIdRatioBased{1}');
  });
});

describe('configuration', () => {
  it('argument > environment > default', () => {
    const env = {
      COSTLENS_PROJECT: 'from-env',
      COSTLENS_USER: 'env-user',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      COSTLENS_STREAM_IDLE_MS: '30000',
      COSTLENS_VIDEO_WAIT_MS: '120000',
    };
    expect(resolveConfig({ project: 'from-arg', videoWaitMs: 5000 }, env)).toEqual({
      project: 'from-arg',
      user: 'env-user',
      account: undefined,
      captureMessageContent: true,
      maxContentChars: 1000,
      requestStreamUsage: true,
      pricesFile: undefined,
      streamIdleMs: 30_000,
      videoWaitMs: 5000,
    });
    expect(resolveConfig({}, {})).toMatchObject({ streamIdleMs: 600_000, videoWaitMs: 3_600_000 });
    // Waits are timers: none of 0 ms or less, none past what a Node.js timer can wait.
    const said: string[] = [];
    expect(
      resolveConfig({ streamIdleMs: 0, videoWaitMs: 1e12 }, {}, (m) => said.push(m)),
    ).toMatchObject({ streamIdleMs: 600_000, videoWaitMs: 2_147_483_647 });
    expect(said).toEqual([
      'costlens: streamIdleMs is "0", not a whole number of milliseconds above 0; using the default, 600000',
    ]);
    expect(resolveConfig({}, {}).captureMessageContent).toBe(false);
    // The one place of the defaults, read-only for JavaScript callers too.
    expect(Object.isFrozen(defaultOptions)).toBe(true);
  });

  it('a malformed variable is said once through diag, naming it, its value and the default used', () => {
    let resolved: ResolvedConfig | undefined;
    const warnings = warningsOf(() => {
      resolved = resolveConfig(
        {},
        {
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'yes please',
          COSTLENS_MAX_CONTENT_CHARS: '-3',
        },
      );
    });
    expect(resolved).toMatchObject({ captureMessageContent: false, maxContentChars: 1000 });
    expect(warnings).toEqual([
      'costlens: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is "yes please", not true or false; using the default, false',
      'costlens: COSTLENS_MAX_CONTENT_CHARS is "-3", not a whole number above 0; using the default, 1000',
    ]);
    // An argument wins: the variable is not read, so nothing is said of it.
    const overridden = () =>
      resolveConfig({ maxContentChars: 50 }, { COSTLENS_MAX_CONTENT_CHARS: 'abc' });
    expect(warningsOf(overridden)).toEqual([]);
  });

  it('the constructor does not throw for malformed variables: it goes on with the defaults', () => {
    vi.stubEnv('COSTLENS_MAX_CONTENT_CHARS', 'abc');
    vi.stubEnv('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', 'maybe');
    try {
      let made: CostlensInstrumentation | undefined;
      const warnings = warningsOf(() => {
        made = new CostlensInstrumentation({ enabled: false });
      });
      expect(warnings).toHaveLength(2);
      expect((made as unknown as { resolved: ResolvedConfig }).resolved).toMatchObject({
        captureMessageContent: false,
        maxContentChars: 1000,
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('instrumentModules never throws: what it does not know is logged and left alone', () => {
    const made = new CostlensInstrumentation({ enabled: false });
    expect(() => made.instrumentModules(undefined as never)).not.toThrow();
    expect(() =>
      made.instrumentModules({ openai: {}, anthropic: 1, googleGenAI: 'x' }),
    ).not.toThrow();
  });

  it('withAttributes refuses what is not an attribution', () => {
    expect(() => withAttributes(null as never, () => 1)).toThrow(TypeError);
    expect(() => withAttributes({ project: 'x' }, undefined as never)).toThrow(
      /fn must be the function to run/,
    );
  });
});

describe('Patcher', () => {
  // As @google/genai's compiled Models class does: assigned in the constructor, no class field.
  class Models {
    declare generate: (x: number) => number;
    constructor() {
      this.generate = (x: number) => x * 2;
    }
  }

  it('wraps methods that SDKs assign per instance, and unwraps them', () => {
    const patcher = new Patcher();
    patcher.instanceMethod(Models.prototype, 'generate', (raw) => (x: number) => raw(x) + 1);
    const m = new Models();
    expect(m.generate(2)).toBe(5);
    patcher.restore();
    expect(m.generate(2)).toBe(4);
    expect(new Models().generate(2)).toBe(4);
    patcher.instanceMethod(Models.prototype, 'generate', (raw) => (x: number) => raw(x) + 1);
    expect(m.generate(2)).toBe(5);
    patcher.restore();
    // another instrumentation installing its own wrapper is served its own
    const other = new Patcher();
    other.instanceMethod(Models.prototype, 'generate', (raw) => (x: number) => raw(x) + 100);
    expect(m.generate(2)).toBe(104);
    other.restore();
    expect(m.generate(2)).toBe(4);
  });

  it('wraps prototype methods once, whatever the number of loads', () => {
    class Client {
      create() {
        return 1;
      }
    }
    const patcher = new Patcher();
    patcher.method(
      Client.prototype,
      'create',
      (raw) =>
        function (this: unknown) {
          return raw.call(this) + 10;
        },
    );
    patcher.method(
      Client.prototype,
      'create',
      (raw) =>
        function (this: unknown) {
          return raw.call(this) + 100;
        },
    );
    expect(new Client().create()).toBe(11);
    patcher.restore();
    expect(new Client().create()).toBe(1);
  });

  it('puts back a method found on a parent class by removing the copy it set', () => {
    class Base {
      create() {
        return 1;
      }
    }
    class Client extends Base {}
    const patcher = new Patcher();
    patcher.method(
      Client.prototype,
      'create',
      (raw) =>
        function (this: unknown) {
          return raw.call(this) + 10;
        },
    );
    expect(new Client().create()).toBe(11);
    patcher.restore();
    expect(Object.hasOwn(Client.prototype, 'create')).toBe(false);
    expect(new Client().create()).toBe(1);
  });
});

describe('redact()', () => {
  it('masks keys and tokens in recorded text', () => {
    expect(redact('Incorrect API key provided: sk-proj-abcdefghijklmnop')).toBe(
      'Incorrect API key provided: sk-p…[redacted]',
    );
    expect(redact('header Bearer abcdefghijkl12345')).toBe('header Bear…[redacted]');
    expect(redact('key=AIzaSyA1234567890abcdefghijklmn')).toBe('key=AIza…[redacted]');
  });
});
