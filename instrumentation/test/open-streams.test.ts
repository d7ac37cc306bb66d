import { setTimeout as sleep } from 'node:timers/promises';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it } from 'vitest';
import type { Call } from '../src/call.js';
import { OpenStreams } from '../src/open-streams.js';

// The list of open streams on its own, with stand-in calls: streams ending in any
// order, twice, or abandoned by the sweep while others stay open.

/** The part of a Call that OpenStreams uses, recording how it ended. */
function standIn() {
  const calls = { ended: false, state: undefined as unknown, endedIn: undefined as unknown };
  const call = {
    get ended() {
      return calls.ended;
    },
    update() {},
    set(_key: string, value: unknown) {
      calls.state = value;
    },
    end() {
      calls.ended = true;
      calls.endedIn = context.active();
    },
  };
  return { call: call as unknown as Call, calls };
}

describe('OpenStreams', () => {
  it('streams end in any order, and one forgotten twice counts once', () => {
    const streams = new OpenStreams(600_000);
    const watches = [standIn(), standIn(), standIn(), standIn()].map(({ call }) =>
      streams.watch(call, {}, undefined),
    );
    expect(streams.size).toBe(4);
    streams.forget(watches[1]!);
    streams.forget(watches[1]!);
    expect(streams.size).toBe(3);
    streams.forget(watches[3]!);
    streams.forget(watches[0]!);
    expect(streams.size).toBe(1);
    streams.forget(watches[2]!);
    expect(streams.size).toBe(0);
  });

  it('a second holder of the same stream is one stream', () => {
    const streams = new OpenStreams(600_000);
    const { call } = standIn();
    const w = streams.watch(call, {}, undefined);
    expect(streams.watch(call, {}, w)).toBe(w);
    expect(streams.size).toBe(1);
    streams.forget(w);
    expect(streams.size).toBe(0);
  });

  it('the sweep ends the idle streams and keeps the ones being read', async () => {
    const streams = new OpenStreams(40);
    const [a, b, c] = [standIn(), standIn(), standIn()];
    streams.watch(a.call, {}, undefined);
    const read = streams.watch(b.call, {}, undefined);
    streams.watch(c.call, {}, undefined);
    for (let i = 0; i < 10 && !(a.calls.ended && c.calls.ended); i++) {
      read.seen = true;
      await sleep(15);
    }
    expect(a.calls).toMatchObject({ ended: true, state: 'idle' });
    expect(c.calls).toMatchObject({ ended: true, state: 'idle' });
    expect(b.calls.ended).toBe(false);
    expect(streams.size).toBe(1);
    streams.forget(read);
    expect(streams.size).toBe(0);
  });

  it('the timers run outside the context of the call that started them (they would keep it)', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const streams = new OpenStreams(20);
      const { call, calls } = standIn();
      const inCall = ROOT_CONTEXT.setValue(createContextKey('a call'), 'its span');
      context.with(inCall, () => streams.watch(call, {}, undefined));
      for (let i = 0; i < 20 && !calls.ended; i++) await sleep(10);
      expect(calls.ended).toBe(true);
      expect(calls.endedIn).toBe(ROOT_CONTEXT);
    } finally {
      context.disable();
      manager.disable();
    }
  });
});
