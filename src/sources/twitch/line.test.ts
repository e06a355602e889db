import { describe, expect, it } from 'vitest';
import { parseIrcLine, parseTags } from './line.js';
import { tag } from './tags.js';

/** Reads `key` from the tags of `@<section> :nick!nick@nick.tmi.twitch.tv PRIVMSG #chan :hi`. */
function read(section: string, key: string): string | undefined {
  const message = parseIrcLine(`@${section} :nick!nick@nick.tmi.twitch.tv PRIVMSG #chan :hi`);
  if (message === null) throw new Error(`unparsable: ${section}`);
  return tag(message, key);
}

describe('parseTags: IRCv3 message-tags, every form', () => {
  // [what, tag section, key, value read (unescaped); undefined = absent]
  const table: readonly [string, string, string, string | undefined][] = [
    ['a key without `=` is the empty string, not its own name', 'k;a=b', 'k', ''],
    ['the tag after a key without `=` is unaffected', 'k;a=b', 'a', 'b'],
    ['a key without `=` at the end', 'a=b;vip', 'vip', ''],
    ['an empty value', 'emotes=;a=b', 'emotes', ''],
    ['an absent key', 'a=b', 'c', undefined],
    ['`\\:` is a semicolon', 'k=a\\:b', 'k', 'a;b'],
    ['`\\s` is a space', 'k=Riot\\sGames', 'k', 'Riot Games'],
    ['`\\\\` is a backslash', 'k=back\\\\slash', 'k', 'back\\slash'],
    ['`\\\\s` is a backslash then s', 'k=x\\\\s', 'k', 'x\\s'],
    ['`\\r` is CR', 'k=a\\rb', 'k', 'a\rb'],
    ['`\\n` is LF', 'k=a\\nb', 'k', 'a\nb'],
    ['a trailing lone backslash is dropped', 'k=ab\\', 'k', 'ab'],
    ['a value of one backslash is empty', 'k=\\', 'k', ''],
    ['an invalid escape `\\x` is x', 'k=a\\xb', 'k', 'axb'],
    ['`=` inside a value is part of it', 'k=a=b', 'k', 'a=b'],
    ['of duplicate keys the last wins', 'k=1;k=2', 'k', '2'],
    ['of duplicate keys the last wins, even without `=`', 'k=1;k', 'k', ''],
    ['of duplicate keys the last wins, after an empty one', 'k=;k=3', 'k', '3'],
    ['a client-only `+` tag keeps its prefix', '+k=client;k=server', '+k', 'client'],
    ['the unprefixed twin of a client-only tag is its own tag', '+k=client;k=server', 'k', 'server'],
    ['a client-only tag without `=`', '+typing', '+typing', ''],
    ['a vendor key keeps its vendor', 'example.com/foo=bar;foo=baz', 'example.com/foo', 'bar'],
    ['a client-only vendor key', '+draft/reply=abc', '+draft/reply', 'abc'],
    ['a tag named __proto__ is a tag', '__proto__=x', '__proto__', 'x'],
    ['a tag named constructor is a tag', 'a=b', 'constructor', undefined],
    ['empty tags between semicolons are skipped', ';;a=1;', 'a', '1'],
    ['an empty key is skipped', '=v;a=1', '', undefined],
  ];

  it.each(table)('%s: @%s → %s', (_what, section, key, expected) => {
    expect(read(section, key)).toBe(expected);
  });

  it('keeps values escaped until read, and reads no other keys than the line has', () => {
    const tags = parseTags('k;display-name=Riot\\sGames;+x=1;k=');
    expect(tags['display-name']).toBe('Riot\\sGames');
    expect(Object.keys(tags).sort()).toEqual(['+x', 'display-name', 'k']);
  });

  it('gives tmi.js the form its own parser does: `true` for an empty value', () => {
    expect({ ...parseTags('emotes=;a=b;k') }).toEqual({ emotes: true, a: 'b', k: true });
  });
});

describe('parseIrcLine', () => {
  it('splits prefix, command and parameters, a trailing one with its spaces', () => {
    const message = parseIrcLine('@a=1 :nick!nick@host PRIVMSG #chan :hello  world');
    expect(message).toMatchObject({ prefix: 'nick!nick@host', command: 'PRIVMSG', params: ['#chan', 'hello  world'] });
  });

  it('reads a last parameter without its colon, as recent-messages replays send it', () => {
    expect(parseIrcLine('CLEARCHAT #pajlada nerixyz')?.params).toEqual(['#pajlada', 'nerixyz']);
  });

  it('is null for a line with no command', () => {
    expect(parseIrcLine('@a=1')).toBeNull();
    expect(parseIrcLine(':prefix')).toBeNull();
    expect(parseIrcLine('@a=1 :prefix ')).toBeNull();
    expect(parseIrcLine('PING')).toMatchObject({ command: 'PING', params: [] });
  });
});
