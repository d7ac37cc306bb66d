import Anthropic, * as anthropicModule from '@anthropic-ai/sdk';
import OpenAI, * as openaiModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_KEY,
  type FakeAnthropic,
  message,
  startFakeAnthropic,
  USER,
} from './fake-anthropic.js';
import { API_KEY, CHAT_COMPLETION, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import { setupTelemetry, type Telemetry, waitForSpans } from './harness.js';

// disable() puts back every method the instrumentation replaced, those patched when
// a module is hooked and those patched later, on the first call that needs them.

type Snapshot = Map<object, Map<string | symbol, PropertyDescriptor>>;

/**
 * The own properties of every prototype reachable from `roots`: each class, the
 * classes it hangs off itself (`OpenAI.Chat.Completions`), and their prototype chains.
 */
function snapshot(roots: unknown[]): Snapshot {
  const out: Snapshot = new Map();
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'function' || seen.has(v)) return;
    seen.add(v);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (key !== 'prototype' && d && 'value' in d) visit(d.value);
    }
    for (
      let p = (v as { prototype?: object | null }).prototype;
      p && p !== Object.prototype && !out.has(p);
      p = Object.getPrototypeOf(p) as object | null
    ) {
      const props = new Map<string | symbol, PropertyDescriptor>();
      for (const key of Reflect.ownKeys(p))
        props.set(key, Object.getOwnPropertyDescriptor(p, key)!);
      out.set(p, props);
    }
  };
  for (const root of roots) visit(root);
  return out;
}

/** What differs between two snapshots: `Class.method` names, or [] when none. */
function changed(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [proto, props] of before) {
    const now = after.get(proto)!;
    const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? '?';
    for (const key of new Set([...props.keys(), ...now.keys()])) {
      const a = props.get(key);
      const b = now.get(key);
      if (a?.value !== b?.value || a?.get !== b?.get || a?.set !== b?.set) {
        out.push(`${name}.${String(key)}`);
      }
    }
  }
  return out;
}

const ROOTS = [
  openaiModule.OpenAI,
  openaiModule.APIPromise,
  anthropicModule.Anthropic,
  anthropicModule.APIPromise,
];

let openaiServer: FakeOpenAI;
let anthropicServer: FakeAnthropic;
let t: Telemetry;
let before: Snapshot;

beforeAll(async () => {
  [openaiServer, anthropicServer] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  before = snapshot(ROOTS);
  t = setupTelemetry({}, { openai: openaiModule, anthropic: anthropicModule });
});
afterAll(async () => {
  await t.shutdown();
  await Promise.all([openaiServer.close(), anthropicServer.close()]);
});

/** One plain call through each Stainless SDK: what patches the APIPromise class. */
async function callBoth(): Promise<void> {
  const openai = new OpenAI({ apiKey: API_KEY, baseURL: openaiServer.baseURL });
  const anthropic = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: anthropicServer.url });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
  anthropicServer.reply({ json: message() });
  await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: USER });
}

describe('disable()', () => {
  it('puts back every method it patched, APIPromise#asResponse included', async () => {
    const asResponse = openaiModule.APIPromise.prototype.asResponse;
    await callBoth();
    expect(await waitForSpans(t, 2)).toHaveLength(2);
    expect(changed(before, snapshot(ROOTS))).not.toEqual([]);
    t.instrumentation.disable();
    expect(openaiModule.APIPromise.prototype.asResponse).toBe(asResponse);
    expect(changed(before, snapshot(ROOTS))).toEqual([]);
  });

  it('enabled again, it patches again and a raw response still ends the call', async () => {
    t.reset();
    t.instrumentation.enable();
    t.instrumentation.instrumentModules({ openai: openaiModule, anthropic: anthropicModule });
    const openai = new OpenAI({ apiKey: API_KEY, baseURL: openaiServer.baseURL });
    const response = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .asResponse();
    expect(((await response.json()) as { id: string }).id).toBe(CHAT_COMPLETION.id);
    expect(await waitForSpans(t, 1)).toHaveLength(1);
    t.instrumentation.disable();
    expect(changed(before, snapshot(ROOTS))).toEqual([]);
  });
});
