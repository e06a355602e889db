import { describe, expect, it } from 'vitest';
import type { ControlChange, WhatIfResult } from './whatIf.js';
import { diffWhatIf } from './whatIfDiff.js';

const change = (at: number, value: number, origin: ControlChange['origin'] = 'command'): ControlChange => ({ at, value, origin });

/** A run with one control node `cv` whose `cutoff` took `changes`, and a throttle `fair`. */
function run(changes: ControlChange[], throttled: number, extra: Partial<WhatIfResult> = {}): WhatIfResult {
  const passed = changes.length - 1;
  return {
    pipeline: 'p.yaml',
    source: 'chat',
    sourceEnabledForRun: false,
    recording: { lines: 20, events: 20, skipped: [], durationMs: 19_000 },
    endedAt: 29_000,
    variables: [{ node: 'cv', variable: 'cutoff', range: [0, 1], changes, steps: 0 }],
    nodes: [
      { id: 'chat', kind: 'source', type: 'replay', in: 0, out: { '': 20 }, dropped: {}, errors: 0 },
      { id: 'fair', kind: 'operator', type: 'throttle', in: 20, out: { '': passed }, dropped: { throttled }, errors: 0 },
      { id: 'cv', kind: 'operator', type: 'control', in: passed, out: { '': changes.length }, dropped: {}, errors: 0 },
    ],
    drops: throttled > 0 ? [{ node: 'fair', reason: 'throttled', count: throttled, intentional: true }] : [],
    ...extra,
  };
}

describe('diffWhatIf', () => {
  it('says where two control timelines first differ, and the count and drop deltas B − A', () => {
    const a = run([change(0, 0, 'default'), change(0, 0.1), change(1000, 0.2), change(2000, 0.3)], 17);
    const b = run([change(0, 0, 'default'), change(0, 0.1), change(10_000, 0.9)], 18);
    const diff = diffWhatIf(a, b);
    expect(diff.same).toBe(false);
    expect(diff.variables).toEqual([
      {
        node: 'cv',
        variable: 'cutoff',
        changesA: 4,
        changesB: 3,
        firstDivergence: { at: 1000, a: change(1000, 0.2), b: change(10_000, 0.9) },
      },
    ]);
    expect(diff.nodes).toEqual([
      { id: 'fair', presence: 'both', in: 0, out: { '': -1 }, dropped: 1, errors: 0 },
      { id: 'cv', presence: 'both', in: -1, out: { '': -1 }, dropped: 0, errors: 0 },
    ]);
    expect(diff.drops).toEqual([{ node: 'fair', reason: 'throttled', a: 17, b: 18, delta: 1 }]);
  });

  it('finds a divergence where one timeline ends early, and values within float noise the same', () => {
    const a = run([change(0, 0.1), change(500, 0.3)], 0);
    const b = run([change(0, 0.1 + 1e-12)], 0);
    expect(diffWhatIf(a, b).variables[0]?.firstDivergence).toEqual({ at: 500, a: change(500, 0.3), b: undefined });
    expect(diffWhatIf(a, a)).toEqual({
      variables: [{ node: 'cv', variable: 'cutoff', changesA: 2, changesB: 2 }],
      nodes: [],
      drops: [],
      same: true,
    });
  });

  it('lists nodes and variables found in only one pipeline', () => {
    const a = run([change(0, 0.1)], 0);
    const b = run([change(0, 0.1)], 0, {
      variables: [{ node: 'cv', variable: 'wobble', changes: [change(0, 0.5)], steps: 0 }],
      nodes: [...a.nodes, { id: 'mod', kind: 'operator', type: 'moderate', in: 20, out: { clean: 20 }, dropped: {}, errors: 0 }],
    });
    const diff = diffWhatIf(a, b);
    expect(diff.variables.map((v) => [v.variable, v.changesA, v.changesB, v.firstDivergence?.at])).toEqual([
      ['cutoff', 1, undefined, 0],
      ['wobble', undefined, 1, 0],
    ]);
    expect(diff.nodes).toEqual([{ id: 'mod', presence: 'only_b', in: 20, out: { clean: 20 }, dropped: 0, errors: 0 }]);
  });
});
