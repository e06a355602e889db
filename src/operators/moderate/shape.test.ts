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

  it('allows exactly max_ratio and catches from min_letters / min_length on', () => {
    // 7 of 10 cased letters upper case is the most 0.7 allows; 8 of 10 is too many.
    expect(tooManyCapsIn(measureShape('ABCDEFGhij'), 0.7, 10)).toBe(false);
    expect(tooManyCapsIn(measureShape('ABCDEFGHij'), 0.7, 10)).toBe(true);
    expect(tooManyCapsIn(measureShape('ABCDEFGHi'), 0.7, 10)).toBe(false);
    // 6 of 12 visible characters symbols is the most 0.5 allows; 7 of 12 is too many.
    expect(tooManySymbolsIn(measureShape('abcdef!!!!!!'), 0.5, 12)).toBe(false);
    expect(tooManySymbolsIn(measureShape('abcde!!!!!!!'), 0.5, 12)).toBe(true);
    expect(tooManySymbolsIn(measureShape('abcd!!!!!!!'), 0.5, 12)).toBe(false);
  });
});
