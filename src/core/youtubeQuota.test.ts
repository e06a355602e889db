import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { msUntilQuotaReset, nextQuotaReset, QUOTA_COST, type QuotaSnapshot, quotaDay, YoutubeQuota } from './youtubeQuota.js';

const HOUR = 3_600_000;
const budget = { project: 'default', dailyQuota: 10_000 };

describe('the quota day (midnight to midnight Pacific)', () => {
  it('counts days in Pacific time: PDT (UTC-7) in summer, PST (UTC-8) in winter', () => {
    expect(quotaDay(Date.UTC(2026, 6, 2, 6, 59))).toBe('2026-07-01');
    expect(quotaDay(Date.UTC(2026, 6, 2, 7, 0))).toBe('2026-07-02');
    expect(quotaDay(Date.UTC(2026, 11, 2, 7, 59))).toBe('2026-12-01');
    expect(quotaDay(Date.UTC(2026, 11, 2, 8, 0))).toBe('2026-12-02');
  });

  it('resets at the next midnight Pacific on ordinary days', () => {
    expect(msUntilQuotaReset(Date.UTC(2026, 11, 2, 7, 0))).toBe(HOUR);
    expect(msUntilQuotaReset(Date.UTC(2026, 11, 2, 8, 0))).toBe(24 * HOUR);
  });

  it('is exact across the change to summer time: the day of 8 March 2026 is 23 hours long', () => {
    // 01:00 PST on 8 March; the clocks jump at 02:00, so midnight is 07:00 UTC on the 9th.
    expect(nextQuotaReset(Date.UTC(2026, 2, 8, 9, 0))).toBe(Date.UTC(2026, 2, 9, 7, 0));
    expect(msUntilQuotaReset(Date.UTC(2026, 2, 8, 8, 0))).toBe(23 * HOUR);
    // The evening before is still winter time: midnight is 08:00 UTC.
    expect(nextQuotaReset(Date.UTC(2026, 2, 7, 20, 0))).toBe(Date.UTC(2026, 2, 8, 8, 0));
  });

  it('is exact across the change to winter time: the day of 1 November 2026 is 25 hours long', () => {
    expect(msUntilQuotaReset(Date.UTC(2026, 10, 1, 7, 0))).toBe(25 * HOUR);
    expect(nextQuotaReset(Date.UTC(2026, 10, 1, 7, 30))).toBe(Date.UTC(2026, 10, 2, 8, 0));
  });

  it('the reset is always the first instant of the next quota day, never more than 25 h away', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2031, 0, 1) }), (t) => {
        const reset = nextQuotaReset(t);
        expect(reset).toBeGreaterThan(t);
        expect(reset - t).toBeLessThanOrEqual(25 * HOUR);
        expect(quotaDay(reset)).not.toBe(quotaDay(t));
        expect(quotaDay(reset - 1)).toBe(quotaDay(t));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('YoutubeQuota', () => {
  const noon = Date.UTC(2026, 11, 2, 20); // 12:00 PST

  it('adds up reading and sending of one project in one count', () => {
    const quota = new YoutubeQuota();
    quota.spend(budget, 'read', QUOTA_COST['liveChatMessages.list'], noon);
    quota.spend(budget, 'read', QUOTA_COST['videos.list'], noon);
    quota.spend(budget, 'send', QUOTA_COST['liveChatMessages.insert'], noon);
    expect(quota.usage('default', noon)).toEqual({ read: 6, send: 20, exhausted: false });
    expect(quota.used('default', noon)).toBe(26);
    expect(quota.remaining(budget, noon)).toBe(10_000 - 26);
  });

  it('keeps projects apart', () => {
    const quota = new YoutubeQuota();
    quota.spend(budget, 'read', 500, noon);
    quota.spend({ project: 'reader', dailyQuota: 1000 }, 'read', 100, noon);
    expect(quota.remaining(budget, noon)).toBe(9500);
    expect(quota.remaining({ project: 'reader', dailyQuota: 1000 }, noon)).toBe(900);
  });

  it('starts over at midnight Pacific, also on the night clocks change', () => {
    const quota = new YoutubeQuota();
    const beforeChange = Date.UTC(2026, 10, 1, 6, 59); // 23:59 PDT on 31 October
    quota.spend(budget, 'send', 9000, beforeChange);
    expect(quota.remaining(budget, beforeChange)).toBe(1000);
    // 00:30 PDT on 1 November: a new day, although UTC's date did not change.
    expect(quota.remaining(budget, Date.UTC(2026, 10, 1, 7, 30))).toBe(10_000);
    quota.spend(budget, 'read', 100, Date.UTC(2026, 10, 1, 7, 30));
    // 23:30 PST on 1 November is 25 h after midnight: still the same (long) day.
    expect(quota.used('default', Date.UTC(2026, 10, 2, 7, 30))).toBe(100);
    expect(quota.used('default', Date.UTC(2026, 10, 2, 8, 0))).toBe(0);
  });

  it('warns once at 80% and once at 95% per day, whoever spends', () => {
    const quota = new YoutubeQuota();
    const small = { project: 'default', dailyQuota: 100 };
    expect(quota.spend(small, 'read', 79, noon)).toEqual([]);
    expect(quota.spend(small, 'send', 20, noon)).toEqual([0.8, 0.95]);
    expect(quota.spend(small, 'read', 1, noon)).toEqual([]);
    expect(quota.spend(small, 'read', 80, noon + 24 * HOUR)).toEqual([0.8]);
  });

  it('has nothing left once Google said quotaExceeded, until the time given, never past the reset', () => {
    const quota = new YoutubeQuota();
    quota.exhausted('default', noon, noon + HOUR);
    expect(quota.remaining(budget, noon)).toBe(0);
    expect(quota.usage('default', noon).exhausted).toBe(true);
    expect(quota.maySend(budget, 0, 20, noon)).toMatchObject({ ok: false, reason: 'quota_exhausted', detail: expect.stringMatching(/quotaExceeded/) });
    expect(quota.remaining(budget, noon + HOUR)).toBe(10_000);
    quota.exhausted('default', noon, noon + 48 * HOUR);
    expect(quota.remaining(budget, noon + 11 * HOUR)).toBe(0);
    expect(quota.remaining(budget, noon + 12 * HOUR)).toBe(10_000);
  });

  describe('the reading reserve', () => {
    const small = { project: 'default', dailyQuota: 1000 };

    it('keeps reading’s share from sending: with a reserve of 0.4, sends stop at 600 units while nothing was read', () => {
      const quota = new YoutubeQuota();
      let sent = 0;
      while (quota.maySend(small, 0.4, 20, noon).ok) {
        quota.spend(small, 'send', 20, noon);
        sent += 1;
      }
      expect(sent).toBe(30);
      expect(quota.maySend(small, 0.4, 20, noon)).toMatchObject({ ok: false, reason: 'quota_reserved' });
      // Reading can still spend the whole reserve.
      expect(quota.remaining(small, noon)).toBe(400);
    });

    it('lets sending use what reading spent of its share: the guarantee is what reading has not used yet', () => {
      const quota = new YoutubeQuota();
      quota.spend(small, 'read', 300, noon);
      expect(quota.sendable(small, 0.4, noon)).toBe(600);
      quota.spend(small, 'read', 200, noon);
      // Reading spent more than its share: sending may have everything left.
      expect(quota.sendable(small, 0.4, noon)).toBe(500);
    });

    it('answers quota_exhausted (not reserved) when nothing is left at all', () => {
      const quota = new YoutubeQuota();
      quota.spend(small, 'read', 990, noon);
      expect(quota.maySend(small, 0.4, 20, noon)).toMatchObject({ ok: false, reason: 'quota_exhausted' });
    });

    it('never lets sending and reading together past the budget, nor sending into the reserve', () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom<'read' | 'send'>('read', 'send'), { maxLength: 300 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (calls, reserve) => {
            const quota = new YoutubeQuota();
            for (const call of calls) {
              if (call === 'send' && quota.maySend(small, reserve, 20, noon).ok) quota.spend(small, 'send', 20, noon);
              if (call === 'read' && quota.remaining(small, noon) >= 5) quota.spend(small, 'read', 5, noon);
            }
            const u = quota.usage('default', noon);
            expect(u.read + u.send).toBeLessThanOrEqual(1000);
            expect(u.send).toBeLessThanOrEqual(1000 - Math.floor(reserve * 1000));
          },
        ),
      );
    });
  });

  describe('persistence', () => {
    it('tells every change, and a restart the same day carries on from the snapshot', () => {
      const seen: QuotaSnapshot[] = [];
      const first = new YoutubeQuota({ onChange: (s) => seen.push(s) });
      first.spend(budget, 'read', 5, noon);
      first.spend(budget, 'send', 20, noon);
      expect(seen.at(-1)).toEqual({ day: '2026-12-02', projects: { default: { read: 5, send: 20 } } });
      first.exhausted('default', noon, noon + HOUR);
      expect(seen.at(-1)).toEqual({ day: '2026-12-02', projects: { default: { read: 5, send: 20, exhaustedUntil: noon + HOUR } } });
      const again = new YoutubeQuota({ restore: JSON.parse(JSON.stringify(seen.at(-1))) as QuotaSnapshot });
      expect(again.used('default', noon + HOUR)).toBe(25);
      expect(again.remaining(budget, noon + HOUR - 1)).toBe(0);
    });

    it('forgets a snapshot of an earlier day', () => {
      const quota = new YoutubeQuota({ restore: { day: '2026-12-01', projects: { default: { read: 5000, send: 0, exhaustedUntil: noon } } } });
      expect(quota.remaining(budget, noon)).toBe(10_000);
    });
  });
});
