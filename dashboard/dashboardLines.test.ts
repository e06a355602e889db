import { describe, expect, it } from 'vitest';
import type { ChatEvent, ControlEvent } from '../src/core/events.js';
import type { ReloadReport } from '../src/pipelines/reloadReport.js';
import { issueLine, outcomeLine } from './dashboardReload.js';
import { tapLine } from './dashboardTap.js';
import { diskLines } from './dashboardDisk.js';

const issue = { severity: 'error', rule: 'unknown_key', message: 'Unknown key "evry".', path: 'operators.stats.evry', file: 'pipeline.yaml' } as const;

describe('issueLine', () => {
  it('puts the position first, then the message and the did-you-mean', () => {
    expect(issueLine({ ...issue, line: 19, col: 49, suggestion: 'every' })).toBe(
      'pipeline.yaml:19:49: Unknown key "evry". (did you mean "every"?)',
    );
  });
  it('gives only the file when the problem has no place in it', () => {
    expect(issueLine({ ...issue, line: 0, col: 0 })).toBe('pipeline.yaml: Unknown key "evry".');
  });
});

describe('outcomeLine', () => {
  const report = { applied: true, unchanged: ['a', 'b'], changed: ['c'], rewired: [], added: ['d'], removed: [], restarted: [] };
  it('counts what an applied reload did', () => {
    expect(outcomeLine({ status: 'ok', trigger: 'api', report: report as unknown as ReloadReport })).toBe(
      'Reloaded: 1 added, 1 changed, 0 removed, 2 unchanged.',
    );
  });
  it('says an invalid file was not applied, and how many problems it has', () => {
    expect(outcomeLine({ status: 'invalid', trigger: 'api', issues: [{ ...issue, line: 1, col: 1 }] })).toBe(
      'Not reloaded: the file has 1 problem; the running pipeline is unchanged.',
    );
  });
});

describe('tapLine', () => {
  const chat = {
    kind: 'chat',
    id: '1',
    platform: 'twitch',
    channel: 'c',
    author: { login: 'alice' },
    text: 'hi\nthere',
    emotes: [],
    ts: 0,
    action: false,
    firstMessage: false,
    receivedAt: 0,
  } as unknown as ChatEvent;
  it('shows a chat line on one line, with who said it', () => {
    expect(tapLine('', chat)).toBe('chat alice: hi there');
  });
  it('shows a control value as variable=value, with its port', () => {
    const control = {
      kind: 'control',
      variable: 'cutoff',
      value: 0.25,
      previous: 0,
      origin: 'command',
      by: { login: 'bob', platform: 'twitch' },
      ts: 0,
      receivedAt: 0,
    } as ControlEvent;
    expect(tapLine('out', control)).toBe('.out control bob: cutoff=0.25');
  });
  it('cuts a long line', () => {
    expect(tapLine('', { ...chat, text: 'x'.repeat(500) })).toHaveLength(200);
  });
});

describe('diskLines', () => {
  it('says nothing while no event waits on disk', () => {
    expect(diskLines(undefined)).toBeUndefined();
    expect(diskLines({ disk_buffer_events: 0, disk_buffer_bytes: 4096 })).toBeUndefined();
  });
  it('shows the events waiting on the card, and size and drain rate in the tooltip', () => {
    expect(diskLines({ disk_buffer_events: 12_345, disk_buffer_bytes: 3_400_000, disk_buffer_drain_events_per_s: 5200 })).toEqual({
      card: 'disk 12k',
      tooltip: 'disk buffer: 12345 events, 3.4 MB, draining 5.2k/s',
    });
  });
  it('says when it is full', () => {
    expect(diskLines({ disk_buffer_events: 900, disk_buffer_bytes: 1e6, disk_buffer_full: 1 })).toEqual({
      card: 'disk FULL 900',
      tooltip: 'disk buffer: 900 events, 1.0 MB — full: events are dropped',
    });
  });
});
