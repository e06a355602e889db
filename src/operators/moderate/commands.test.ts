import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import { ActiveNukes, parseModCommand, RecentMessages } from './commands.js';

const names = { permit: 'permit', nuke: 'nuke' };

describe('moderator commands', () => {
  it('parses !permit and !nuke with an optional duration', () => {
    expect(parseModCommand('!permit @Bob', '!', names)).toEqual({ kind: 'permit', login: 'bob' });
    expect(parseModCommand('!PERMIT', '!', names)).toEqual({ kind: 'invalid' });
    expect(parseModCommand('!nuke free stuff 10m', '!', names)).toEqual({ kind: 'nuke', phrase: 'free stuff', durationMs: 600_000 });
    expect(parseModCommand('!nuke spam 90', '!', names)).toEqual({ kind: 'nuke', phrase: 'spam', durationMs: 90_000 });
    expect(parseModCommand('!nuke 10m', '!', names)).toEqual({ kind: 'nuke', phrase: '10m', durationMs: undefined });
    expect(parseModCommand('!nuke *', '!', names)).toEqual({ kind: 'invalid' });
    expect(parseModCommand('!cv cutoff 1', '!', names)).toBeUndefined();
    expect(parseModCommand('permit bob', '!', names)).toBeUndefined();
    expect(parseModCommand('!nuke x', '!', { permit: 'permit', nuke: undefined })).toBeUndefined();
  });

  it('keeps at most `max_active` nukes and forgets expired ones', () => {
    const nukes = new ActiveNukes(2);
    nukes.add('one', 100);
    nukes.add('two', 200);
    nukes.add('three', 300); // replaces `one`, ending soonest
    expect(nukes.matches(['one'], 0)).toBe(false);
    expect(nukes.matches(['say two'], 150)).toBe(true);
    expect(nukes.matches(['say two'], 250)).toBe(false);
    expect(nukes.size).toBe(1);
  });

  it('keeps a bounded ring of recent messages', () => {
    const recent = new RecentMessages(2);
    for (const [i, text] of ['a', 'b', 'c'].entries()) recent.add(chat(text), [text], i);
    expect([...recent.since(-1)].map((r) => r.texts[0])).toEqual(['b', 'c']);
    expect([...recent.since(1)].map((r) => r.texts[0])).toEqual(['c']);
  });
});
