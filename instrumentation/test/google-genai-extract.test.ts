import { GenerateVideosOperation } from '@google/genai';
import { describe, expect, it } from 'vitest';
import {
  accumulateContentChunk,
  addUsage,
  contentOutcome,
  contentRequest,
  contentStreamOutcome,
  countImageParts,
  embeddingOutcome,
  imagenOutcome,
  imagenRequest,
  modelId,
  newContentStreamState,
  videoOperationOutcome,
  videoOperationStatus,
  videoRequest,
} from '../src/providers/google-genai-extract.js';
import {
  GEMINI_TEXT,
  geminiChunks,
  geminiImage,
  STREAM_ID,
  VEO_DONE,
  VEO_ERRORS,
  VEO_OPERATION,
  VERTEX_TEXT,
} from './fake-google.js';

// Payloads as the SDK hands them back: generateContent bodies are the API's own
// (Gemini API and Vertex AI); Imagen, embeddings and Veo are the SDK's
// translations of Vertex AI's `predict` / `predictLongRunning` bodies.

describe('modelId', () => {
  it('reads every spelling the SDK accepts', () => {
    expect(modelId('gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(modelId('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(modelId('publishers/google/models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(
      modelId('projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash'),
    ).toBe('gemini-2.5-flash');
    expect(modelId('google/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(modelId('tunedModels/1234567890')).toBe('tunedModels/1234567890');
    expect(modelId('meta/llama-3.1-405b-instruct-maas')).toBe('meta/llama-3.1-405b-instruct-maas');
    expect(modelId(undefined)).toBeUndefined();
    expect(modelId('')).toBeUndefined();
  });
});

describe('generateContent requests', () => {
  it('a text model is a text call', () => {
    expect(contentRequest({ model: 'gemini-2.5-flash', contents: 'Hi' })).toEqual({ image: false });
  });

  it('an image model is an image call at 1K unless imageSize says otherwise', () => {
    expect(contentRequest({ model: 'gemini-2.5-flash-image', contents: 'A cat' })).toEqual({
      image: true,
      usage: { image_resolution: '1K' },
      aspectRatio: undefined,
    });
    expect(
      contentRequest({
        model: 'gemini-3-pro-image-preview',
        contents: 'A cat',
        config: { imageConfig: { imageSize: '4k', aspectRatio: '21:9' } },
      }),
    ).toEqual({ image: true, usage: { image_resolution: '4K' }, aspectRatio: '21:9' });
  });

  it('asking for IMAGE output makes any model an image call', () => {
    expect(
      contentRequest({
        model: 'gemini-2.0-flash-exp',
        contents: 'A cat',
        config: { responseModalities: ['TEXT', 'IMAGE'] },
      }).image,
    ).toBe(true);
  });
});

describe('generateContent responses', () => {
  it('a Gemini API answer: cached tokens are part of the input, thoughts part of the output', () => {
    expect(contentOutcome(GEMINI_TEXT)).toEqual({
      responseModel: 'gemini-2.5-flash',
      responseId: 'mAitaLmkHPPlz7IPvtfUqQ4',
      finishReasons: ['STOP'],
      usage: {
        input_tokens: 1200,
        output_tokens: 350,
        cache_read_tokens: 1000,
        reasoning_tokens: 200,
      },
      completion: 'The sky is blue because air scatters short wavelengths more.',
    });
  });

  it('a Vertex AI answer', () => {
    expect(contentOutcome(VERTEX_TEXT)).toEqual({
      responseModel: 'gemini-2.5-flash',
      responseId: 'FDesaPm2GaXh2PgPoLHrqAs',
      finishReasons: ['STOP'],
      usage: { input_tokens: 1000, output_tokens: 500 },
      completion: 'Hello from Vertex.',
    });
  });

  it('tool-use prompt tokens are input; every candidate has its finish reason', () => {
    const out = contentOutcome({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'A' }] }, finishReason: 'STOP', index: 0 },
        {
          content: { role: 'model', parts: [{ text: 'B' }] },
          finishReason: 'MAX_TOKENS',
          index: 1,
        },
      ],
      usageMetadata: {
        promptTokenCount: 40,
        toolUsePromptTokenCount: 60,
        candidatesTokenCount: 30,
        totalTokenCount: 130,
      },
      modelVersion: 'gemini-2.5-pro',
      responseId: 'x1',
    });
    expect(out.finishReasons).toEqual(['STOP', 'MAX_TOKENS']);
    expect(out.usage).toEqual({ input_tokens: 100, output_tokens: 30 });
    expect(out.completion).toBe('A');
  });

  it('a blocked prompt: input tokens, no candidates, no finish reason', () => {
    expect(
      contentOutcome({
        promptFeedback: {
          blockReason: 'SAFETY',
          safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' }],
        },
        usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
        modelVersion: 'gemini-2.5-flash',
        responseId: 'blk-1',
      }),
    ).toEqual({
      responseModel: 'gemini-2.5-flash',
      responseId: 'blk-1',
      finishReasons: undefined,
      usage: { input_tokens: 9 },
      completion: undefined,
    });
  });

  it('an image model answer: the output image counts, the thought image does not; image tokens apart', () => {
    const response = geminiImage('gemini-3-pro-image-preview', 2000);
    expect(countImageParts(response)).toBe(1);
    expect(contentOutcome(response)).toEqual({
      responseModel: 'gemini-3-pro-image-preview',
      responseId: 'Zq2taP2uO6Wz1dkPr_2nmAM',
      finishReasons: ['STOP'],
      usage: {
        input_tokens: 12,
        output_tokens: 200,
        reasoning_tokens: 180,
        output_image_tokens: 2000,
        images: 1,
      },
      completion: 'Here is your lighthouse at dusk.',
    });
  });

  it('nothing to read in an empty or odd value', () => {
    for (const v of [undefined, null, 'text', {}]) {
      expect(contentOutcome(v)).toEqual({
        responseModel: undefined,
        responseId: undefined,
        finishReasons: undefined,
        usage: undefined,
        completion: undefined,
      });
    }
  });
});

describe('generateContentStream chunks', () => {
  it('usage from the last chunk that has it, text and finish reason gathered', () => {
    const state = newContentStreamState(1000);
    for (const chunk of geminiChunks()) accumulateContentChunk(state, chunk);
    expect(contentStreamOutcome(state)).toEqual({
      responseModel: 'gemini-2.5-flash',
      responseId: STREAM_ID,
      finishReasons: ['STOP'],
      usage: { input_tokens: 8, output_tokens: 143, reasoning_tokens: 23 },
      completion: 'The sky is blue.',
    });
  });

  it('after the first chunk: prompt tokens known, no finish reason yet', () => {
    const state = accumulateContentChunk(newContentStreamState(1000), geminiChunks()[0]);
    expect(contentStreamOutcome(state)).toMatchObject({
      usage: { input_tokens: 8 },
      finishReasons: undefined,
      completion: 'The',
    });
  });

  it("automatic function calling in a stream: each round's usage adds up", () => {
    const round = (prompt: number, out: number, parts: unknown[]) => ({
      candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: prompt,
        candidatesTokenCount: out,
        totalTokenCount: prompt + out,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: `r-${prompt}`,
    });
    const state = newContentStreamState(1000);
    accumulateContentChunk(
      state,
      round(100, 10, [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }]),
    );
    // The SDK's own chunk with the function responses, between the rounds.
    accumulateContentChunk(state, {
      candidates: [
        {
          content: {
            role: 'user',
            parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 21 } } }],
          },
        },
      ],
    });
    accumulateContentChunk(state, round(130, 9, [{ text: 'It is 21°C.' }]));
    expect(contentStreamOutcome(state)).toEqual({
      responseModel: 'gemini-2.5-flash',
      responseId: 'r-130',
      finishReasons: ['STOP'],
      usage: { input_tokens: 230, output_tokens: 19 },
      completion: 'It is 21°C.',
    });
  });

  it('keeps no text when content capture is off, and no more than its limit when on', () => {
    const off = newContentStreamState();
    for (const chunk of geminiChunks()) accumulateContentChunk(off, chunk);
    expect(off.text).toBe('');
    expect(contentStreamOutcome(off)).toMatchObject({
      usage: { input_tokens: 8, output_tokens: 143 },
      completion: undefined,
    });
    const capped = newContentStreamState(8);
    for (const chunk of geminiChunks()) accumulateContentChunk(capped, chunk);
    expect(capped.text).toBe('The sky ');
    expect(contentStreamOutcome(capped).completion).toBe('The sky ');
  });

  it('streamed images are counted across chunks', () => {
    const state = newContentStreamState();
    accumulateContentChunk(state, geminiImage('gemini-2.5-flash-image', 1290));
    accumulateContentChunk(state, geminiImage('gemini-2.5-flash-image', 1290));
    expect(contentStreamOutcome(state).usage?.images).toBe(2);
  });
});

describe('addUsage', () => {
  it('adds counts and keeps media facts', () => {
    expect(
      addUsage(
        { input_tokens: 10, output_tokens: 5, image_resolution: '1K' },
        { input_tokens: 3, cache_read_tokens: 2 },
      ),
    ).toEqual({ input_tokens: 13, output_tokens: 5, cache_read_tokens: 2, image_resolution: '1K' });
    expect(addUsage(undefined, { input_tokens: 1 })).toEqual({ input_tokens: 1 });
    expect(addUsage({ input_tokens: 1 }, undefined)).toEqual({ input_tokens: 1 });
    expect(addUsage(undefined, undefined)).toBeUndefined();
  });
});

describe('embedContent responses', () => {
  it('Gemini API: vectors only, no usage to read', () => {
    expect(embeddingOutcome({ embeddings: [{ values: [0.1, -0.2] }] })).toEqual({
      usage: undefined,
    });
  });

  it('Vertex AI predict: token counts per input add up', () => {
    expect(
      embeddingOutcome({
        embeddings: [
          { values: [0.012, -0.04], statistics: { truncated: false, tokenCount: 6 } },
          { values: [0.031, 0.007], statistics: { truncated: false, tokenCount: 8 } },
        ],
        metadata: { billableCharacterCount: 50 },
      }),
    ).toEqual({ usage: { input_tokens: 14 } });
  });

  it('Vertex AI embedContent (Gemini embedding models): usageMetadata', () => {
    expect(
      embeddingOutcome({
        embeddings: [{ values: [0.5], statistics: { tokenCount: 12 } }],
        usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 },
      }),
    ).toEqual({ usage: { input_tokens: 12 } });
  });
});

describe('Imagen', () => {
  it('the request fixes resolution and aspect ratio', () => {
    expect(
      imagenRequest({
        model: 'imagen-4.0-generate-001',
        prompt: 'A robot',
        config: { numberOfImages: 2, imageSize: '2K', aspectRatio: '3:4' },
      }),
    ).toEqual({ usage: { image_resolution: '2K' }, aspectRatio: '3:4' });
    expect(imagenRequest({ model: 'imagen-4.0-generate-001', prompt: 'A robot' })).toEqual({
      usage: {},
      aspectRatio: undefined,
    });
  });

  it('the images that came back are counted; one filtered out is not', () => {
    expect(
      imagenOutcome({
        generatedImages: [
          { image: { imageBytes: 'iVBORw0KGgo=', mimeType: 'image/png' } },
          { image: { gcsUri: 'gs://bucket/out/1.png', mimeType: 'image/png' } },
          { raiFilteredReason: 'Your current safety filter threshold filtered out 1 image.' },
        ],
      }),
    ).toEqual({ usage: { images: 2 } });
    expect(imagenOutcome({})).toEqual({ usage: { images: 0 } });
  });
});

describe('Veo', () => {
  it('seconds of every requested video, resolution, audio and aspect ratio', () => {
    expect(
      videoRequest({
        model: 'veo-3.1-generate-001',
        source: { prompt: 'A cat' },
        config: {
          durationSeconds: 8,
          numberOfVideos: 2,
          resolution: '1080p',
          generateAudio: false,
          aspectRatio: '16:9',
        },
      }),
    ).toEqual({
      usage: { video_seconds: 16, video_resolution: '1080p', video_audio: false },
      aspectRatio: '16:9',
      secondsEach: 8,
    });
  });

  it('720p unless set; unset seconds and audio stay unknown', () => {
    expect(videoRequest({ model: 'veo-3.1-generate-001', source: { prompt: 'A cat' } })).toEqual({
      usage: { video_resolution: '720p' },
      aspectRatio: undefined,
      secondsEach: undefined,
    });
  });

  it('the submitted operation is the response id, done or not', () => {
    expect(videoOperationOutcome({ name: VEO_OPERATION })).toEqual({ responseId: VEO_OPERATION });
    expect(videoOperationOutcome(VEO_DONE)).toEqual({ responseId: VEO_OPERATION });
  });

  // The operation as getVideosOperation hands it back: the SDK's own translation.
  const polled = (apiResponse: Record<string, unknown>) =>
    new GenerateVideosOperation()._fromAPIResponse({ apiResponse, _isVertexAI: true });

  it('a polled operation: running, done with the videos delivered, or done with an error', () => {
    expect(videoOperationStatus(polled({ name: VEO_OPERATION }))).toEqual({ done: false });
    expect(videoOperationStatus(polled(VEO_DONE))).toEqual({ done: true, videos: 1 });
    const filtered = {
      ...VEO_DONE,
      response: { ...VEO_DONE.response, raiMediaFilteredCount: 2, videos: [] },
    };
    expect(videoOperationStatus(polled(filtered))).toEqual({ done: true, videos: 0 });
    const failed = { name: VEO_OPERATION, done: true, error: VEO_ERRORS.cancelled };
    expect(videoOperationStatus(polled(failed))).toEqual({
      done: true,
      error: { code: 1, message: 'Operation was cancelled.' },
    });
  });
});
