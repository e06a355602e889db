import { describe, expect, it } from 'vitest';
import { CopypastaIndex, newRepeatHistory, recordRepeat, signature, similarity, textHash } from './repeat.js';

const sig = (text: string) => {
  const out = new Uint32Array(16);
  signature(text, out);
  return out;
};

describe('repetition and copypasta', () => {
  it('hashes text without spaces and punctuation', () => {
    expect(textHash('spam me')).toBe(textHash('spam  me!'));
    expect(textHash('spam me')).not.toBe(textHash('spam you'));
  });

  it('counts repeats within the window and keeps a bounded history', () => {
    const history = newRepeatHistory();
    expect(recordRepeat(history, 1, 0, 1000, 3)).toBe(1);
    expect(recordRepeat(history, 1, 10, 1000, 3)).toBe(2);
    expect(recordRepeat(history, 2, 20, 1000, 3)).toBe(1);
    expect(recordRepeat(history, 1, 1005, 1000, 3)).toBe(2); // the one at 0 is out of the window
    expect(history.hashes).toHaveLength(3);
  });

  it('estimates similarity: identical 1, near copies high, different texts low', () => {
    const text = 'this is the copypasta everyone is sending right now';
    expect(similarity(sig(text), sig(text))).toBe(1);
    expect(similarity(sig(text), sig(`${text} lol`))).toBeGreaterThan(0.7);
    expect(similarity(sig(text), sig('a completely different message about the synth'))).toBeLessThan(0.3);
  });

  it('finds copies from enough users within the window, and forgets old messages', () => {
    const index = new CopypastaIndex(3, 1000, 0.7);
    const text = 'this is the copypasta everyone is sending right now';
    expect(index.check(text, 'a', 0, 3)).toBe(false);
    expect(index.check(text, 'a', 1, 3)).toBe(false); // the same user does not count twice
    expect(index.check(text, 'b', 2, 3)).toBe(false);
    expect(index.check(text, 'c', 3, 3)).toBe(true);
    expect(index.check(text, 'd', 2000, 3)).toBe(false); // all others are out of the window
    expect(index.size).toBe(3);
  });
});
