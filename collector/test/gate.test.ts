import { describe, expect, it } from 'vitest';
import { Gate } from '../src/service/gate.js';

describe('Gate', () => {
  it('lets `size` callers through at once and the rest in arrival order', async () => {
    const gate = new Gate(2);
    const order: string[] = [];
    const pass = async (name: string, leave: Promise<void>) => {
      await gate.enter();
      order.push(`in ${name}`);
      await leave;
      order.push(`out ${name}`);
      gate.leave();
    };
    const releases: (() => void)[] = [];
    const hold = () => new Promise<void>((r) => releases.push(r));
    const all = Promise.all(['a', 'b', 'c', 'd'].map((n) => pass(n, hold())));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['in a', 'in b']);
    releases[1]!(); // b leaves first: c takes its place, d still waits
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['in a', 'in b', 'out b', 'in c']);
    for (const r of releases) r();
    await all;
    expect(order.filter((o) => o.startsWith('in'))).toEqual(['in a', 'in b', 'in c', 'in d']);
  });

  it('refuses a size that lets nobody through', () => {
    expect(() => new Gate(0)).toThrow(RangeError);
  });
});
