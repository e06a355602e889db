import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatestPerKey } from './latestPerKey.js';

describe('LatestPerKey', () => {
  it('replaces the waiting value of a key with a newer one, handing the older one to onSuperseded', () => {
    const superseded: string[] = [];
    const latest = new LatestPerKey<string>((v) => superseded.push(v));
    latest.hold('cutoff', 'c1');
    latest.hold('pitch', 'p1');
    latest.hold('cutoff', 'c2');
    expect(latest.replace('cutoff', 'c3')).toBe(true);
    expect(superseded).toEqual(['c1', 'c2']);
    expect(latest.size).toBe(2);
    expect(latest.take('cutoff')).toBe('c3');
    expect(latest.take('cutoff')).toBeUndefined();
    expect(latest.has('cutoff')).toBe(false);
    expect(latest.take('pitch')).toBe('p1');
    expect(latest.size).toBe(0);
  });

  it('replace holds nothing when no value of the key waits', () => {
    const superseded: string[] = [];
    const latest = new LatestPerKey<string>((v) => superseded.push(v));
    expect(latest.replace('cutoff', 'c1')).toBe(false);
    expect(latest.has('cutoff')).toBe(false);
    expect(latest.size).toBe(0);
    expect(superseded).toEqual([]);
  });

  it('supersede drops the waiting value (counted); clear returns what waited without counting', () => {
    const superseded: string[] = [];
    const latest = new LatestPerKey<string>((v) => superseded.push(v));
    latest.hold('a', 'a1');
    latest.hold('b', 'b1');
    latest.hold('c', 'c1');
    expect(latest.supersede('a')).toBe(true);
    expect(latest.supersede('a')).toBe(false);
    expect(superseded).toEqual(['a1']);
    expect(latest.clear()).toEqual(['b1', 'c1']);
    expect(superseded).toEqual(['a1']);
    expect(latest.size).toBe(0);
  });

  it('keeps a value that is undefined apart from "nothing waits"', () => {
    const superseded: Array<number | undefined> = [];
    const latest = new LatestPerKey<number | undefined>((v) => superseded.push(v));
    latest.hold('k', undefined);
    expect(latest.has('k')).toBe(true);
    expect(latest.replace('k', 1)).toBe(true);
    expect(superseded).toEqual([undefined]);
  });

  it('holds exactly the newest value per key, and every other value is superseded once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.boolean()), { maxLength: 100 }), (ops) => {
        const superseded: number[] = [];
        const taken: number[] = [];
        const latest = new LatestPerKey<number>((v) => superseded.push(v));
        const model = new Map<string, number>();
        ops.forEach(([key, takeIt], i) => {
          if (takeIt) {
            const value = latest.take(key);
            expect(value).toBe(model.get(key));
            if (value !== undefined) taken.push(value);
            model.delete(key);
          } else {
            latest.hold(key, i);
            model.set(key, i);
          }
        });
        expect(latest.size).toBe(model.size);
        const left = latest.clear();
        expect(left.sort((x, y) => x - y)).toEqual([...model.values()].sort((x, y) => x - y));
        const held = ops.filter(([, takeIt]) => !takeIt).length;
        expect(superseded.length + taken.length + left.length).toBe(held);
      }),
      { numRuns: 200 },
    );
  });
});
