import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadgeCache, type IrcMessage, type IrcTags, MAX_EMOTE_RANGES, parseBadges, parseEmotes, rawTag, tag, unescapeTag } from './tags.js';

describe('unescapeTag', () => {
  it('decodes every IRCv3 escape', () => {
    expect(unescapeTag('Riot\\sGames')).toBe('Riot Games');
    expect(unescapeTag('a\\:b')).toBe('a;b');
    expect(unescapeTag('back\\\\slash')).toBe('back\\slash');
    expect(unescapeTag('line\\rbreak\\n!')).toBe('line\rbreak\n!');
  });

  it('keeps the character after an unknown escape and drops a trailing backslash', () => {
    expect(unescapeTag('\\a\\b')).toBe('ab');
    expect(unescapeTag('end\\')).toBe('end');
    expect(unescapeTag('\\')).toBe('');
  });

  it('reads `\\\\s` as a backslash followed by s, not as a space', () => {
    expect(unescapeTag('xgspidermonkey\\\\s')).toBe('xgspidermonkey\\s');
    expect(unescapeTag('xgspidermonkey\\s')).toBe('xgspidermonkey ');
  });

  it('returns the same string when there is nothing to unescape', () => {
    const plain = 'nothing to do here';
    expect(unescapeTag(plain)).toBe(plain);
  });
});

describe('rawTag and tag', () => {
  const raw = '@emotes=;color=#FF0000;display-name=Riot\\sGames;vip=1 :a!a@a.tmi.twitch.tv PRIVMSG #c :hi';
  const message = (tags: IrcTags): IrcMessage => ({ raw, tags, prefix: 'a!a@a.tmi.twitch.tv', command: 'PRIVMSG', params: ['#c', 'hi'] });
  const tags = { emotes: true, color: '#FF0000', 'display-name': 'Riot\\sGames', vip: '1' } as const;

  it('reads an empty value as the empty string, an absent one as undefined, and unescapes on `tag`', () => {
    expect(rawTag(message(tags), 'emotes')).toBe('');
    expect(rawTag(message(tags), 'bits')).toBeUndefined();
    expect(rawTag(message(tags), 'display-name')).toBe('Riot\\sGames');
    expect(tag(message(tags), 'display-name')).toBe('Riot Games');
  });

  it('reads nothing a plain object inherits as a tag', () => {
    expect(rawTag(message({ ...tags }), 'constructor')).toBeUndefined();
    expect(rawTag(message({ ...tags }), 'toString')).toBeUndefined();
  });
});

describe('parseBadges', () => {
  it('maps badge names to versions', () => {
    expect(parseBadges('moderator/1,subscriber/3024,partner/1')).toEqual({ moderator: '1', subscriber: '3024', partner: '1' });
  });

  it('is empty for an empty or absent tag, and tolerates junk', () => {
    expect(parseBadges('')).toEqual({});
    expect(parseBadges(undefined)).toEqual({});
    expect(parseBadges(',,noversion,/5,__proto__/1')).toEqual({ noversion: '' });
  });
});

describe('BadgeCache', () => {
  it('is owned by whoever creates it: one cache filling up leaves another empty', () => {
    const mine = new BadgeCache();
    const theirs = new BadgeCache();
    const first = mine.get('moderator/1,subscriber/12');
    expect(mine.get('moderator/1,subscriber/12')).toBe(first);
    expect(mine.size).toBe(1);
    expect(theirs.size).toBe(0);
    expect(parseBadges('vip/1', theirs)).toEqual({ vip: '1' });
    expect(theirs.size).toBe(1);
    expect(mine.size).toBe(1);
  });

  it('stays bounded: at capacity it starts over', () => {
    const cache = new BadgeCache(3);
    for (let i = 0; i < 3; i++) cache.get(`subscriber/${i}`);
    expect(cache.size).toBe(3);
    cache.get('subscriber/3');
    expect(cache.size).toBe(1);
    expect(cache.get('subscriber/0')).toEqual({ badges: { subscriber: '0' }, roles: expect.any(Number) });
  });
});

describe('parseEmotes', () => {
  it('counts code points, not UTF-16 units: an emoji before an emote', () => {
    // "Kappa 😂 Kappa": 😂 is one code point but two UTF-16 units.
    expect(parseEmotes('25:0-4,8-12', 'Kappa 😂 Kappa')).toEqual([
      { id: '25', name: 'Kappa', start: 0, end: 4 },
      { id: '25', name: 'Kappa', start: 8, end: 12 },
    ]);
  });

  it('names emotes by code points in any text, lone surrogates counted as one, as string iteration does', () => {
    const unit = fc.oneof(fc.constantFrom('a', ' ', '😂', '\u{E0000}', '\uD83D', '\uDE02', 'é'), fc.string({ maxLength: 2 }));
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 12 }), fc.nat(14), fc.nat(4), (parts, start, span) => {
        const text = parts.join('');
        const points = Array.from(text);
        const end = start + span;
        const expected = end < points.length ? [{ id: '1', name: points.slice(start, end + 1).join(''), start, end }] : [];
        expect(parseEmotes(`1:${start}-${end}`, text)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts ranges of several emotes by position', () => {
    expect(parseEmotes('1902:6-10/25:0-4', 'Kappa Keepo')).toEqual([
      { id: '25', name: 'Kappa', start: 0, end: 4 },
      { id: '1902', name: 'Keepo', start: 6, end: 10 },
    ]);
  });

  it('keeps ids that contain `/` or a modifier suffix', () => {
    expect(parseEmotes('80481_/3:7-14', '\u{E0000}-tags pajaW_/3.0')).toEqual([
      { id: '80481_/3', name: 'pajaW_/3', start: 7, end: 14 },
    ]);
    expect(parseEmotes('300196486_TK:0-7', 'pajaM_TK')).toEqual([{ id: '300196486_TK', name: 'pajaM_TK', start: 0, end: 7 }]);
  });

  it('leaves out malformed, reversed and out-of-bounds ranges (Twitch sends all three)', () => {
    expect(parseEmotes('25:04', 'Kappa')).toEqual([]);
    expect(parseEmotes('25:4-0', 'Kappa')).toEqual([]);
    // twitchdev/issues#104: a range ending past the text.
    expect(parseEmotes('25:40-44', 'x'.repeat(44))).toEqual([]);
    expect(parseEmotes('25:0-4,40-44', `Kappa${'x'.repeat(39)}`)).toEqual([{ id: '25', name: 'Kappa', start: 0, end: 4 }]);
    expect(parseEmotes(':::/-/25:a-b', 'Kappa')).toEqual([]);
  });

  it(`reads at most ${MAX_EMOTE_RANGES} ranges from one line`, () => {
    const ranges = Array.from({ length: 5000 }, () => '0-0').join(',');
    expect(parseEmotes(`1:${ranges}`, 'x')).toHaveLength(MAX_EMOTE_RANGES);
  });
});
