import { setTimeout as sleep } from 'node:timers/promises';
import { usdToPusd } from '@costlens/pricing';
import * as googleGenAI from '@google/genai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI, * as openaiModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostlensInstrumentation } from '../instrumentation/src/instrumentation.js';
import { type FakeGoogle, startFakeGoogle } from '../instrumentation/test/fake-google.js';
import { type FakeOpenAI, startFakeOpenAI } from '../instrumentation/test/fake-openai.js';
import { type RunningCollector, startCollector } from './collector-harness.js';

// Video jobs from the real SDKs (@google/genai's Veo, openai's Sora) against the
// local provider servers, exported over OTLP to a real collector: a job is one
// record, billed for what it delivered, failed at $0 when it failed after its
// submission, and a job never polled is a record that says so.

let collector: RunningCollector;
let google: FakeGoogle;
let openaiServer: FakeOpenAI;
let provider: TracerProvider;
let instrumentation: CostlensInstrumentation;
let vertex: InstanceType<typeof googleGenAI.GoogleGenAI>;
let openai: OpenAI;

beforeAll(async () => {
  [collector, google, openaiServer] = await Promise.all([
    startCollector(),
    startFakeGoogle(),
    startFakeOpenAI(),
  ]);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'video-app' }),
    spanProcessors: [
      new SimpleSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }),
      }),
    ],
  });
  // Jobs not seen to end within 300 ms are recorded as submitted.
  instrumentation = new CostlensInstrumentation({ enabled: false, videoWaitMs: 300 });
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  instrumentation.instrumentModules({ googleGenAI, openai: openaiModule });
  vertex = new googleGenAI.GoogleGenAI({
    vertexai: true,
    project: 'p',
    location: 'us-central1',
    googleAuthOptions: {
      authClient: {
        getRequestHeaders: async () => new Headers({ authorization: 'Bearer ya29.fake' }),
      } as never,
    },
    httpOptions: { baseUrl: google.url },
  });
  openai = new OpenAI({ apiKey: 'sk-test-0123456789', baseURL: openaiServer.baseURL });
});

afterAll(async () => {
  instrumentation?.disable();
  await provider?.shutdown();
  await Promise.all([collector?.close(), google?.close(), openaiServer?.close()]);
});

interface Row {
  status: string;
  error_type: string | null;
  video_seconds: number | null;
  cost_pusd: number | null;
  state: string | undefined;
}

/** The collector's records of job `id`, once `n` of them are stored. */
async function recordsOf(id: string, n: number): Promise<Row[]> {
  let rows: Row[] = [];
  for (let i = 0; i < 100; i++) {
    await provider.forceFlush();
    rows = (
      collector.parts.store.db
        .prepare(
          `SELECT status, error_type, video_seconds, cost_pusd, attributes FROM call_records
           WHERE call_type = 'video' ORDER BY started_at, finished_at`,
        )
        .all() as (Omit<Row, 'state'> & { attributes: string | null })[]
    )
      .map(({ attributes, ...r }) => ({ ...r, attrs: JSON.parse(attributes ?? '{}') }))
      .filter((r) => r.attrs['gen_ai.response.id'] === id)
      .map(({ attrs, ...r }) => ({ ...r, state: attrs['costlens.video.state'] }));
    if (rows.length >= n) break;
    await sleep(25);
  }
  return rows;
}

const veo = () =>
  vertex.models.generateVideos({
    model: 'veo-3.1-generate-001',
    source: { prompt: 'A lighthouse in a storm' },
    config: { durationSeconds: 8, resolution: '1080p', generateAudio: false },
  });

async function pollVeo(op: Awaited<ReturnType<typeof veo>>) {
  for (let i = 0; i < 10 && !op.done; i++) {
    op = await vertex.operations.getVideosOperation({ operation: op });
  }
  return op;
}

async function pollSora(id: string) {
  let video = await openai.videos.retrieve(id);
  for (let i = 0; i < 10 && video.status !== 'completed' && video.status !== 'failed'; i++) {
    video = await openai.videos.retrieve(id);
  }
  return video;
}

describe('Veo', () => {
  it('a job that succeeds is one record, billed for the 8 s delivered ($1.60)', async () => {
    google.pendingPolls = 2;
    const op = await pollVeo(await veo());
    expect(op.done).toBe(true);
    expect(await recordsOf(op.name!, 1)).toEqual([
      {
        status: 'success',
        error_type: null,
        video_seconds: 8,
        cost_pusd: usdToPusd(1.6),
        state: 'succeeded',
      },
    ]);
  });

  for (const outcome of ['failed', 'cancelled'] as const) {
    it(`a job ${outcome} after submission is one record, failed, at $0`, async () => {
      google.veo.outcome = outcome;
      try {
        const op = await pollVeo(await veo());
        expect(op.error).toBeDefined();
        expect(await recordsOf(op.name!, 1)).toEqual([
          {
            status: 'error',
            error_type: 'VideoJobError',
            video_seconds: 0,
            cost_pusd: 0,
            state: outcome,
          },
        ]);
      } finally {
        google.veo.outcome = 'succeeded';
      }
    });
  }

  it('a job never polled is one record that says submitted, with no seconds delivered and nothing billed', async () => {
    const op = await veo();
    const rows = await recordsOf(op.name!, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'success', video_seconds: null, state: 'submitted' });
    // Unpriced, not $0: nothing was seen to be delivered, and nothing is guessed.
    expect(rows[0]!.cost_pusd).toBeNull();
    // Polled after all: its end is a second record, and the only one with the cost.
    await pollVeo(op);
    const both = await recordsOf(op.name!, 2);
    expect(both.map((r) => r.state)).toEqual(['submitted', 'succeeded']);
    expect(both.reduce((sum, r) => sum + (r.cost_pusd ?? 0), 0)).toBe(usdToPusd(1.6));
  });
});

describe('Sora', () => {
  it('a job that completes is one record, billed for its 8 s ($0.80)', async () => {
    openaiServer.videos.pendingPolls = 1;
    const job = await openai.videos.create({ model: 'sora-2', prompt: 'a wave', seconds: '8' });
    expect((await pollSora(job.id)).status).toBe('completed');
    expect(await recordsOf(job.id, 1)).toEqual([
      {
        status: 'success',
        error_type: null,
        video_seconds: 8,
        cost_pusd: usdToPusd(0.8),
        state: 'succeeded',
      },
    ]);
  });

  it('a job that fails after submission is one record, failed, at $0', async () => {
    openaiServer.videos.outcome = 'failed';
    try {
      const job = await openai.videos.create({ model: 'sora-2', prompt: 'a wave', seconds: '8' });
      expect((await pollSora(job.id)).status).toBe('failed');
      expect(await recordsOf(job.id, 1)).toEqual([
        {
          status: 'error',
          error_type: 'VideoJobError',
          video_seconds: 0,
          cost_pusd: 0,
          state: 'failed',
        },
      ]);
    } finally {
      openaiServer.videos.outcome = 'completed';
    }
  });

  it('a job never polled is one record that says submitted', async () => {
    const job = await openai.videos.create({ model: 'sora-2', prompt: 'a wave', seconds: '8' });
    const rows = await recordsOf(job.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'success', video_seconds: null, state: 'submitted' });
    expect(rows[0]!.cost_pusd).toBeNull();
  });
});
