import { describe, expect, it } from 'vitest';
import { setBounded } from './boundedMap.js';

describe('setBounded', () => {
  it('forgets the oldest key to make room for a new one, never for a key it holds', () => {
    const map = new Map<string, number>();
    setBounded(map, 'a', 1, 2);
    setBounded(map, 'b', 2, 2);
    setBounded(map, 'a', 3, 2);
    expect([...map]).toEqual([['a', 3], ['b', 2]]);
    setBounded(map, 'c', 4, 2);
    expect([...map]).toEqual([['b', 2], ['c', 4]]);
  });
});
