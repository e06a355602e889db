import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { BYTE_SIZE_HELP, byteSize, DURATION_HELP, duration, formatDuration, parseByteSize, parseDuration, parseRate, perSecond, RATE_HELP, rate } from './units.js';

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

  it.each(['80', 'ms', '2 sec', '-1s', '1d', '', `${'9'.repeat(400)}s`])('rejects %j', (text) => {
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

  it.each(['20', '20/', '/s', '20/0s', '0/0s', '5/0m', '1/0.0ms', `1/${'9'.repeat(400)}s`, 'fast'])('rejects %j', (text) => {
    expect(parseRate(text)).toBeUndefined();
  });

  it('refuses a rate of zero events', () => {
    expect(rate().safeParse('0/s').success).toBe(false);
    expect(rate().parse('3/s')).toEqual({ count: 3, periodMs: 1000 });
  });
});

describe('every duration and rate option refuses, never throws', () => {
  const issues = (schema: z.ZodType, input: unknown) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    return result.error?.issues.map((i) => i.message) ?? [];
  };

  it.each(['1/0s', '0/0s', '5/0m'])('refuses the zero period of %j as a zod issue naming the accepted forms', (text) => {
    // A refinement after the rate (as components add) must not see a half-parsed value.
    const schema = rate().refine((r) => r.count < 1000, 'at most 1000');
    expect(() => schema.safeParse(text)).not.toThrow();
    expect(issues(schema, text)).toEqual([`The period is zero. ${RATE_HELP}`]);
  });

  it('refuses numbers too large to be finite', () => {
    const huge = '9'.repeat(400);
    expect(issues(rate(), `${huge}/s`)).toEqual([`The number is too large. ${RATE_HELP}`]);
    expect(issues(duration().refine((ms) => ms > 1), `${huge}s`)).toEqual([`The number is too large. ${DURATION_HELP}`]);
  });

  it('says the same for a malformed rate whatever the input, with the extra word when there is one', () => {
    for (const input of ['20 per second', 'fast', 20, null]) {
      expect(issues(rate(), input)).toEqual([RATE_HELP]);
      expect(issues(rate({ or: 'max' }), input)).toEqual([`${RATE_HELP}, or "max"`]);
    }
    for (const input of ['2 seconds', 2, null]) expect(issues(duration(), input)).toEqual([DURATION_HELP]);
    expect(RATE_HELP).toContain('"20/s", "1/2s" or "300/m"');
  });

  it('parses the extra word to itself and a rate beside it', () => {
    expect(rate({ or: 'max' }).parse('max')).toBe('max');
    expect(rate({ or: 'off' }).parse('50/100ms')).toEqual({ count: 50, periodMs: 100 });
    expect(issues(rate({ or: 'max' }), 'off')).toEqual([`${RATE_HELP}, or "max"`]);
    expect(issues(rate({ or: 'max' }), '1/0s')).toEqual([`The period is zero. ${RATE_HELP}, or "max"`]);
  });
});

describe('byte sizes', () => {
  it.each([
    ['1GiB', 2 ** 30],
    ['512MiB', 512 * 2 ** 20],
    ['500MB', 500_000_000],
    ['1.5KiB', 1536],
    ['4096B', 4096],
    [' 2 GB ', 2e9],
  ])('parses %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['1', 'GiB', '1 gigabyte', '-1GiB', '1PiB', ''])('rejects %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });

  it('is a zod schema with a message naming the units, refusing zero', () => {
    expect(byteSize().parse('1GiB')).toBe(2 ** 30);
    expect(byteSize().safeParse('1 gig').error?.issues[0]?.message).toContain(BYTE_SIZE_HELP);
    expect(byteSize().safeParse('0MiB').error?.issues[0]?.message).toContain('above zero');
  });
});
