import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import { split } from './fake-ai-sdk.js';

// One check of an AI SDK call's span, given as a table: who was called, on which
// local server, what else it records, and what it cost.

export interface ExpectedCall {
  provider: string;
  model: string;
  /** The local server's port the provider package was pointed at. */
  port: number;
  operation?: string;
  callType?: string;
  stream?: boolean;
  /** Every other attribute but the cost ones and the retry count (0). */
  attributes: Record<string, unknown>;
  /** USD, or an asymmetric matcher; left out where a test checks no cost. */
  cost?: unknown;
}

/**
 * The span's attributes are exactly these (apart from cost and timing) and its
 * cost is this; the time to first chunk is returned for the test to check.
 */
export function expectCall(span: ReadableSpan, call: ExpectedCall): unknown {
  const { rest, cost, ttft } = split(span);
  expect(rest).toEqual({
    'gen_ai.operation.name': call.operation ?? 'chat',
    'gen_ai.provider.name': call.provider,
    'gen_ai.request.model': call.model,
    ...(call.stream ? { 'gen_ai.request.stream': true } : {}),
    'server.address': '127.0.0.1',
    'server.port': call.port,
    ...call.attributes,
  });
  if ('cost' in call) expect(cost).toEqual(call.cost);
  return ttft;
}
