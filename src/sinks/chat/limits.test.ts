import { describe, expect, it } from 'vitest';
import { platformLimits, RecentTexts, SendWindow } from './limits.js';

describe('platformLimits', () => {
  it('Twitch: 20 per 30 s as a viewer, 100 as moderator or broadcaster, 500 characters, 30 s duplicates', () => {
    expect(platformLimits('twitch', 'viewer', 7)).toEqual({ perWindow: 20, windowMs: 30_000, maxLength: 500, duplicateMs: 30_000 });
    expect(platformLimits('twitch', 'moderator', 7).perWindow).toBe(100);
    expect(platformLimits('twitch', 'broadcaster', 7).perWindow).toBe(100);
  });

  it('YouTube 200 and Kick 500 characters, at the configured rate (none is published)', () => {
    expect(platformLimits('youtube', 'viewer', 7)).toMatchObject({ perWindow: 7, maxLength: 200 });
    expect(platformLimits('kick', 'moderator', 9)).toMatchObject({ perWindow: 9, maxLength: 500 });
  });
});

describe('SendWindow', () => {
  it('lets `perWindow` sends through, then the next when the oldest leaves the window', () => {
    const w = new SendWindow({ perWindow: 2, windowMs: 100 });
    expect(w.nextFree(0)).toBe(0);
    w.reserve(0);
    w.reserve(10);
    expect(w.nextFree(20)).toBe(100);
    expect(w.nextFree(100)).toBe(100);
    expect(w.count(100)).toBe(1);
    expect(w.nextFree(105)).toBe(105);
  });

  it('counts a send from when it was answered, so a slow request does not open the window early', () => {
    const w = new SendWindow({ perWindow: 1, windowMs: 100 });
    const started = w.reserve(0);
    w.settle(started, 40);
    expect(w.nextFree(100)).toBe(140);
  });
});

describe('RecentTexts', () => {
  it('refuses the same text within the window, allows it after, and allows others', () => {
    const r = new RecentTexts(30_000);
    r.sent('hello', 1000);
    expect(r.allowedAt('hello', 2000)).toBe(31_000);
    expect(r.allowedAt('other', 2000)).toBe(2000);
    expect(r.allowedAt('hello', 31_000)).toBe(31_000);
  });

  it('with no duplicate rule, any text goes', () => {
    const r = new RecentTexts(0);
    r.sent('hello', 1000);
    expect(r.allowedAt('hello', 1001)).toBe(1001);
  });
});
