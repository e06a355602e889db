import { describe, expect, it } from 'vitest';
import { unsafePattern } from './regex.js';

describe('regex safety', () => {
  it('refuses nested quantifiers', () => {
    for (const pattern of ['(a+)+$', '(a*)*', '(\\w+\\s?)*$', '(?:ab+){2,}', '((a|b)+c)+', '(x+x+)+y', '(.*a){3}']) {
      expect(unsafePattern(pattern), pattern).toMatch(/quantifier on a group|repeated group of alternatives/);
    }
  });

  it('refuses repeated groups of alternatives, which backtrack exponentially when they overlap', () => {
    for (const pattern of ['(?:a|aa)+x', '(\\w|\\d)+x', '(a|ab)*c', '((a|aa)b)+', '(?:ab|Ac)+', '(?<n>x|[xy]){2,}z']) {
      expect(unsafePattern(pattern), pattern).toMatch(/repeated group of alternatives/);
    }
    for (const pattern of ['(foo|bar)', '(?:buy|cheap) ?followers', 'a|b+', '(a|b)?c', '[ab]+c', '(?:foo|bar)+', '(x|y){2,}z']) {
      expect(unsafePattern(pattern), pattern).toBeUndefined();
    }
  });

  it('refuses back-references and too many unbounded quantifiers', () => {
    expect(unsafePattern('(a*)\\1')).toMatch(/back-references/);
    expect(unsafePattern('(?<x>a)\\k<x>')).toMatch(/back-references/);
    expect(unsafePattern('a*a*a*a*b')).toMatch(/on `a`/);
    expect(unsafePattern('a.*b.*!')).toMatch(/wide atoms/);
    expect(unsafePattern('[^x]+y(ab)+z\\S+')).toMatch(/wide atoms/);
    expect(unsafePattern('a.*b\\w+!')).toMatch(/cubic/);
    expect(unsafePattern('\\w+a.*!')).toMatch(/cubic/);
    expect(unsafePattern('a+b+c+d+e+f+g+h+i+')).toMatch(/more than 8 unbounded/);
  });

  it('accepts ordinary patterns', () => {
    for (const pattern of [
      '\\bfree (btc|eth)\\b',
      '\\d{3}[ .-]?\\d{3}[ .-]?\\d{4}',
      '^!\\w+\\s+\\w+',
      '(ab)?c+',
      '[(+*)]+',
      '\\(a+\\)+',
      'a{2}b{1,3}',
      '(?:foo|bar)+',
      '^\\w+\\s+\\w+\\s+\\w+$',
      'a.*b',
      'a.{0,40}b.{0,40}!',
    ]) {
      expect(unsafePattern(pattern), pattern).toBeUndefined();
    }
  });
});
