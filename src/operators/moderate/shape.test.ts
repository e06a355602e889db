import { describe, expect, it } from 'vitest';
import { measureShape, tooManyCapsIn, tooManySymbolsIn } from './shape.js';

describe('measureShape', () => {
  it('counts capitals, cased letters, symbols and visible characters', () => {
    expect(measureShape('Hi THERE!! 😀')).toEqual({ upper: 6, cased: 7, symbols: 2, visible: 10 });
  });

  it('keeps each measurement its own: measuring one text does not change another', () => {
    const shouting = measureShape('STOP SHOUTING');
    const quiet = measureShape('fine, thanks');
    const symbols = measureShape('$$$ !!! ###');
    expect(tooManyCapsIn(shouting, 0.7, 5)).toBe(true);
    expect(tooManyCapsIn(quiet, 0.7, 5)).toBe(false);
    expect(tooManySymbolsIn(symbols, 0.5, 5)).toBe(true);
    expect(tooManySymbolsIn(shouting, 0.5, 5)).toBe(false);
  });
});
