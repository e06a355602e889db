import { describe, expect, it } from 'vitest';
import { seriesKey } from './hub.js';

describe('seriesKey', () => {
  it('is the name with sorted labels', () => {
    expect(seriesKey('x', {})).toBe('x');
    expect(seriesKey('x', { b: '2', a: '1' })).toBe('x{a=1,b=2}');
  });
});
