import { describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import type { CommandEvent } from '../core/events.js';
import { prettyEvent, tapUrl } from './tapCommand.js';

describe('chatflow tap', () => {
  const at = new Date(2026, 0, 1, 12, 0, 1);

  it('prints chat as one line with the author, newlines folded', () => {
    const event = chat('hello\nthere');
    expect(prettyEvent('demo', '', event, at)).toBe(`12:00:01 demo chat ${event.author.login}: hello there`);
  });

  it('prints a command with its args and who sent it, on its port', () => {
    const message = chat('!cv cutoff 0.5');
    const event: CommandEvent = { kind: 'command', name: 'cv', args: { name: 'cutoff', value: 0.5 }, chat: message, receivedAt: 0 };
    expect(prettyEvent('cmds', 'cv', event, at)).toBe(
      `12:00:01 cmds.cv command !cv name="cutoff" value=0.5 (${message.author.login})`,
    );
  });

  it('cuts a long line', () => {
    expect(prettyEvent('demo', '', chat('x'.repeat(500)), at)).toHaveLength(200);
  });

  it('asks for the nodes and filters on the WebSocket URL', () => {
    const url = tapUrl({ url: 'http://127.0.0.1:8080', token: 't' }, ['cmds.cv', 'demo'], {
      target: { url: 'http://127.0.0.1:8080', token: 't' },
      match: '^!',
      rate: '5/s',
      sample: undefined,
      json: true,
    });
    expect(url).toBe('ws://127.0.0.1:8080/api/tap?node=cmds.cv%2Cdemo&match=%5E%21&rate=5%2Fs');
    // The token goes in a header, not in the URL (which proxies and logs keep).
    expect(url).not.toContain('token');
  });
});
