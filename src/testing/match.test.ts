import { describe, expect, it } from 'vitest';
import { ABSENT, differences, project, show } from './match.js';

describe('differences', () => {
  it('compares only the fields written, at every depth', () => {
    expect(differences({ a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'x', d: 2 }, e: 3 }, 0)).toEqual([]);
    expect(differences({ b: { c: 'x' } }, { b: { c: 'y' } }, 0)).toEqual([{ path: 'b.c', expected: 'x', received: 'y' }]);
  });

  it('says a missing field is absent; `null` expects absent or null', () => {
    expect(differences({ a: 1 }, {}, 0)).toEqual([{ path: 'a', expected: 1, received: ABSENT }]);
    expect(differences({ a: null }, {}, 0)).toEqual([]);
    expect(differences({ a: null }, { a: null }, 0)).toEqual([]);
    expect(differences({ a: null }, { a: 0 }, 0)).toEqual([{ path: 'a', expected: null, received: 0 }]);
  });

  it('compares lists item by item, and their length', () => {
    expect(differences({ r: [0, 1] }, { r: [0, 1] }, 0)).toEqual([]);
    expect(differences({ r: [0, 1] }, { r: [0, 2] }, 0)).toEqual([{ path: 'r[1]', expected: 1, received: 2 }]);
    expect(differences({ r: [0] }, { r: [0, 1] }, 0)).toEqual([{ path: 'r', expected: [0], received: [0, 1] }]);
  });

  it('numbers: within the tolerance, and a float rounding is no difference', () => {
    expect(differences(0.3, 0.1 + 0.2, 0)).toEqual([]);
    expect(differences(0.7, 0.71, 0.01)).toEqual([]);
    expect(differences(0.7, 0.72, 0.01)).toEqual([{ path: '', expected: 0.7, received: 0.72 }]);
    expect(differences(1, '1', 0)).toEqual([{ path: '', expected: 1, received: '1' }]);
  });
});

describe('show and project', () => {
  it('cuts long values, and shows only the named fields of a received object', () => {
    expect(show('x'.repeat(200), 10)).toBe('"xxxxxxxx…');
    expect(project({ a: 1, b: { c: 1 } }, { a: 2, b: { c: 3, d: 4 }, e: 5 })).toBe('{"a":2,"b":{"c":3},…}');
    expect(project({ z: 1 }, { a: 2 })).toBe('{…}');
    expect(project({ a: 1 }, { a: 2 })).toBe('{"a":2}');
  });
});
