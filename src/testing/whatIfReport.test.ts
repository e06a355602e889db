import { describe, expect, it } from 'vitest';
import type { ControlChange, WhatIfResult } from './whatIf.js';
import { diffWhatIf } from './whatIfDiff.js';
import { formatShowTime, formatWhatIf, formatWhatIfDiff, sparkline, whatIfJson } from './whatIfReport.js';

const change = (at: number, value: number, origin: ControlChange['origin'] = 'command'): ControlChange => ({ at, value, origin });

function run(changes: ControlChange[], throttled: number, skipped: WhatIfResult['recording']['skipped'] = []): WhatIfResult {
  const passed = changes.length - 1;
  return {
    pipeline: 'p.yaml',
    source: 'chat',
    sourceEnabledForRun: false,
    recording: { lines: 20, events: 20 - skipped.length, skipped, durationMs: 19_000 },
    endedAt: 29_000,
    variables: [
      { node: 'cv', variable: 'cutoff', range: [0, 1], changes, steps: 0 },
      { node: 'cv', variable: 'wobble', range: [0, 1], changes: [change(0, 0, 'default')], steps: 0 },
    ],
    nodes: [
      { id: 'chat', kind: 'source', type: 'replay', in: 0, out: { '': 20 }, dropped: {}, errors: 0 },
      { id: 'fair', kind: 'operator', type: 'throttle', in: 20, out: { '': passed }, dropped: { throttled }, errors: 0 },
      { id: 'cv', kind: 'operator', type: 'control', in: passed, out: { '': changes.length }, dropped: {}, errors: 0 },
    ],
    drops: throttled > 0 ? [{ node: 'fair', reason: 'throttled', count: throttled, intentional: true }] : [],
  };
}

const A = run(
  [change(0, 0, 'default'), change(0, 0.1), change(1000, 0.2), change(2000, 0.3), change(4000, 0.5), change(6000, 0.7), change(18_000, 1)],
  14,
  [{ line: 3, reason: 'not JSON' }],
);
const B = run([change(0, 0, 'default'), change(0, 0.1), change(10_000, 0.9)], 18);

describe('formatShowTime', () => {
  it('writes seconds with one decimal, then m:ss.s, then h:mm:ss.s', () => {
    expect([0, 700, 4900, 59_940, 60_000, 723_400, 3_723_400].map(formatShowTime)).toEqual([
      '0s',
      '0.7s',
      '4.9s',
      '59.9s',
      '1:00.0',
      '12:03.4',
      '1:02:03.4',
    ]);
  });
});

describe('sparkline', () => {
  it('draws the value at each column end, scaled to the range, blank before the first change', () => {
    const timeline = { node: 'cv', variable: 'x', range: [0, 1] as const, changes: [change(1500, 0), change(2500, 1)], steps: 0 };
    // Columns end at 1, 2, 3 and 4 s.
    expect(sparkline(timeline, 4000, 4)).toBe(' ▁██');
    expect(sparkline({ ...timeline, changes: [change(0, 0.5)] }, 4000, 4)).toBe('▅▅▅▅');
    expect(sparkline({ ...timeline, changes: [] }, 4000, 4)).toBe('    ');
    // Without a declared range, scaled to the values taken.
    const { range: _, ...free } = timeline;
    expect(sparkline({ ...free, changes: [change(0, 10), change(2000, 20)] }, 4000, 4)).toBe('▁███');
  });
});

describe('formatWhatIf', () => {
  it('prints one run: changes with a sparkline, counts per node, drops by reason, skipped lines', () => {
    expect(formatWhatIf(A, 'show.jsonl')).toBe(
      [
        'chatflow whatif: show.jsonl through p.yaml',
        '  20 lines: 19 events over 19s of show, 1 skipped; fed to source "chat", ran to 29s (virtual)',
        '',
        'Control changes',
        '  cv.cutoff      7 changes  ▂▃▃▅▆▆▆▆▆▆▆▆▆▆██████████  0@0s 0.1@0s 0.2@1s 0.3@2s … 2 more … 1@18s',
        '  cv.wobble      1 change   ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁  0@0s',
        '',
        'Nodes                    in       out   dropped  ports',
        '  chat (replay)           0        20         0',
        '  fair (throttle)        20         6        14',
        '  cv (control)            6         7         0',
        '',
        'Drops by reason',
        '  fair  throttled        14',
        '',
        'Skipped lines',
        '  show.jsonl:3: skipped: not JSON',
        '',
      ].join('\n'),
    );
  });
});

describe('formatWhatIfDiff', () => {
  it('prints per variable the changes of each and the first divergence, then node and drop deltas', () => {
    expect(formatWhatIfDiff(B, A, diffWhatIf(B, A), 'show.jsonl')).toBe(
      [
        'chatflow whatif: show.jsonl, A = p.yaml, B = p.yaml',
        '  20 lines: 20 events over 19s of show, 0 skipped; fed to source "chat", ran to 29s (virtual)',
        '',
        'Changes                   A       B  first divergence',
        '  cv.cutoff               3       7  at 1s: A 0.9 at 10s (command), B 0.2 at 1s (command)',
        '  cv.wobble               1       1  same',
        '',
        'Nodes (B − A)          in       out   dropped  ports',
        '  fair                  0        +4        −4',
        '  cv                   +4        +4         0',
        '',
        'Drops by reason (B − A)           A         B         Δ',
        '  fair  throttled                18        14        −4',
        '',
      ].join('\n'),
    );
  });

  it('says so when nothing differs', () => {
    expect(formatWhatIfDiff(B, B, diffWhatIf(B, B), 'show.jsonl')).toBe(
      [
        'chatflow whatif: show.jsonl, A = p.yaml, B = p.yaml',
        '  20 lines: 20 events over 19s of show, 0 skipped; fed to source "chat", ran to 29s (virtual)',
        '',
        'No difference: both pipelines do the same with this recording.',
        '',
      ].join('\n'),
    );
  });
});

describe('whatIfJson', () => {
  it('holds the runs, and the difference when there are two', () => {
    expect(JSON.parse(whatIfJson('show.jsonl', [A]))).toEqual({ recording: 'show.jsonl', runs: [A] });
    const diff = diffWhatIf(A, B);
    expect(JSON.parse(whatIfJson('show.jsonl', [A, B], diff))).toEqual(JSON.parse(JSON.stringify({ recording: 'show.jsonl', runs: [A, B], diff })));
  });
});
