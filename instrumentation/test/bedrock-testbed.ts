import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CALL_TYPE_OF_OPERATION } from '@costlens/pricing';
import { expect } from 'vitest';
import { bedrockTestbed, checkedReset, type FakeBedrock, REGION, split } from './fake-bedrock.js';
import { onlySpan, type Telemetry, useTestbed } from './harness.js';

// What the Bedrock test files share: one fake server and patched client per
// file, the attributes every Bedrock span carries, and the check of a span's
// whole attribute set and cost.

export interface BedrockBed {
  server: FakeBedrock;
  t: Telemetry;
  client: BedrockRuntimeClient;
}

/** The fake Bedrock and a real client of it for this file; filled in before its tests run. */
export function useBedrock(): BedrockBed {
  const bed = {} as BedrockBed;
  useTestbed(bedrockTestbed, (started) => Object.assign(bed, started), checkedReset);
  return bed;
}

export const USER = [{ role: 'user' as const, content: [{ text: 'Hi' }] }];

/** USD per 1M tokens to the pUSD a token the catalogue counts in. */
export const perM = (usd: number) => usd * 1_000_000;

export interface Request {
  stream?: boolean;
  operation?: string;
  callType?: string;
}

/** The attributes every span of a call to this model on the fake server carries. */
export const spanBase = (
  bed: BedrockBed,
  model: string,
  { stream = false, operation = 'chat', callType = 'text' }: Request = {},
) => ({
  'gen_ai.operation.name': operation,
  'gen_ai.provider.name': 'aws.bedrock',
  // Written only where the operation does not imply it (embeddings are embedding).
  ...(CALL_TYPE_OF_OPERATION[operation] === callType ? {} : { 'costlens.call_type': callType }),
  'gen_ai.request.model': model,
  ...(stream ? { 'gen_ai.request.stream': true } : {}),
  'server.address': '127.0.0.1',
  'server.port': bed.server.port,
  'cloud.region': REGION,
});

/**
 * The only span has exactly the base attributes, these and no retry, and costs
 * `cost` in USD (undefined: unpriced).
 */
export function expectOnlySpan(
  bed: BedrockBed,
  model: string,
  request: Request,
  attributes: Record<string, unknown>,
  cost: number | undefined,
): void {
  const { rest, cost: recorded } = split(onlySpan(bed.t));
  expect(rest).toEqual({
    ...spanBase(bed, model, request),
    ...attributes,
  });
  expect(recorded).toBe(cost);
}
