import { describe, expect, it } from 'vitest';
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import { checkCounts, checkOutputs, countOf, type ExpectedItem, type OutputsCheck, type Received } from './expectations.js';

const osc = (at: number, address: string, value: number): Received => ({ at, label: 'synth (osc)', value: { address, value } });
const want = (fields: Record<string, unknown>, at?: number): ExpectedItem => (at === undefined ? { fields } : { at, fields });

function check(partial: Partial<OutputsCheck>): OutputsCheck {
  return { subject: 'synth (osc)', verb: 'sent', match: 'sequence', tolerance: 0, timeTolerance: 0, ...partial };
}

const sent = [osc(0, '/cv/cutoff', 0.5), osc(1000, '/cv/cutoff', 0.6), osc(5000, '/cv/wobble', 0.7), osc(5080, '/cv/cutoff', 0.65)];

describe('sequence: exactly these, in this order', () => {
  const expected = [
    want({ address: '/cv/cutoff', value: 0.5 }, 0),
    want({ address: '/cv/cutoff', value: 0.6 }),
    want({ address: '/cv/wobble', value: 0.7 }, 5000),
    want({ address: '/cv/cutoff' }),
  ];

  it('passes when every output matches by the fields written', () => {
    expect(checkOutputs(check({ outputs: expected }), sent, 10_000)).toBeUndefined();
  });

  it('fails at the first output that differs, with context around it and the field that differs', () => {
    const wrong = [...expected.slice(0, 2), want({ address: '/cv/wobble', value: 0.8 }, 5000), expected[3] as ExpectedItem];
    expect(checkOutputs(check({ outputs: wrong }), sent, 10_000)).toEqual([
      'synth (osc): output #3 is not the one expected (in order, exactly these 4)',
      '  #1 synth (osc) at 0.000s: {"address":"/cv/cutoff","value":0.5}',
      '  #2 synth (osc) at 1.000s: {"address":"/cv/cutoff","value":0.6}',
      '- #3 expected at 5.000s: {"address":"/cv/wobble","value":0.8}',
      '+ #3 synth (osc) at 5.000s: {"address":"/cv/wobble","value":0.7}',
      '      value: expected 0.8, received 0.7',
      '  #4 synth (osc) at 5.080s: {"address":"/cv/cutoff",…}',
    ]);
  });

  it('matches numbers within `tolerance`, and fails outside it', () => {
    const close = [want({ address: '/cv/cutoff', value: 0.49 }), ...expected.slice(1)];
    expect(checkOutputs(check({ outputs: close, tolerance: 0.01 }), sent, 10_000)).toBeUndefined();
    expect(checkOutputs(check({ outputs: close, tolerance: 0.001 }), sent, 10_000)?.[0]).toBe(
      'synth (osc): output #1 is not the one expected (in order, exactly these 4)',
    );
  });

  it('compares times exactly unless `time_tolerance` allows more', () => {
    const late = [expected[0] as ExpectedItem, want({ address: '/cv/cutoff', value: 0.6 }, 1050), ...expected.slice(2)];
    expect(checkOutputs(check({ outputs: late }), sent, 10_000)).toEqual([
      'synth (osc): output #2 is not the one expected (in order, exactly these 4)',
      '  #1 synth (osc) at 0.000s: {"address":"/cv/cutoff","value":0.5}',
      '- #2 expected at 1.050s: {"address":"/cv/cutoff","value":0.6}',
      '+ #2 synth (osc) at 1.000s: {"address":"/cv/cutoff","value":0.6}',
      '      at: expected 1.050s, received 1.000s',
      '  #3 synth (osc) at 5.000s: {"address":"/cv/wobble","value":0.7}',
      '  #4 synth (osc) at 5.080s: {"address":"/cv/cutoff",…}',
    ]);
    expect(checkOutputs(check({ outputs: late, timeTolerance: 50 }), sent, 10_000)).toBeUndefined();
  });

  it('fails when fewer were sent, saying when the run ended', () => {
    const more = [...expected, want({ address: '/cv/pitch', value: 1 })];
    expect(checkOutputs(check({ outputs: more }), sent, 10_000)).toEqual([
      'synth (osc) sent 4 outputs, 5 expected',
      '  #3 synth (osc) at 5.000s: {"address":"/cv/wobble","value":0.7}',
      '  #4 synth (osc) at 5.080s: {"address":"/cv/cutoff",…}',
      '- #5 expected: {"address":"/cv/pitch","value":1}',
      '+ #5 nothing: no more by the end at 10.000s',
    ]);
  });

  it('fails when more were sent, showing the first one not expected', () => {
    expect(checkOutputs(check({ outputs: expected.slice(0, 2) }), sent, 10_000)).toEqual([
      'synth (osc) sent 4 outputs, 2 expected',
      '  #1 synth (osc) at 0.000s: {"address":"/cv/cutoff","value":0.5}',
      '  #2 synth (osc) at 1.000s: {"address":"/cv/cutoff","value":0.6}',
      '+ #3 synth (osc) at 5.000s: {"address":"/cv/wobble","value":0.7} (not expected)',
      '  … and 1 more output',
    ]);
  });

  it('`outputs: []` passes only when nothing was sent', () => {
    expect(checkOutputs(check({ outputs: [] }), [], 10_000)).toBeUndefined();
    expect(checkOutputs(check({ outputs: [] }), sent.slice(0, 1), 10_000)).toEqual([
      'synth (osc) sent 1 output, 0 expected',
      '+ #1 synth (osc) at 0.000s: {"address":"/cv/cutoff","value":0.5} (not expected)',
    ]);
  });
});

describe('set: exactly these, in any order', () => {
  it('passes in any order, pairing each expected output with a different one', () => {
    const any = [want({ address: '/cv/cutoff' }), want({ address: '/cv/wobble' }), want({ value: 0.5 }), want({ address: '/cv/cutoff' })];
    // Greedy pairing would give {value: 0.5}'s only match to the first `/cv/cutoff` and fail.
    expect(checkOutputs(check({ outputs: any, match: 'set' }), sent, 10_000)).toBeUndefined();
  });

  it('fails listing what was expected and not sent, and what was sent and not expected', () => {
    const wrong = [want({ address: '/cv/cutoff' }), want({ address: '/cv/wobble', value: 0.9 }), want({ value: 0.5 }), want({ address: '/cv/cutoff' })];
    expect(checkOutputs(check({ outputs: wrong, match: 'set' }), sent, 10_000)).toEqual([
      'synth (osc): 1 expected output not sent, 1 sent output not expected (exactly these 4, in any order)',
      '- #2 expected: {"address":"/cv/wobble","value":0.9}',
      '+ #3 synth (osc) at 5.000s: {"address":"/cv/wobble","value":0.7}',
    ]);
  });
});

describe('contains: these, in this order, others between', () => {
  it('passes when they appear in order with others between', () => {
    const some = [want({ value: 0.5 }), want({ address: '/cv/wobble' })];
    expect(checkOutputs(check({ outputs: some, match: 'contains' }), sent, 10_000)).toBeUndefined();
  });

  it('fails on one out of order, showing the nearest output after the last match', () => {
    const swapped = [want({ address: '/cv/wobble' }), want({ address: '/cv/cutoff', value: 0.6 })];
    expect(checkOutputs(check({ outputs: swapped, match: 'contains' }), sent, 10_000)).toEqual([
      'synth (osc): expected output 2 of 2 was not sent after #3 (these 2, in this order, others between)',
      '- #2 expected: {"address":"/cv/cutoff","value":0.6}',
      '+ #4 synth (osc) at 5.080s: {"address":"/cv/cutoff","value":0.65}',
      '      value: expected 0.6, received 0.65',
    ]);
  });

  it('fails when nothing more came', () => {
    const after = [want({ value: 0.65 }), want({ value: 0.7 })];
    expect(checkOutputs(check({ outputs: after, match: 'contains' }), sent, 10_000)).toEqual([
      'synth (osc): expected output 2 of 2 was not sent after #4 (these 2, in this order, others between)',
      '- #2 expected: {"value":0.7}',
      '+ nothing: no more by the end at 10.000s',
    ]);
  });
});

describe('never', () => {
  it('passes when no output matches', () => {
    expect(checkOutputs(check({ never: [want({ address: '/cv/pitch' })] }), sent, 10_000)).toBeUndefined();
  });

  it('fails on the first output that matches, and counts the others', () => {
    expect(checkOutputs(check({ never: [want({ address: '/cv/pitch' }), want({ address: '/cv/cutoff' })] }), sent, 10_000)).toEqual([
      'synth (osc) sent what it must never send',
      '  never[1]: {"address":"/cv/cutoff"}',
      '+ #1 synth (osc) at 0.000s: {"address":"/cv/cutoff","value":0.5}',
      '  … and 2 more such outputs',
    ]);
  });

  it('on a port, compares nested fields and says `emitted`', () => {
    const events: Received[] = [
      { at: 300, label: 'mod.flagged', value: { kind: 'moderation', verdict: 'delete', chat: { text: 'visit scam.example', author: { login: 'bot' } } } },
    ];
    const never = [want({ verdict: 'delete', chat: { author: { login: 'bot' } } })];
    expect(checkOutputs(check({ subject: 'mod.flagged', verb: 'emitted', never }), events, 1000)).toEqual([
      'mod.flagged emitted what it must never emit',
      '  never[0]: {"verdict":"delete","chat":{"author":{"login":"bot"}}}',
      '+ #1 mod.flagged at 0.300s: {"kind":"moderation","verdict":"delete","chat":{"text":"visit scam.example","author":{"login":"bot"}}}',
    ]);
    expect(checkOutputs(check({ subject: 'mod.flagged', verb: 'emitted', never: [want({ chat: { author: { login: 'ann' } } })] }), events, 1000)).toBeUndefined();
  });
});

describe('counts', () => {
  const snapshot = [
    { id: 'cv', eventsIn: 5, eventsOut: { '': 3 }, dropped: { undeclared: { count: 2, intentional: true } }, errors: 0 },
    { id: 'cmds', eventsIn: 9, eventsOut: { '': 9, cv: 4 }, dropped: {}, errors: 1, counts: { refused: 2 } },
  ] as unknown as NodeMetricsSnapshot[];

  it('reads in, out, a port, drops (one reason and all), errors and named counts', () => {
    expect(['cv.in', 'cv.out', 'cmds.out.cv', 'cv.dropped.undeclared', 'cv.dropped', 'cmds.dropped.spam', 'cmds.errors', 'cmds.count.refused'].map((p) => countOf(p, snapshot))).toEqual([
      5, 3, 4, 2, 2, 0, 1, 2,
    ]);
    expect(countOf('nope.in', snapshot)).toBeUndefined();
  });

  it('passes on exact values and ranges, and names every count that is off', () => {
    expect(checkCounts({ 'cv.out': 3, 'cmds.out.cv': { min: 1, max: 4 } }, snapshot)).toBeUndefined();
    expect(checkCounts({ 'cv.dropped.undeclared': 0, 'cv.out': 3, 'cmds.in': { min: 10 }, 'cmds.errors': { max: 0 }, 'cv.in': { min: 1, max: 2 } }, snapshot)).toEqual([
      'counts: cv.dropped.undeclared is 2, expected 0',
      'counts: cmds.in is 9, expected at least 10',
      'counts: cmds.errors is 1, expected at most 0',
      'counts: cv.in is 5, expected between 1 and 2',
    ]);
  });
});
