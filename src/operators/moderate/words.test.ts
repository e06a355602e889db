import { describe, expect, it } from 'vitest';
import { compileWords, entryProblem, globMatch, parseWordFile } from './words.js';
import { foldText } from '../shared/text.js';

const matcher = compileWords(['badword', 'ass', 'hell', 'free followers', 'scam*', '*coin', 'H3LL0 W0RLD']);
const hit = (text: string) => matcher.match(foldText(text));

describe('banned words', () => {
  it('matches whole words only (no Scunthorpe problem)', () => {
    for (const text of ['class', 'assassin', 'pass the bass', 'hello', 'shell', 'Scunthorpe', 'grasshopper', 'as']) {
      expect(hit(text), text).toBeUndefined();
    }
    expect(hit('you ass')).toBe('ass');
    expect(hit('what the hell')).toBe('hell');
  });

  it('matches phrases, also written as one word, and entries written in leetspeak', () => {
    expect(hit('get free followers today')).toBe('free followers');
    expect(hit('freefollowers')).toBe('free followers');
    expect(hit('free stuff, followers')).toBeUndefined();
    expect(hit('hello world')).toBe('H3LL0 W0RLD');
  });

  it('supports `*` wildcards', () => {
    expect(hit('scammer')).toBe('scam*');
    expect(hit('scam')).toBe('scam*');
    expect(hit('bitcoin')).toBe('*coin');
    expect(hit('coins')).toBeUndefined();
  });

  it('catches stretched, split and glued words, but never a shorter one', () => {
    expect(hit('baaaadwoooord')).toBe('badword');
    expect(hit('asss')).toBe('ass');
    expect(hit('b a d w o r d')).toBe('badword');
    expect(hit('lol b a d w o r d lol')).toBe('badword');
    expect(hit('bad.word')).toBe('badword');
    expect(hit('b-a-d-w-o-r-d')).toBe('badword');
    expect(hit('bad word')).toBe('badword');
    expect(hit('badwor')).toBeUndefined();
  });

  it('checks entries', () => {
    expect(entryProblem('ok')).toBeUndefined();
    expect(entryProblem('***')).toMatch(/only `\*`/);
    expect(entryProblem('a*b*c*d*e')).toMatch(/more than 3/);
    expect(entryProblem('!!!')).toMatch(/no letters/);
  });

  it('reads word files without comments and empty lines', () => {
    expect(parseWordFile('# c\r\n\n badword \nfree followers\n')).toEqual(['badword', 'free followers']);
  });

  it('glob-matches, also long text against several stars', () => {
    expect(globMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyy')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('a*a*a*b', 'a'.repeat(5000))).toBe(false);
  });
});
