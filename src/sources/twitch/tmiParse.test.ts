/**
 * One parse for tmi.js and the source: the source reads tmi.js's own parse of a line exactly as
 * it reads its own (`createTmiConnector({ tmiHandlesEveryLine })`), so the events are the same.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadTwitchSamples } from '../../../test/fakes/twitchSamples.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { parseIrcLine } from './line.js';
import { type LineOutcome, normalizeTwitchLine } from './normalize.js';
import { type IrcMessage, rawTag } from './tags.js';

const tmiParser = createRequire(import.meta.url)('tmi.js/lib/parser.js') as { msg(line: string): IrcMessage | null };

function normalized(message: IrcMessage | null): { outcome: LineOutcome | 'unparsed'; events: (ChatEvent | PlatformEvent)[] } {
  const events: (ChatEvent | PlatformEvent)[] = [];
  if (message === null) return { outcome: 'unparsed', events };
  return { outcome: normalizeTwitchLine(message, 1, () => 1_700_000_000_000, (e) => events.push(e)), events };
}

describe("tmi.js's parse, read by the source", () => {
  const samples = loadTwitchSamples();

  it.each(samples.map((s) => [s.line, s.raw] as const))('sample line %i makes the same events as the own parse', (_line, raw) => {
    const own = normalized(parseIrcLine(raw));
    expect(normalized(tmiParser.msg(raw))).toEqual(own);
  });

  it('covers chat, events and empty tags among the samples', () => {
    const outcomes = samples.map((s) => normalized(tmiParser.msg(s.raw)));
    expect(outcomes.filter((o) => o.events.some((e) => e.kind === 'chat')).length).toBeGreaterThan(20);
    expect(outcomes.filter((o) => o.events.some((e) => e.kind === 'platform')).length).toBeGreaterThan(10);
    expect(samples.filter((s) => /[@;]emotes=;/.test(s.raw)).length).toBeGreaterThan(10);
  });

  // [what, tag section, key, raw value IRCv3 gives]: tmi.js gives a bare key its own name.
  const table: readonly [string, string, string, string | undefined][] = [
    ['a key without `=` is empty, not its own name', 'vip;a=b', 'vip', ''],
    ['an empty value is empty, not `true`', 'emotes=;a=b', 'emotes', ''],
    ['a value equal to its key is that value', 'login=login', 'login', 'login'],
    ['a value equal to its key, last of the line', 'a=b;login=login', 'login', 'login'],
    ['a bare key after the same key with a value: the last wins', 'vip=1;vip', 'vip', ''],
    ['the same key with its name as value after a bare one: the last wins', 'vip;vip=vip', 'vip', 'vip'],
    ['a key that starts another key', 'vipx=1;vip', 'vip', ''],
    ['a key inside a value is not a tag', 'a=x@vip;vip=vip', 'vip', 'vip'],
    ['an absent key', 'a=b', 'vip', undefined],
    ['what a plain object inherits is no tag', 'a=b', 'constructor', undefined],
  ];

  it.each(table)('%s: @%s', (_what, section, key, expected) => {
    const line = `@${section} :nick!nick@nick.tmi.twitch.tv PRIVMSG #chan :hi`;
    const theirs = tmiParser.msg(line) as IrcMessage;
    const own = parseIrcLine(line) as IrcMessage;
    expect(rawTag(theirs, key)).toBe(expected);
    expect(rawTag(own, key)).toBe(expected);
  });

  it('a bare `vip` tag makes no VIP, from either parse', () => {
    const line = '@badges=;vip;user-id=1;room-id=2 :nick!nick@nick.tmi.twitch.tv PRIVMSG #chan :hi';
    for (const message of [tmiParser.msg(line), parseIrcLine(line)]) {
      const [event] = normalized(message).events;
      expect(event?.kind === 'chat' && event.author.roles).toEqual([]);
    }
  });
});
