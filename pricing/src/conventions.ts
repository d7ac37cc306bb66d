/**
 * Facts of the OpenTelemetry GenAI conventions that both the instrumentation and
 * the collector use. They live here because this is the one package both import.
 */

/**
 * The costlens call type each operation name implies. The collector reads a span's
 * type from it when the span carries no `costlens.call_type`, and the
 * instrumentation writes that attribute only where a call's type is not this.
 */
export const CALL_TYPE_OF_OPERATION: Readonly<
  Record<string, 'text' | 'embedding' | 'image' | 'video' | 'audio'>
> = Object.freeze({
  chat: 'text',
  generate_content: 'text',
  text_completion: 'text',
  embeddings: 'embedding',
  image_generation: 'image',
  video_generation: 'video',
  audio_generation: 'audio',
  image: 'image',
  audio: 'audio',
});

/** Explicit bucket boundaries of `gen_ai.client.operation.duration`, in seconds. */
export const OPERATION_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Explicit bucket boundaries of `gen_ai.client.token.usage`. */
export const TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
