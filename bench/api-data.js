// The calls of the query API benchmark: a deterministic generator of realistic calls
// (mulberry32, so the same seed fills the same database), written through the store's
// batch path (prepareBatch + insertPrepared, the one ingest uses, so rows and rollups
// are what a running collector holds), and the filled database, new or kept.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prepareBatch } from '../collector/dist/store/batch.js';
import { Store } from '../collector/dist/store/store.js';

const HOUR_MS = 3_600_000;

/** A small deterministic generator (mulberry32): the same seed fills the same database. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXT_MODELS = [
  ['openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
  ['openai', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
  ['openai', 'o3', 'o3-2025-04-16'],
  ['anthropic', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'],
  ['anthropic', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001'],
  ['gcp.gemini', 'gemini-2.5-pro', 'gemini-2.5-pro'],
  ['gcp.gemini', 'gemini-2.5-flash', 'gemini-2.5-flash'],
];
const EMBEDDING = ['openai', 'text-embedding-3-small', 'text-embedding-3-small'];
const IMAGE = ['openai', 'gpt-image-1', 'gpt-image-1'];
const VIDEO = ['gcp.gemini', 'veo-3.0-generate-001', 'veo-3.0-generate-001'];
const ERRORS = ['RateLimitError', 'APIConnectionError', 'InternalServerError', 'BadRequestError'];

/** Lognormal milliseconds around `median`. */
function lognormal(rand, median, sigma) {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/**
 * Call `i` of `n`, spread evenly over [start, start + spanMs): each user keeps to
 * three text models, 4% of calls fail, 3% are unpriced, failures without usage cost $0.
 */
export function makeCall(i, n, start, spanMs, rand) {
  const started = start + Math.floor((i / n) * spanMs) + Math.floor(rand() * (spanMs / n));
  const u = Math.floor(rand() * 200);
  const project = `proj-${u % 10}`;
  const kind = rand();
  let model;
  let callType;
  let operation;
  if (kind < 0.88) {
    model = TEXT_MODELS[(u + Math.floor(rand() * 3)) % TEXT_MODELS.length];
    callType = 'text';
    operation = 'chat';
  } else if (kind < 0.93) {
    model = EMBEDDING;
    callType = 'embedding';
    operation = 'embeddings';
  } else if (kind < 0.97) {
    model = IMAGE;
    callType = 'image';
    operation = 'image_generation';
  } else {
    model = VIDEO;
    callType = 'video';
    operation = 'video_generation';
  }
  const failed = rand() < 0.04;
  const noUsage = failed && rand() < 0.7;
  const input = noUsage ? null : 200 + Math.floor(rand() * 4000);
  const output = noUsage || callType !== 'text' ? null : 20 + Math.floor(rand() * 800);
  const unpriced = !noUsage && rand() < 0.03;
  const duration =
    callType === 'video'
      ? lognormal(rand, 60_000, 0.4)
      : callType === 'image'
        ? lognormal(rand, 8_000, 0.4)
        : lognormal(rand, 800, 0.8);
  const cost = noUsage ? 0 : unpriced ? null : 1_000_000 + Math.floor(rand() * 40_000_000_000);
  const hex = i.toString(16);
  return {
    id: hex.padStart(32, '0') + hex.padStart(16, '0'),
    trace_id: hex.padStart(32, '0'),
    span_id: hex.padStart(16, '0'),
    started_at: started,
    finished_at: started + Math.round(duration),
    duration_ms: Math.round(duration * 1000) / 1000,
    ttft_ms: callType === 'text' ? Math.round(duration * 300) / 1000 : null,
    service: `svc-${u % 4}`,
    project,
    user: `user-${String(u).padStart(3, '0')}`,
    account: `acct-${u % 20}`,
    provider: model[0],
    operation,
    call_type: callType,
    request_model: model[1],
    response_model: failed ? null : model[2],
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: input !== null && rand() < 0.3 ? Math.floor(input / 2) : null,
    cache_write_tokens: null,
    cache_write_1h_tokens: null,
    reasoning_tokens: model[1] === 'o3' && output !== null ? Math.floor(output / 2) : null,
    image_count: callType === 'image' ? 1 + Math.floor(rand() * 3) : null,
    image_size: callType === 'image' ? '1024x1024' : null,
    image_resolution: null,
    image_quality: callType === 'image' ? 'medium' : null,
    video_seconds: callType === 'video' ? 4 + Math.floor(rand() * 5) : null,
    video_resolution: callType === 'video' ? '720p' : null,
    video_audio: callType === 'video' ? true : null,
    aspect_ratio: null,
    status: failed ? 'error' : 'success',
    error_type: failed ? ERRORS[Math.floor(rand() * ERRORS.length)] : null,
    error_message: failed ? 'the provider answered with an error' : null,
    retry_count: failed ? 1 : 0,
    cost_pusd: cost,
    cost_breakdown_pusd: null,
    pricing_source: noUsage ? 'not billed' : unpriced ? null : 'bench',
    unpriced_reason: unpriced ? 'unknown model "x" in catalogue bench' : null,
    prompt: null,
    output_path: null,
    attributes: null,
  };
}

/**
 * Fills `store` with `n` calls over the `days` before `end` (in time order, as
 * they would arrive), `batch` per transaction. Reports progress through `log`.
 */
export function fill(store, { n, days, end, batch = 10_000, seed = 1, log = () => {} }) {
  const rand = random(seed);
  const spanMs = days * 24 * HOUR_MS;
  const start = end - spanMs;
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const records = [];
    for (let j = i; j < Math.min(n, i + batch); j++)
      records.push(makeCall(j, n, start, spanMs, rand));
    store.insertPrepared(prepareBatch(records));
    if ((i / batch) % 50 === 49) {
      const s = (performance.now() - t0) / 1000;
      log(`${(i + batch).toLocaleString('en')} calls in ${s.toFixed(0)} s`);
    }
  }
  return (performance.now() - t0) / 1000;
}

/**
 * A filled database of `calls` calls over `days`: a new temporary one, or with KEEP=1
 * the kept one when it holds as many calls (its fill time kept beside it).
 */
export function database({ calls, days }) {
  const path = process.env.KEEP
    ? join(tmpdir(), `costlens-api-bench-${calls}.db`)
    : join(mkdtempSync(join(tmpdir(), 'costlens-api-bench-')), 'c.db');
  const sidecar = `${path}.fill.json`;
  if (existsSync(path)) {
    const db = new Database(path, { readonly: true });
    const { n } = db.prepare('SELECT count(*) n FROM calls').get();
    db.close();
    if (n !== calls) throw new Error(`${path} holds ${n} calls, not ${calls}: remove it`);
    const kept = existsSync(sidecar) ? JSON.parse(readFileSync(sidecar, 'utf8')) : {};
    return { path, fillSeconds: kept.fillSeconds ?? null };
  }
  const store = new Store(path);
  // Filling only: what a 200 means for a live collector does not matter here.
  store.db.pragma('synchronous = OFF');
  const fillSeconds = fill(store, {
    n: calls,
    days,
    end: Date.now(),
    log: (line) => console.error(line),
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  if (process.env.KEEP) writeFileSync(sidecar, JSON.stringify({ fillSeconds }));
  return { path, fillSeconds };
}
