import { pusdToUsd, usdToPusd } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import {
  breakdown,
  type FakeGoogle,
  type GenAI,
  googleTestbed,
  priced,
  resetGoogleTestbed,
  VEO_OPERATION,
} from './fake-google.js';
import { onlySpan, type Telemetry, useTestbed } from './harness.js';

// Image and video generation through the real @google/genai SDK: Gemini image
// models by resolution, Imagen, and Veo's long-running operations.

let server: FakeGoogle;
let t: Telemetry;
let gemini: GenAI;
let vertex: GenAI;

useTestbed(
  googleTestbed,
  (bed) => {
    ({ server, t, gemini, vertex } = bed);
  },
  resetGoogleTestbed,
);

const at = () => ({ 'server.address': '127.0.0.1', 'server.port': server.port });

describe('images', () => {
  const imageCall = (imageSize: string, media: number, aspectRatio: string) => ({
    'gen_ai.operation.name': 'image_generation',
    'gen_ai.provider.name': 'gcp.gemini',
    'costlens.call_type': 'image',
    'gen_ai.request.model': 'gemini-3-pro-image-preview',
    'gen_ai.request.stream': false,
    ...at(),
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
    'costlens.retry.count': 0,
    // The image at its resolution's price, 12 input tokens at $2/M, 200 output at $12/M
    // (2,000,000 and 12,000,000 pUSD a token).
    ...priced(pusdToUsd(usdToPusd(media) + 12 * 2_000_000 + 200 * 12_000_000)),
  });

  for (const [size, media] of [
    ['4K', 0.24],
    ['2K', 0.1344],
  ] as const) {
    it(`Gemini 3 Pro Image at ${size}: one image at the catalogue's ${size} price ($${media})`, async () => {
      const out = await gemini.models.generateContent({
        model: 'gemini-3-pro-image-preview',
        contents: 'A lighthouse at dusk',
        config: { imageConfig: { imageSize: size, aspectRatio: '16:9' } },
      });
      expect(out.data).toBeTruthy();
      const span = onlySpan(t);
      expect(span.name).toBe('image_generation gemini-3-pro-image-preview');
      expect(span.attributes).toEqual(imageCall(size, media, '16:9'));
      expect(breakdown(span.attributes).media).toBe(media);
    });
  }

  it('Imagen generateImages on Vertex AI: two images at the per-image price', async () => {
    const out = await vertex.models.generateImages({
      model: 'imagen-4.0-generate-001',
      prompt: 'Robot holding a red skateboard',
      config: { numberOfImages: 2, aspectRatio: '1:1' },
    });
    expect(out.generatedImages).toHaveLength(2);
    const req = server.requests.at(-1)!;
    expect(req.path).toMatch(/\/models\/imagen-4\.0-generate-001:predict$/);
    expect(JSON.parse(req.body)).toMatchObject({ parameters: { sampleCount: 2 } });
    expect(onlySpan(t).attributes).toEqual({
      'gen_ai.operation.name': 'image_generation',
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'costlens.call_type': 'image',
      'gen_ai.request.model': 'imagen-4.0-generate-001',
      ...at(),
      'costlens.image.count': 2,
      'costlens.aspect_ratio': '1:1',
      'costlens.retry.count': 0,
      // Imagen 4: $0.04 per image.
      ...priced(0.08),
    });
  });
});

describe('videos', () => {
  const veoCall = (audio: boolean, usd: number) => ({
    'gen_ai.operation.name': 'video_generation',
    'gen_ai.provider.name': 'gcp.vertex_ai',
    'costlens.call_type': 'video',
    'gen_ai.request.model': 'veo-3.1-generate-001',
    ...at(),
    'gen_ai.response.id': VEO_OPERATION,
    'costlens.video.seconds': 8,
    'costlens.video.resolution': '1080p',
    'costlens.video.audio': audio,
    'costlens.aspect_ratio': '16:9',
    'costlens.retry.count': 0,
    ...priced(usd),
  });

  it('Veo 3.1, 8 s at 1080p without audio: $1.60; polling still works and adds no span', async () => {
    server.pendingPolls = 1;
    let op = await vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      source: { prompt: 'A neon hologram of a cat driving at top speed' },
      config: {
        durationSeconds: 8,
        resolution: '1080p',
        generateAudio: false,
        aspectRatio: '16:9',
      },
    });
    expect(op.name).toBe(VEO_OPERATION);
    expect(onlySpan(t).attributes).toEqual(veoCall(false, 1.6));
    while (!op.done) op = await vertex.operations.getVideosOperation({ operation: op });
    expect(op.response?.generatedVideos?.[0]?.video?.uri).toBe('gs://demo-bucket/veo/sample_0.mp4');
    const polls = server.requests.filter((r) => r.path.endsWith(':fetchPredictOperation'));
    expect(polls).toHaveLength(2);
    expect(polls[0]!.path).toMatch(
      /\/projects\/p\/locations\/us-central1\/publishers\/google\/models\/veo-3\.1-generate-001:fetchPredictOperation$/,
    );
    expect(JSON.parse(polls[0]!.body)).toEqual({ operationName: VEO_OPERATION });
    expect(t.spans()).toHaveLength(1);
  });

  it('Veo 3.1, 8 s at 1080p with audio: $3.20', async () => {
    await vertex.models.generateVideos({
      model: 'veo-3.1-generate-001',
      source: { prompt: 'Waves on a beach at sunset' },
      config: { durationSeconds: 8, resolution: '1080p', generateAudio: true, aspectRatio: '16:9' },
    });
    expect(onlySpan(t).attributes).toEqual(veoCall(true, 3.2));
  });
});
