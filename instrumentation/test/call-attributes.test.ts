import { breakdownToUsd, pusdToUsd } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { breakdownJson, usdJson } from '../src/call-attributes.js';

describe('usdJson', () => {
  it('writes a pUSD amount in USD exactly as JSON.stringify writes the float', () => {
    const edges = [
      0,
      1,
      7,
      999_999,
      1_000_000,
      1_000_001,
      1_500_000,
      3_600_000,
      2_400_000,
      10 ** 12,
      10 ** 12 + 1,
      123_456_789_012_345,
      999_999_999_999_999,
      10 ** 15,
      10 ** 15 + 1,
      2 ** 53 - 1,
      0.5,
      1234.5,
      9e20,
    ];
    // Random amounts of every size, whole and (rarely) not.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const amounts = [...edges];
    for (let i = 0; i < 20_000; i++) amounts.push(Math.floor(10 ** (random() * 16) * random()));
    const wrong = amounts.filter((p) => usdJson(p) !== JSON.stringify(pusdToUsd(p)));
    expect(wrong).toEqual([]);
  });

  it('writes a whole breakdown as JSON.stringify(breakdownToUsd(b)) does', () => {
    const b = {
      input: 3_600_000,
      output: 2_400_000,
      cache_read: 0,
      cache_write: 187_500,
      reasoning: 12_000_000_000,
      media: 240_000_000_000,
    };
    expect(breakdownJson(b)).toBe(JSON.stringify(breakdownToUsd(b)));
  });
});
