import { describe, expect, it } from 'vitest';
import { StepLoop } from './stepLoop.js';

/** A fake clock and timers: `run(ms)` moves time on, firing timers as they come due. */
function fakeTime() {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    timers: {
      set: (fn: () => void, ms: number) => {
        timers.set(++nextId, { at: now + Math.max(1, ms), fn });
        return nextId;
      },
      clear: (h: unknown) => {
        timers.delete(h as number);
      },
    },
    /** Timers run `late` ms after they are due (a busy machine). */
    run(ms: number, late = 0) {
      const end = now + ms;
      for (;;) {
        let first: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) if (!first || entry[1].at < first[1].at) first = entry;
        if (!first || first[1].at + late > end) break;
        timers.delete(first[0]);
        now = Math.max(now, first[1].at + late);
        first[1].fn();
      }
      now = end;
    },
    /** The precise wait: time passes by exactly what was asked. */
    wait: (ms: number) => {
      now += ms;
    },
    pending: () => timers.size,
  };
}

describe('StepLoop', () => {
  it('fires step k of a clock at anchor + k·period, with its scheduled time, until it is removed', () => {
    const time = fakeTime();
    const ticks: Array<[string, number, number]> = [];
    const loop = new StepLoop({ ...time, tick: (id, k, at) => ticks.push([id, k, at]) });
    time.run(3);
    loop.add('a', 3, 10);
    // To 39: the precise wait for the step at 43 begins at 40.
    time.run(36);
    expect(ticks).toEqual([
      ['a', 1, 13],
      ['a', 2, 23],
      ['a', 3, 33],
    ]);
    loop.remove('a');
    time.run(50);
    expect(ticks).toHaveLength(3);
    expect(time.pending()).toBe(0);
  });

  it('runs clocks of different anchors and periods side by side', () => {
    const time = fakeTime();
    const ticks: Array<[string, number]> = [];
    const loop = new StepLoop({ ...time, tick: (id, _k, at) => ticks.push([id, at]) });
    loop.add('a', 0, 10);
    time.run(2);
    loop.add('b', 2, 4);
    time.run(18);
    expect(ticks.filter(([id]) => id === 'b').map(([, at]) => at)).toEqual([6, 10, 14, 18]);
    expect(ticks.filter(([id]) => id === 'a').map(([, at]) => at)).toEqual([10, 20]);
  });

  it('fires at once the step whose time has passed when a clock starts late, and never before step 1', () => {
    const time = fakeTime();
    const ticks: Array<[number, number]> = [];
    const loop = new StepLoop({ ...time, tick: (_id, k, at) => ticks.push([k, at]) });
    time.run(100);
    loop.add('late', 65, 10);
    expect(ticks).toEqual([[3, 95]]);
    loop.add('early', 99, 10);
    expect(ticks).toHaveLength(1);
  });

  it('skips steps it could not fire in time instead of bursting, then fires on time again', () => {
    const time = fakeTime();
    const ticks: number[] = [];
    const loop = new StepLoop({ ...time, tick: (_id, _k, at) => ticks.push(at) });
    loop.add('a', 0, 10);
    time.run(9);
    // The thread stalls for 25 ms: the timers fire late.
    time.run(40, 25);
    time.run(30);
    expect(ticks.every((at) => at % 10 === 0)).toBe(true);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.length).toBeLessThan(8);
    // After the stall, one step per period again.
    const [a, b, c] = ticks.slice(-3) as [number, number, number];
    expect([b - a, c - b]).toEqual([10, 10]);
  });

  it('sleeps on a timer until coarseMs before a step, then waits precisely, reading messages meanwhile', () => {
    const time = fakeTime();
    const waits: number[] = [];
    let drained = 0;
    const loop = new StepLoop({
      ...time,
      coarseMs: 3,
      tick: () => {},
      wait: (ms) => {
        waits.push(ms);
        time.wait(ms);
      },
      drain: () => {
        drained += 1;
      },
    });
    loop.add('a', 0, 10);
    time.run(10);
    expect(waits).toEqual([3]);
    expect(drained).toBeGreaterThan(0);
  });

  it('fires a once clock at its time, after its precise wait, and never again', () => {
    const time = fakeTime();
    const ticks: Array<[string, number, number, number]> = [];
    const waits: number[] = [];
    const loop = new StepLoop({
      ...time,
      coarseMs: 3,
      tick: (id, k, at) => ticks.push([id, k, at, time.now()]),
      wait: (ms) => {
        waits.push(ms);
        time.wait(ms);
      },
    });
    loop.add('slew', 0, 10);
    loop.once('beat', 24.5);
    time.run(40);
    // Fired at 24.5 itself, as step 0, between the slew's steps; the slew's own steps untouched.
    expect(ticks.filter(([id]) => id === 'beat')).toEqual([['beat', 0, 24.5, 24.5]]);
    expect(ticks.filter(([id]) => id === 'slew').map(([, , at]) => at)).toEqual([10, 20, 30, 40]);
    // The last stretch was waited precisely, not left to a timer (whole ms).
    expect(waits.some((ms) => ms % 1 !== 0)).toBe(true);
    loop.remove('beat');
    expect(loop.active).toBe(1);
  });

  it('fires a once clock whose time has passed at once', () => {
    const time = fakeTime();
    const ticks: Array<[number, number]> = [];
    const loop = new StepLoop({ ...time, tick: (_id, _k, at) => ticks.push([at, time.now()]) });
    time.run(100);
    loop.once('late', 90);
    expect(ticks).toEqual([[90, 100]]);
    time.run(1000);
    expect(ticks).toHaveLength(1);
  });

  it('stop ends every clock and timer', () => {
    const time = fakeTime();
    let ticks = 0;
    const loop = new StepLoop({ ...time, tick: () => (ticks += 1) });
    loop.add('a', 0, 10);
    loop.add('b', 0, 5);
    loop.stop();
    time.run(100);
    expect(ticks).toBe(0);
    expect(loop.active).toBe(0);
  });
});
