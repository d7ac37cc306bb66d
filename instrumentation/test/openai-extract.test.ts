import { describe, expect, it } from 'vitest';
import {
  accumulateChatChunk,
  chatStreamOutcome,
  newChatStreamState,
  videoJobStatus,
} from '../src/providers/openai-extract.js';
import { chatChunks, VIDEO, VIDEO_FAILURE } from './fake-openai.js';

// What a stream of chat.completion.chunk keeps while it runs: its facts always,
// its text only for content capture, and never more of it than is recorded.

const textChunk = (content: string) => ({
  id: 'chatcmpl-stream-1',
  object: 'chat.completion.chunk',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

describe('a streamed chat completion', () => {
  it('keeps no text when content capture is off, and still reads the rest', () => {
    const state = newChatStreamState();
    const [first, ...rest] = chatChunks(true);
    accumulateChatChunk(state, first);
    for (let i = 0; i < 10_000; i++) accumulateChatChunk(state, textChunk('a long answer '));
    for (const chunk of rest) accumulateChatChunk(state, chunk);
    expect(state.text).toBe('');
    expect(chatStreamOutcome(state)).toEqual({
      responseModel: 'gpt-4o-mini-2024-07-18',
      responseId: 'chatcmpl-stream-1',
      finishReasons: ['stop'],
      usage: {
        input_tokens: 1000,
        output_tokens: 100,
        cache_read_tokens: 200,
      },
      completion: undefined,
    });
  });

  it('keeps the text when capture is on, up to the limit it is given', () => {
    const state = newChatStreamState(25);
    for (const chunk of chatChunks(true)) accumulateChatChunk(state, chunk);
    expect(chatStreamOutcome(state).completion).toBe('Hello');
    for (let i = 0; i < 10_000; i++) accumulateChatChunk(state, textChunk('0123456789'));
    expect(state.text).toBe('Hello01234567890123456789');
    expect(chatStreamOutcome(state).completion).toBe('Hello01234567890123456789');
  });
});

describe('a polled Sora job', () => {
  it('queued and in progress are not ends; completed says what was made; failed says why', () => {
    expect(videoJobStatus(VIDEO)).toEqual({ done: false });
    expect(videoJobStatus({ ...VIDEO, status: 'in_progress', progress: 40 })).toEqual({
      done: false,
    });
    expect(videoJobStatus({ ...VIDEO, status: 'completed', progress: 100 })).toEqual({
      done: true,
      outcome: {
        responseModel: 'sora-2',
        responseId: 'video_123',
        usage: { video_seconds: 8, video_size: '1280x720', video_resolution: '720p' },
      },
    });
    expect(videoJobStatus({ ...VIDEO, status: 'failed', error: VIDEO_FAILURE })).toEqual({
      done: true,
      error: VIDEO_FAILURE,
    });
    expect(videoJobStatus({ ...VIDEO, status: 'failed', error: null })).toEqual({
      done: true,
      error: { code: undefined, message: 'the video job failed and said no more' },
    });
  });
});
