import { describe, expect, it } from 'vitest';
import { formatUsd, MoneySum, multiply, perMillionToPusd, usdToPusd } from '../src/money.js';

describe('money', () => {
  it('turns per-million prices into whole pico-dollars per token', () => {
    expect(perMillionToPusd(2.5)).toBe(2_500_000);
    expect(perMillionToPusd(0.0375)).toBe(37_500);
    expect(perMillionToPusd(0.01875)).toBe(18_750);
    expect(usdToPusd(0.134)).toBe(134_000_000_000);
  });

  it('multiplies exactly beyond 2^53', () => {
    expect(multiply(3_000_000_000, 5_000_000_000)).toBe(15_000_000_000_000_000_000);
    expect(multiply(8, 400_000_000_000)).toBe(3_200_000_000_000);
  });

  it('sums a million small costs to the exact total', () => {
    // 1,000,000 calls of 137 tokens at $0.15/1M: exactly $20.55.
    const sum = new MoneySum();
    let naive = 0;
    const each = multiply(137, perMillionToPusd(0.15));
    for (let i = 0; i < 1_000_000; i++) {
      sum.addPusd(each);
      naive += each / 1e12;
    }
    expect(sum.pusd).toBe(20_550_000_000_000n);
    expect(sum.usd).toBe(20.55);
    expect(formatUsd(sum.usd)).toBe('20.550000');
    expect(naive).not.toBe(20.55); // what the float sum would have shown
  });

  it('formats six decimals and says unpriced for null', () => {
    expect(formatUsd(0.1344)).toBe('0.134400');
    expect(formatUsd(null)).toBe('unpriced');
  });

  it('refuses a fractional pico-dollar amount', () => {
    expect(() => new MoneySum().addPusd(1.5)).toThrow(TypeError);
  });
});
