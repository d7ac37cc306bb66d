import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '../src/records/call-record.js';
import { Store } from '../src/store/store.js';
import { callRecord } from './call-record.js';
import { insertRecords } from './support/store.js';

// Stored calls for the tests of `costlens export` and `costlens db`, stored the way
// the collector stores them (prepareBatch, the store's transaction).

export const HOUR = 3_600_000;
/** The first call's start: a whole hour. */
export const T0 = Date.UTC(2026, 10, 24, 10);

export const PROJECTS = ['shop', 'search', 'o\'brien, "jr"', null] as const;
export const USERS = ['u1', '=HYPERLINK("http://x")', 'two\nlines', '-5', null] as const;

/** Call `i`: a spread of projects, users, providers, types, failures and unpriced calls, `i` minutes after T0 (plus its own ms). */
export function cliCall(i: number): CallRecord {
  const trace = (i + 1).toString(16).padStart(32, '0');
  const span = (i + 1).toString(16).padStart(16, '0');
  const started = T0 + i * 60_000 + (i % 7);
  const kind = i % 10;
  const failed = i % 9 === 4;
  const unpriced = i % 13 === 5;
  const base: Partial<CallRecord> = {
    id: trace + span,
    trace_id: trace,
    span_id: span,
    started_at: started,
    finished_at: started + 200 + (i % 50) * 37,
    duration_ms: 200 + (i % 50) * 37,
    project: PROJECTS[i % PROJECTS.length]!,
    user: USERS[i % USERS.length]!,
    account: i % 3 === 0 ? '@acct' : null,
    status: failed ? 'error' : 'success',
    error_type: failed ? 'RateLimitError' : null,
    error_message: failed ? 'rate limited, "slow down"\nretry later' : null,
    retry_count: failed ? 2 : 0,
    cost_pusd: unpriced ? null : 1_000_000 * (i + 1),
    pricing_source: unpriced ? null : 'catalogue',
    unpriced_reason: unpriced ? 'no price for ft:gpt-4o-mini:acme' : null,
  };
  if (kind < 6) {
    const anthropic = kind % 2 === 1;
    return callRecord({
      ...base,
      provider: anthropic ? 'anthropic' : 'openai',
      request_model: anthropic ? 'claude-sonnet-4-5' : 'gpt-4o',
      response_model: anthropic ? null : 'gpt-4o-2024-08-06',
      ttft_ms: kind === 2 ? 120.5 : null,
      cache_read_tokens: kind === 3 ? 300 : null,
      reasoning_tokens: kind === 4 ? 50 : null,
    });
  }
  if (kind < 8) {
    return callRecord({
      ...base,
      operation: 'generate_content',
      call_type: 'image',
      provider: 'gcp.gemini',
      request_model: 'gemini-2.5-flash-image',
      response_model: null,
      input_tokens: 20,
      output_tokens: null,
      image_count: 2,
      image_size: '1024x1024',
      image_resolution: '1K',
      image_quality: 'high',
      aspect_ratio: '1:1',
    });
  }
  return callRecord({
    ...base,
    operation: 'videos',
    call_type: 'video',
    provider: 'openai',
    request_model: 'sora-2',
    response_model: null,
    input_tokens: null,
    output_tokens: null,
    video_seconds: 8,
    video_resolution: '720p',
    video_audio: kind === 8,
  });
}

/** A new database in a temp folder with calls 0 .. n-1 stored; returns its path. */
export function databaseWith(n: number, first = 0): string {
  const path = join(mkdtempSync(join(tmpdir(), 'costlens-cli-')), 'costlens.db');
  const store = new Store(path);
  try {
    const all = Array.from({ length: n }, (_, i) => cliCall(first + i));
    for (let i = 0; i < all.length; i += 1000) insertRecords(store, all.slice(i, i + 1000));
  } finally {
    store.close();
  }
  return path;
}
