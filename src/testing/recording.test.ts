import { describe, expect, it } from 'vitest';
import { readRecording } from './recording.js';

/** A recorded chat line as the `file` sink writes it. */
const chat = (id: string, text: string, ts: number, receivedAt = 0): string =>
  JSON.stringify({
    kind: 'chat',
    id,
    platform: 'twitch',
    channel: 'show',
    author: { id: `id-${id}`, login: 'viewer', displayName: 'viewer', roles: [], badges: {} },
    text,
    emotes: [],
    ts,
    action: false,
    firstMessage: false,
    receivedAt,
  });

describe('readRecording', () => {
  it('times each event from the first by platform time, as replay plays them', () => {
    const text = [chat('a', 'hi', 1_000_000), chat('b', '!cv cutoff 0.7', 1_000_700), chat('c', 'yo', 1_003_500)].join('\n');
    const recording = readRecording(`${text}\n`);
    expect(recording.inputs.map((i) => [i.at, i.event.kind === 'chat' ? i.event.text : ''])).toEqual([
      [0, 'hi'],
      [700, '!cv cutoff 0.7'],
      [3500, 'yo'],
    ]);
    expect(recording).toMatchObject({ lines: 3, skipped: [], durationMs: 3500 });
  });

  it('counts a line out of order as no gap, and reads CRLF line ends', () => {
    const recording = readRecording([chat('a', 'x', 5000), chat('b', 'y', 4000), chat('c', 'z', 6000)].join('\r\n'));
    expect(recording.inputs.map((i) => i.at)).toEqual([0, 0, 2000]);
  });

  it('skips a malformed line with its line number and why, and runs the rest', () => {
    const text = [
      chat('a', 'x', 1000),
      '{not json',
      '',
      '{"kind":"chat","id":"x"}',
      '[1,2]',
      '{"kind":"gossip"}',
      '{"id":"no kind"}',
      chat('b', 'y', 2000),
    ].join('\n');
    const recording = readRecording(text);
    expect(recording.skipped).toEqual([
      { line: 2, reason: 'not JSON' },
      { line: 4, reason: 'a "chat" event without the fields it needs' },
      { line: 5, reason: 'not a JSON object' },
      { line: 6, reason: 'unknown event kind "gossip"' },
      { line: 7, reason: 'no "kind": not an event' },
    ]);
    expect(recording.inputs.map((i) => i.at)).toEqual([0, 1000]);
    expect(recording.lines).toBe(7);
  });

  it('reads an empty recording as no events', () => {
    expect(readRecording('')).toEqual({ inputs: [], skipped: [], lines: 0, durationMs: 0 });
    expect(readRecording('\n\n')).toEqual({ inputs: [], skipped: [], lines: 0, durationMs: 0 });
  });
});
