import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ChatEvent, ChatflowEvent, CommandEvent, MetricEvent, PlatformEvent } from '../../core/events.js';
import { codePointLength, compileMatch, MatchConfig } from './match.js';

const matcher = (config: unknown) => compileMatch(MatchConfig.parse(config));

function command(name: string, from: ChatEvent): CommandEvent {
  return { kind: 'command', name, args: {}, chat: from, receivedAt: 0 };
}

const raid: PlatformEvent = {
  kind: 'platform',
  type: 'raid',
  id: 'r1',
  platform: 'kick',
  channel: 'Synthwave',
  ts: 0,
  data: { viewers: 10 },
  receivedAt: 0,
};

const metric: MetricEvent = {
  kind: 'metric',
  name: 'events_total',
  labels: {},
  value: 1,
  instance: 'i',
  ts: 0,
  receivedAt: 0,
};

describe('MatchConfig', () => {
  it('defaults text_flags to "i" and accepts an empty match', () => {
    expect(MatchConfig.parse({})).toEqual({ text_flags: 'i' });
  });

  it('rejects an invalid regular expression with a clear message at `text`', () => {
    const result = MatchConfig.safeParse({ text: '(unclosed' });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(['text']);
    expect(issue?.message).toBe('Invalid regular expression: /(unclosed/i: Unterminated group');
  });

  it('rejects stateful or unknown regex flags', () => {
    expect(MatchConfig.safeParse({ text: 'a', text_flags: 'g' }).success).toBe(false);
    expect(MatchConfig.safeParse({ text: 'a', text_flags: 'ii' }).success).toBe(false);
    expect(MatchConfig.safeParse({ text: 'a', text_flags: 'is' }).success).toBe(true);
  });

  it('rejects an incompatible flag combination through the regex check', () => {
    const result = MatchConfig.safeParse({ text: 'a', text_flags: 'uv' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['text']);
    expect(result.error?.issues[0]?.message).toMatch(/^Invalid regular expression: Invalid flags/);
  });

  it('rejects unknown keys, unknown kinds, roles and platforms', () => {
    expect(MatchConfig.safeParse({ txt: 'a' }).success).toBe(false);
    expect(MatchConfig.safeParse({ kind: ['message'] }).success).toBe(false);
    expect(MatchConfig.safeParse({ role: ['admin'] }).success).toBe(false);
    expect(MatchConfig.safeParse({ platform: ['discord'] }).success).toBe(false);
    expect(MatchConfig.safeParse({ user: [] }).success).toBe(false);
  });

  it('checks length bounds', () => {
    expect(MatchConfig.safeParse({ length: {} }).success).toBe(false);
    expect(MatchConfig.safeParse({ length: { min: 5, max: 2 } }).error?.issues[0]?.path).toEqual(['length', 'max']);
    expect(MatchConfig.safeParse({ length: { min: 2, max: 2 } }).success).toBe(true);
  });
});

describe('compileMatch', () => {
  it('matches every event when empty', () => {
    const match = matcher({});
    expect(match(chat('x'))).toBe(true);
    expect(match(metric)).toBe(true);
  });

  it('matches kinds', () => {
    const match = matcher({ kind: ['chat', 'platform'] });
    expect(match(chat('x'))).toBe(true);
    expect(match(raid)).toBe(true);
    expect(match(command('cv', chat('!cv')))).toBe(false);
  });

  it("matches platforms, using a command's chat platform; events without one never match", () => {
    const match = matcher({ platform: ['kick'] });
    expect(match(chat('x', { platform: 'kick' }))).toBe(true);
    expect(match(chat('x', { platform: 'twitch' }))).toBe(false);
    expect(match(command('cv', chat('!cv', { platform: 'kick' })))).toBe(true);
    expect(match(raid)).toBe(true);
    expect(match(metric)).toBe(false);
  });

  it('matches channels case-insensitively, ignoring a leading #', () => {
    const match = matcher({ channel: ['#SynthWave'] });
    expect(match(chat('x', { channel: 'synthwave' }))).toBe(true);
    expect(match(raid)).toBe(true);
    expect(match(chat('x', { channel: 'other' }))).toBe(false);
    expect(match(metric)).toBe(false);
  });

  it('matches any of the roles; events without chat never match', () => {
    const match = matcher({ role: ['mod', 'broadcaster'] });
    expect(match(chat('x', { roles: ['subscriber', 'mod'] }))).toBe(true);
    expect(match(chat('x', { roles: ['vip'] }))).toBe(false);
    expect(match(chat('x'))).toBe(false);
    expect(match(command('cv', chat('!cv', { roles: ['broadcaster'] })))).toBe(true);
    expect(match(raid)).toBe(false);
  });

  it('matches users case-insensitively, ignoring a leading @', () => {
    const match = matcher({ user: ['@NightBot', 'streamelements'] });
    expect(match(chat('x', { user: 'nightbot' }))).toBe(true);
    expect(match(chat('x', { user: 'StreamElements' }))).toBe(true);
    expect(match(chat('x', { user: 'viewer' }))).toBe(false);
  });

  it('matches text case-insensitively by default, and case-sensitively without flags', () => {
    expect(matcher({ text: '^!cv\\b' })(chat('!CV cutoff 1'))).toBe(true);
    expect(matcher({ text: '^!cv\\b', text_flags: '' })(chat('!CV cutoff 1'))).toBe(false);
    expect(matcher({ text: 'https?://' })(chat('see https://x.y'))).toBe(true);
    expect(matcher({ text: 'https?://' })(chat('no links'))).toBe(false);
    expect(matcher({ text: '.' })(metric)).toBe(false);
  });

  it('gives the same answer every time (the regex keeps no state)', () => {
    const match = matcher({ text: 'a' });
    const event = chat('banana');
    expect([match(event), match(event), match(event)]).toEqual([true, true, true]);
  });

  it('measures length in code points', () => {
    const match = matcher({ length: { min: 2, max: 3 } });
    expect(match(chat('🔥🔥🔥'))).toBe(true); // 6 UTF-16 units, 3 code points
    expect(match(chat('🔥'))).toBe(false);
    expect(match(chat('abcd'))).toBe(false);
    expect(matcher({ length: { max: 0 } })(chat(''))).toBe(true);
    expect(matcher({ length: { min: 1 } })(metric)).toBe(false);
  });

  it('matches command names case-insensitively, command events only', () => {
    const match = matcher({ command: ['CV'] });
    expect(match(command('cv', chat('!cv')))).toBe(true);
    expect(match(command('pitch', chat('!pitch')))).toBe(false);
    expect(match(chat('!cv'))).toBe(false);
  });

  it('needs every constraint to hold', () => {
    const match = matcher({ kind: ['chat'], platform: ['twitch'], role: ['mod'], text: 'go' });
    expect(match(chat('lets go', { roles: ['mod'] }))).toBe(true);
    expect(match(chat('lets go', { roles: ['mod'], platform: 'kick' }))).toBe(false);
    expect(match(chat('lets go'))).toBe(false);
    expect(match(chat('stop', { roles: ['mod'] }))).toBe(false);
  });

  it('matches moderation events through their chat message', () => {
    const event: ChatflowEvent = {
      kind: 'moderation',
      verdict: 'flag',
      reasons: ['caps'],
      points: 1,
      chat: chat('HELLO', { user: 'loud' }),
      receivedAt: 0,
    };
    expect(matcher({ user: ['loud'], text: 'hello' })(event)).toBe(true);
  });
});

describe('codePointLength', () => {
  it('counts surrogate pairs once and lone surrogates as one', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('a𝐛c')).toBe(3);
    expect(codePointLength('👨‍👩‍👧')).toBe(5);
    expect(codePointLength('\ud800a')).toBe(2);
    expect(codePointLength('a\udc00')).toBe(2);
  });
});
