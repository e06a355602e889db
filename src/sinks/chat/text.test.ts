import { describe, expect, it } from 'vitest';
import { withoutCommandStart } from '../../core/reply.js';
import { codePoints, cutWithEllipsis, fitReply } from './text.js';

const twitch = { maxLength: 500, long: 'split' as const, maxParts: 3 };

describe('withoutCommandStart (command-injection guard)', () => {
  it.each([
    ['/ban streamer', 'ban streamer'],
    ['.timeout viewer 600', 'timeout viewer 600'],
    ['  /ban streamer', 'ban streamer'],
    ['\t\n/ban x', 'ban x'],
    ['\u200B/ban x', 'ban x'],
    ['\uFEFF.ban x', 'ban x'],
    ['\u2060\u00A0/ban x', 'ban x'],
    ['\u{E0020}/ban x', 'ban x'],
    ['\u202E/ban x', 'ban x'],
    ['/ /ban x', 'ban x'],
    ['././/ban x', 'ban x'],
    ['\\ban x', 'ban x'],
    ['\uFF0Fban x', 'ban x'],
    ['\u3000/mod x', 'mod x'],
  ])('%j loses its command start', (input, safe) => {
    expect(withoutCommandStart(input)).toBe(safe);
  });

  it('leaves safe text as it is, a slash or dot inside included', () => {
    expect(withoutCommandStart('cutoff set to 0.7 / 1')).toBe('cutoff set to 0.7 / 1');
    expect(withoutCommandStart('@ada /ban is not a command here')).toBe('@ada /ban is not a command here');
  });

  it('leaves nothing of a text that is only a command start', () => {
    expect(withoutCommandStart(' / . \u200B')).toBe('');
  });
});

describe('fitReply', () => {
  it('sends a short reply as it is, trimmed', () => {
    expect(fitReply('cutoff set to 0.7  ', twitch)).toEqual(['cutoff set to 0.7']);
  });

  it('splits a long reply on word boundaries, every part within the limit', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const parts = fitReply(words, { maxLength: 50, long: 'split', maxParts: 10 });
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(codePoints(part)).toBeLessThanOrEqual(50);
    expect(parts.join(' ')).toBe(words);
    for (const part of parts) expect(part).toMatch(/^word\d+( word\d+)*$/);
  });

  it('cuts the last allowed part with an ellipsis', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const parts = fitReply(words, { maxLength: 20, long: 'split', maxParts: 2 });
    expect(parts).toHaveLength(2);
    expect(parts[1]?.endsWith('…')).toBe(true);
    expect(codePoints(parts[1] ?? '')).toBeLessThanOrEqual(20);
  });

  it('cut mode sends one message ending with an ellipsis', () => {
    const parts = fitReply('one two three four five six', { maxLength: 12, long: 'cut', maxParts: 3 });
    expect(parts).toEqual(['one two…']);
  });

  it('a word longer than the limit is cut inside', () => {
    const parts = fitReply('x'.repeat(25), { maxLength: 10, long: 'split', maxParts: 5 });
    expect(parts).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('counts code points, not UTF-16 units (an emoji is one character)', () => {
    const text = '🎹'.repeat(200);
    const parts = fitReply(text, { maxLength: 200, long: 'split', maxParts: 3 });
    expect(parts).toEqual([text]);
  });

  it('no part after a split starts with a command', () => {
    const parts = fitReply(`${'a'.repeat(9)} /ban streamer`, { maxLength: 10, long: 'split', maxParts: 5 });
    expect(parts).toEqual(['a'.repeat(9), 'ban', 'streamer']);
    for (const part of parts) expect(withoutCommandStart(part)).toBe(part);
  });

  it('an empty or command-only reply gives no message', () => {
    expect(fitReply('   ', twitch)).toEqual([]);
    expect(fitReply('/', twitch)).toEqual([]);
  });
});

describe('cutWithEllipsis', () => {
  it('keeps what fits', () => {
    expect(cutWithEllipsis('short', 10)).toBe('short');
    expect(cutWithEllipsis('abcdefghijkl', 5)).toBe('abcd…');
  });
});
