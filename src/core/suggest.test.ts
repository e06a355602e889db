import { describe, expect, it } from 'vitest';
import { editDistance, suggest, suggestionLimit } from './suggest.js';

describe('editDistance', () => {
  it('is 0 for equal strings and the length of the other for an empty one', () => {
    expect(editDistance('rate', 'rate')).toBe(0);
    expect(editDistance('', 'rate')).toBe(4);
    expect(editDistance('rate', '')).toBe(4);
  });

  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('cv', 'cvv')).toBe(1);
    expect(editDistance('inputs', 'input')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('counts a swap of two adjacent characters as one edit', () => {
    expect(editDistance('sede', 'seed')).toBe(1);
    expect(editDistance('dmeo', 'demo')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
  });

  it('is symmetric', () => {
    expect(editDistance('throttle', 'trottle')).toBe(editDistance('trottle', 'throttle'));
  });
});

describe('suggestionLimit', () => {
  it('allows no edit for one character, one up to four, then a third of the length (at least 2)', () => {
    expect([1, 2, 4, 5, 8, 9, 12].map(suggestionLimit)).toEqual([0, 1, 1, 2, 2, 3, 4]);
  });
});

describe('suggest', () => {
  it('finds the nearest candidate within the limit', () => {
    expect(suggest('sede', ['rate', 'seed', 'users'])).toBe('seed');
    expect(suggest('parse_comand', ['parse_command', 'moderate'])).toBe('parse_command');
  });

  it('prefers a case-insensitive exact match over a closer-looking one', () => {
    expect(suggest('Rate', ['rat', 'rate'])).toBe('rate');
    expect(suggest('OSC', ['osc'])).toBe('osc');
  });

  it('returns undefined when nothing is close enough', () => {
    expect(suggest('zzz', ['rate', 'seed'])).toBeUndefined();
    expect(suggest('x', ['y'])).toBeUndefined();
    expect(suggest('anything', [])).toBeUndefined();
  });

  it('takes the earliest candidate on a tie', () => {
    expect(suggest('cat', ['bat', 'hat'])).toBe('bat');
  });

  it('never suggests the input itself', () => {
    expect(suggest('rate', ['rate'])).toBeUndefined();
  });
});
