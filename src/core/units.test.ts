import { describe, expect, it } from 'vitest';
import { duration, formatDuration, parseDuration, parseRate, perSecond, rate } from './units.js';

describe('durations', () => {
  it.each([
    ['80ms', 80],
    ['2s', 2000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    [' 10 ms ', 10],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['80', 'ms', '2 sec', '-1s', '1d', ''])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('is a zod schema with a message naming the units', () => {
    expect(duration().parse('2s')).toBe(2000);
    const result = duration().safeParse('2 seconds');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('"80ms", "2s", "5m" or "1h"');
  });

  it('formats back to the shortest exact unit', () => {
    expect([1500, 2000, 300_000, 7_200_000, 0].map(formatDuration)).toEqual(['1500ms', '2s', '5m', '2h', '0ms']);
  });
});

describe('rates', () => {
  it.each([
    ['20/s', 20, 1000, 20],
    ['1/2s', 1, 2000, 0.5],
    ['300/m', 300, 60_000, 5],
    ['5 / 100ms', 5, 100, 50],
  ])('parses %s', (text, count, periodMs, eps) => {
    const r = parseRate(text);
    expect(r).toEqual({ count, periodMs });
    expect(perSecond(r!)).toBeCloseTo(eps);
  });

  it.each(['20', '20/', '/s', '20/0s', 'fast'])('rejects %j', (text) => {
    expect(parseRate(text)).toBeUndefined();
  });

  it('refuses a rate of zero events', () => {
    expect(rate().safeParse('0/s').success).toBe(false);
    expect(rate().parse('3/s')).toEqual({ count: 3, periodMs: 1000 });
  });
});
