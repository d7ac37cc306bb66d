import { pusdToUsd, usdToPusd } from '@costlens/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakdown, priced, VEO_ERRORS, VEO_OPERATION } from './fake-google.js';
import { at, useGoogle } from './google-testbed.js';
import { onlySpan, waitForSpans } from './harness.js';

// Image and video generation through the real @google/genai SDK: Gemini image
// models by resolution, Imagen, and Veo's long-running operations.

const bed = useGoogle();

describe('images', () => {
  const imageCall = (imageSize: string, media: number, aspectRatio: string) => ({
    'gen_ai.operation.name': 'image_generation',
    'gen_ai.provider.name': 'gcp.gemini',
    'gen_ai.request.model': 'gemini-3-pro-image-preview',
    ...at(bed),
    'gen_ai.response.model': 'gemini-3-pro-image-preview',
    'gen_ai.response.id': 'Zq2taP2uO6Wz1dkPr_2nmAM',
    'gen_ai.response.finish_reasons': ['STOP'],
    'gen_ai.usage.input_tokens': 12,
    // 20 text tokens and 180 thinking tokens; the image's tokens are the image's price.
    'gen_ai.usage.output_tokens': 200,
    'gen_ai.usage.reasoning.output_tokens': 180,
    'costlens.image.count': 1,
    'costlens.image.resolution': imageSize,
    'costlens.aspect_ratio': aspectRatio,
    // The image at its resolution's price, 12 input tokens at $2/M, 200 output at $12/M
    // (2,000,000 and 12,000,000 pUSD a token).
    ...priced(pusdToUsd(usdToPusd(media) + 12 * 2_000_000 + 200 * 12_000_000)),
  });

  for (const [size, media] of [
    ['4K', 0.24],
    ['2K', 0.1344],
  ] as const) {
    it(`Gemini 3 Pro Image at ${size}: one image at the catalogue's ${size} price ($${media})`, async () => {
      const out = await bed.gemini.models.generateContent({
        model: 'gemini-3-pro-image-preview',
        contents: 'A lighthouse at dusk',
        config: { imageConfig: { imageSize: size, aspectRatio: '16:9' } },
      });
      expect(out.data).toBeTruthy();
      const span = onlySpan(bed.t);
      expect(span.name).toBe('image_generation gemini-3-pro-image-preview');
      expect(span.attributes).toEqual(imageCall(size, media, '16:9'));
      expect(breakdown(span.attributes).media).toBe(media);
    });
  }

  it('Imagen generateImages on Vertex AI: two images at the per-image price', async () => {
    const out = await bed.vertex.models.generateImages({
      model: 'imagen-4.0-generate-001',
      prompt: 'Robot holding a red skateboard',
      config: { numberOfImages: 2, aspectRatio: '1:1' },
    });
    expect(out.generatedImages).toHaveLength(2);
    const req = bed.server.requests.at(-1)!;
    expect(req.path).toMatch(/\/models\/imagen-4\.0-generate-001:predict$/);
    expect(JSON.parse(req.body)).toMatchObject({ parameters: { sampleCount: 2 } });
    expect(onlySpan(bed.t).attributes).toEqual({
      'gen_ai.operation.name': 'image_generation',
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'gen_ai.request.model': 'imagen-4.0-generate-001',
      ...at(bed),
      'costlens.image.count': 2,
      'costlens.aspect_ratio': '1:1',
      // Imagen 4: $0.04 per image.
      ...priced(0.08),
    });
  });
});

describe('videos: Veo jobs, recorded when a poll of the app sees them end', () => {
  const veoCall = (audio: boolean) => ({
    'gen_ai.operation.name': 'video_generation',
    'gen_ai.provider.name': 'gcp.vertex_ai',
    'gen_ai.request.model': 'veo-3.1-generate-001',
    ...at(bed),
    'gen_ai.response.id': VEO_OPERATION,
    'costlens.video.resolution': '1080p',
    'costlens.video.audio': audio,
    'costlens.aspect_ratio': '16:9',
  });
  const submit = (config: Record<string, unknown>) =>
    bed.vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      source: { prompt: 'A neon hologram of a cat driving at top speed' },
      config: { durationSeconds: 8, resolution: '1080p', aspectRatio: '16:9', ...config },
    });
  type Operation = Awaited<ReturnType<typeof submit>>;
  const pollUntilDone = async (op: Operation) => {
    let polls = 0;
    while (!op.done && polls++ < 10)
      op = await bed.vertex.operations.getVideosOperation({ operation: op });
    return op;
  };

  it('succeeds: one record, billed for the 8 s delivered without audio ($1.60), when the poll sees it done', async () => {
    bed.server.pendingPolls = 1;
    const op = await submit({ generateAudio: false });
    expect(op.name).toBe(VEO_OPERATION);
    // Submitted, not yet delivered: nothing is recorded or billed yet.
    expect(bed.t.spans()).toHaveLength(0);
    const done = await pollUntilDone(op);
    expect(done.response?.generatedVideos?.[0]?.video?.uri).toBe(
      'gs://demo-bucket/veo/sample_0.mp4',
    );
    const polls = bed.server.requests.filter((r) => r.path.endsWith(':fetchPredictOperation'));
    expect(polls).toHaveLength(2);
    expect(JSON.parse(polls[0]!.body)).toEqual({ operationName: VEO_OPERATION });
    const span = onlySpan(bed.t);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      ...veoCall(false),
      'costlens.video.seconds': 8,
      'costlens.video.state': 'succeeded',
      ...priced(1.6),
    });
  });

  it('two videos asked, one held back by the filters: billed for the one delivered, with audio ($3.20)', async () => {
    bed.server.veo.filtered = 1;
    const done = await pollUntilDone(await submit({ generateAudio: true, numberOfVideos: 2 }));
    expect(done.response?.generatedVideos).toHaveLength(1);
    expect(done.response?.raiMediaFilteredCount).toBe(1);
    const a = onlySpan(bed.t).attributes;
    expect(a['costlens.video.seconds']).toBe(8);
    expect(a).toMatchObject(priced(3.2));
  });

  for (const outcome of ['failed', 'cancelled'] as const) {
    it(`${outcome} after submission: one record, ERROR, $0, with the error`, async () => {
      bed.server.veo.outcome = outcome;
      const done = await pollUntilDone(await submit({ generateAudio: true }));
      expect(done.error).toEqual(VEO_ERRORS[outcome]);
      const span = onlySpan(bed.t);
      expect(span.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: `${VEO_ERRORS[outcome].code}: ${VEO_ERRORS[outcome].message}`,
      });
      expect(span.attributes).toMatchObject({
        'error.type': 'VideoJobError',
        'costlens.video.state': outcome,
        'costlens.video.seconds': 0,
        'costlens.cost.usd': 0,
        'gen_ai.usage.cost': 0,
      });
    });
  }
});

describe('videos: a Veo job the app never polls', () => {
  beforeAll(() => bed.t.instrumentation.setConfig({ videoWaitMs: 100 }));
  afterAll(() => bed.t.instrumentation.setConfig({}));

  it('an app that ends first records it as submitted on its way out (beforeExit, before the exporters flush)', async () => {
    const others = process.listeners('beforeExit');
    const op = await bed.vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      prompt: 'A paper boat on a stream',
      config: { durationSeconds: 8 },
    });
    const [onExit, ...rest] = process.listeners('beforeExit');
    expect(rest).toEqual(others);
    onExit!.call(process, 0);
    const span = onlySpan(bed.t);
    expect(span.attributes).toMatchObject({
      'gen_ai.response.id': op.name,
      'costlens.video.state': 'submitted',
      'costlens.cost.unpriced_reason': expect.stringContaining('the process ended'),
    });
    // Nothing left to follow: the listener is gone.
    expect(process.listeners('beforeExit')).toEqual(others);
  });

  it('is recorded as submitted, unpriced, with the seconds asked for; a late poll adds the billed end', async () => {
    const op = await bed.vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      prompt: 'A paper boat on a stream',
      config: { durationSeconds: 8, resolution: '1080p', generateAudio: false },
    });
    const [submitted] = await waitForSpans(bed.t, 1);
    expect(submitted!.status.code).toBe(SpanStatusCode.UNSET);
    expect(submitted!.attributes).toMatchObject({
      'gen_ai.response.id': op.name,
      'costlens.video.state': 'submitted',
      'costlens.video.requested_seconds': 8,
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': expect.stringContaining('did not see it end'),
    });
    expect(submitted!.attributes['costlens.video.seconds']).toBeUndefined();
    expect(submitted!.attributes['costlens.cost.usd']).toBeUndefined();
    // The app polls after all: the end is a second record, linked to the first, with the cost.
    await bed.vertex.operations.getVideosOperation({ operation: op });
    const spans = await waitForSpans(bed.t, 2);
    expect(spans).toHaveLength(2);
    const end = spans[1]!;
    expect(end.links.map((l) => l.context.spanId)).toEqual([submitted!.spanContext().spanId]);
    expect(end.attributes).toMatchObject({
      'gen_ai.response.id': op.name,
      'costlens.video.state': 'succeeded',
      'costlens.video.seconds': 8,
      ...priced(1.6),
    });
  });
});
