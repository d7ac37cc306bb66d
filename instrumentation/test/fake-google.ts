import type { ServerResponse } from 'node:http';
import * as googleGenAI from '@google/genai';
import { expect } from 'vitest';
import {
  type FakeServer,
  type Handler,
  sendJson,
  sendSse,
  setupTelemetry,
  startServer,
  type Telemetry,
} from './harness.js';

/**
 * A local server that answers as the Gemini API (`/v1beta/models/{model}:method`)
 * and Vertex AI (`/v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}:method`)
 * do: JSON bodies, SSE streams (`?alt=sse`), Google error bodies, Imagen `predict`,
 * Veo `predictLongRunning` and `fetchPredictOperation`. Payload shapes follow the
 * API references; `script` overrides the answer to the next requests.
 */
export interface FakeGoogle extends FakeServer {
  /** Answers the next requests with these handlers, in order, instead of the defaults. */
  script(...handlers: Handler[]): void;
  /** Polls of a Veo operation answered "not done" before it completes. */
  pendingPolls: number;
  /** How the next Veo operations end; `filtered` of the videos asked for are withheld by the safety filters. */
  veo: { outcome: 'succeeded' | 'failed' | 'cancelled'; filtered: number };
}

export const GEMINI_TEXT = {
  candidates: [
    {
      content: {
        parts: [{ text: 'The sky is blue because air scatters short wavelengths more.' }],
        role: 'model',
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: {
    promptTokenCount: 1200,
    candidatesTokenCount: 150,
    totalTokenCount: 1550,
    cachedContentTokenCount: 1000,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 1200 }],
    cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 1000 }],
    thoughtsTokenCount: 200,
  },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'mAitaLmkHPPlz7IPvtfUqQ4',
};

/** A Vertex AI answer: the same body plus createTime and trafficType. */
export const VERTEX_TEXT = {
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'Hello from Vertex.' }] },
      finishReason: 'STOP',
      avgLogprobs: -0.21,
    },
  ],
  usageMetadata: {
    promptTokenCount: 1000,
    candidatesTokenCount: 500,
    totalTokenCount: 1500,
    trafficType: 'ON_DEMAND',
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 1000 }],
    candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 500 }],
  },
  modelVersion: 'gemini-2.5-flash',
  createTime: '2025-08-25T10:12:04.418352Z',
  responseId: 'FDesaPm2GaXh2PgPoLHrqAs',
};

export const STREAM_ID = 'nVitaOLKBZzD1dkP0aLY2AE';

/** A streamed answer: usage on every chunk, complete on the last. */
export function geminiChunks(model = 'gemini-2.5-flash'): unknown[] {
  const base = { modelVersion: model, responseId: STREAM_ID };
  const partial = { promptTokenCount: 8, totalTokenCount: 8 };
  return [
    {
      candidates: [{ content: { parts: [{ text: 'The' }], role: 'model' }, index: 0 }],
      usageMetadata: partial,
      ...base,
    },
    {
      candidates: [{ content: { parts: [{ text: ' sky is' }], role: 'model' }, index: 0 }],
      usageMetadata: partial,
      ...base,
    },
    {
      candidates: [
        {
          content: { parts: [{ text: ' blue.' }], role: 'model' },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 8,
        candidatesTokenCount: 120,
        totalTokenCount: 151,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }],
        thoughtsTokenCount: 23,
      },
      ...base,
    },
  ];
}

/** A 1x1 PNG, as the image models send it (base64 inline data). */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** A Gemini image model's answer: its thinking, a text part and the image. */
export function geminiImage(model: string, imageTokens: number): unknown {
  return {
    candidates: [
      {
        content: {
          parts: [
            { text: 'Rendering a quick sketch.', thought: true },
            { inlineData: { mimeType: 'image/png', data: PNG }, thought: true },
            { text: 'Here is your lighthouse at dusk.' },
            { inlineData: { mimeType: 'image/png', data: PNG } },
          ],
          role: 'model',
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: 12,
      candidatesTokenCount: imageTokens + 20,
      totalTokenCount: 12 + imageTokens + 20 + 180,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12 }],
      candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: imageTokens }],
      thoughtsTokenCount: 180,
    },
    modelVersion: model,
    responseId: 'Zq2taP2uO6Wz1dkPr_2nmAM',
  };
}

/** Gemini API `batchEmbedContents`: vectors and nothing else. */
export function geminiEmbeddings(count: number): unknown {
  return { embeddings: Array.from({ length: count }, (_, i) => ({ values: [0.01 * i, -0.02] })) };
}

/** Vertex AI `predict` for a text embedding model: token counts per instance. */
export const VERTEX_EMBEDDINGS = {
  predictions: [
    { embeddings: { statistics: { truncated: false, token_count: 6 }, values: [0.012, -0.04] } },
    { embeddings: { statistics: { truncated: false, token_count: 8 }, values: [0.031, 0.007] } },
  ],
  metadata: { billableCharacterCount: 50 },
};

/** Imagen `predict`: one prediction per image. */
export function imagenPredictions(count: number): unknown {
  return {
    predictions: Array.from({ length: count }, () => ({
      bytesBase64Encoded: PNG,
      mimeType: 'image/png',
    })),
  };
}

export const VEO_OPERATION =
  'projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/5b1e9f0c-7d8a-4c1e-9a3b-2f6d0e8c4a71';

export const VEO_DONE = {
  name: VEO_OPERATION,
  done: true,
  response: {
    '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse',
    raiMediaFilteredCount: 0,
    videos: [{ gcsUri: 'gs://demo-bucket/veo/sample_0.mp4', mimeType: 'video/mp4' }],
  },
};

/** How a Veo operation that did not succeed ends (`google.rpc.Status`; 1 is CANCELLED). */
export const VEO_ERRORS = {
  failed: { code: 3, message: 'Veo could not generate the video: the output was blocked.' },
  cancelled: { code: 1, message: 'Operation was cancelled.' },
};

interface VeoJob {
  polls: number;
  samples: number;
  outcome: FakeGoogle['veo']['outcome'];
  filtered: number;
}

/** A done Veo operation, as Vertex AI's fetchPredictOperation answers it. */
function veoDone(name: string, job: VeoJob): unknown {
  if (job.outcome !== 'succeeded') return { name, done: true, error: VEO_ERRORS[job.outcome] };
  const delivered = Math.max(job.samples - job.filtered, 0);
  const videos = Array.from({ length: delivered }, (_, i) => ({
    gcsUri: `gs://demo-bucket/veo/sample_${i}.mp4`,
    mimeType: 'video/mp4',
  }));
  return {
    ...VEO_DONE,
    name,
    response: { ...VEO_DONE.response, raiMediaFilteredCount: job.filtered, videos },
  };
}

/** A Google API error body (`google.rpc.Status`). */
export function sendError(res: ServerResponse, code: number, status: string, message: string) {
  sendJson(res, code, { error: { code, message, status } });
}

const ROUTE = /\/(?:[^/]+\/)*models\/([^/:]+):(\w+)/;

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const scripted: Handler[] = [];
  const settings = { pendingPolls: 0 };
  const veo: FakeGoogle['veo'] = { outcome: 'succeeded', filtered: 0 };
  // Each submission is its own operation: the first keeps VEO_OPERATION's name.
  const jobs = new Map<string, VeoJob>();
  const poll = (res: ServerResponse, name: string) => {
    const job = jobs.get(name);
    if (!job) return sendError(res, 404, 'NOT_FOUND', `no operation ${name}`);
    if (job.polls++ < settings.pendingPolls) return sendJson(res, 200, { name });
    return sendJson(res, 200, veoDone(name, job));
  };
  const server = await startServer(async (req, res) => {
    const next = scripted.shift();
    if (next) return next(req, res);
    const [, model = '', method = ''] = ROUTE.exec(req.url ?? '') ?? [];
    switch (method) {
      case 'generateContent':
        if (model.includes('image')) {
          const body = req.json() as {
            generationConfig?: { imageConfig?: { imageSize?: string } };
          };
          const size = body.generationConfig?.imageConfig?.imageSize;
          return sendJson(res, 200, geminiImage(model, size === '4K' ? 2000 : 1120));
        }
        return sendJson(res, 200, req.url?.includes('/projects/') ? VERTEX_TEXT : GEMINI_TEXT);
      case 'streamGenerateContent':
        return sendSse(
          res,
          geminiChunks(model).map((data) => ({ data })),
        );
      case 'batchEmbedContents': {
        const body = req.json() as { requests?: unknown[] };
        return sendJson(res, 200, geminiEmbeddings(body.requests?.length ?? 1));
      }
      case 'predict': {
        if (!model.startsWith('imagen')) return sendJson(res, 200, VERTEX_EMBEDDINGS);
        const body = req.json() as { parameters?: { sampleCount?: number } };
        return sendJson(res, 200, imagenPredictions(body.parameters?.sampleCount ?? 1));
      }
      case 'predictLongRunning': {
        const base = VEO_OPERATION.split('/models/')[0];
        const id = jobs.size === 0 ? VEO_OPERATION.split('/operations/')[1] : `op-${jobs.size}`;
        const name = `${base}/models/${model}/operations/${id}`;
        const body = req.json() as { parameters?: { sampleCount?: number } };
        const samples = body.parameters?.sampleCount ?? 1;
        jobs.set(name, { polls: 0, samples, outcome: veo.outcome, filtered: veo.filtered });
        return sendJson(res, 200, { name });
      }
      case 'fetchPredictOperation':
        return poll(res, String((req.json() as { operationName?: string }).operationName));
      default:
        return sendError(res, 404, 'NOT_FOUND', `no route for ${req.method} ${req.url}`);
    }
  });
  return {
    ...server,
    script: (...handlers: Handler[]) => {
      scripted.push(...handlers);
    },
    veo,
    get pendingPolls() {
      return settings.pendingPolls;
    },
    set pendingPolls(n: number) {
      settings.pendingPolls = n;
    },
  };
}

export type GenAI = InstanceType<typeof googleGenAI.GoogleGenAI>;

/** Vertex AI without Google sign-in: an auth client that hands out a fixed token. */
const fakeAuthClient = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer ya29.fake-test-token' }),
};

/** The fake server, telemetry with the SDK patched, and real Gemini API and Vertex AI clients. */
export async function googleTestbed(): Promise<{
  server: FakeGoogle;
  t: Telemetry;
  gemini: GenAI;
  vertex: GenAI;
}> {
  const server = await startFakeGoogle();
  const t = setupTelemetry({}, { googleGenAI });
  const { GoogleGenAI } = googleGenAI;
  const gemini = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: server.url } });
  const vertex = new GoogleGenAI({
    vertexai: true,
    project: 'p',
    location: 'us-central1',
    googleAuthOptions: { authClient: fakeAuthClient as never },
    httpOptions: { baseUrl: server.url },
  });
  return { server, t, gemini, vertex };
}

export function resetGoogleTestbed(bed: { server: FakeGoogle; t: Telemetry }): void {
  bed.t.reset();
  bed.server.requests.length = 0;
  bed.server.pendingPolls = 0;
  bed.server.veo.outcome = 'succeeded';
  bed.server.veo.filtered = 0;
}

/** The cost attributes of a priced call. */
export const priced = (usd: number) => ({
  'costlens.cost.usd': expect.closeTo(usd, 12),
  'gen_ai.usage.cost': expect.closeTo(usd, 12),
  'costlens.cost.breakdown': expect.any(String),
  'costlens.pricing.source': expect.stringMatching(/^\d{4}\.\d{2}\.\d{2}-/),
});

export const breakdown = (attrs: Record<string, unknown>) =>
  JSON.parse(String(attrs['costlens.cost.breakdown'])) as Record<string, number>;
