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
  it('fires each grid on anchor + k·period, at the scheduled time, while it is active', () => {
    const time = fakeTime();
    const ticks: Array<[number, number]> = [];
    const loop = new StepLoop({ ...time, tick: (p, at) => ticks.push([p, at]) });
    time.run(3);
    loop.activate(10);
    // To 36: the precise wait for the step at 40 begins at 37.
    time.run(33);
    expect(ticks).toEqual([
      [10, 10],
      [10, 20],
      [10, 30],
    ]);
    loop.deactivate(10);
    time.run(50);
    expect(ticks).toHaveLength(3);
    expect(time.pending()).toBe(0);
  });

  it('runs two rates on their own grids', () => {
    const time = fakeTime();
    const ticks: Array<[number, number]> = [];
    const loop = new StepLoop({ ...time, tick: (p, at) => ticks.push([p, at]) });
    loop.activate(10);
    loop.activate(4);
    time.run(20);
    expect(ticks.filter(([p]) => p === 4).map(([, at]) => at)).toEqual([4, 8, 12, 16, 20]);
    expect(ticks.filter(([p]) => p === 10).map(([, at]) => at)).toEqual([10, 20]);
  });

  it('skips a step it could not fire in time instead of bursting, and lands on the grid again', () => {
    const time = fakeTime();
    const ticks: number[] = [];
    const loop = new StepLoop({ ...time, tick: (_p, at) => ticks.push(at) });
    loop.activate(10);
    time.run(9);
    // The thread stalls for 25 ms: the timers fire late.
    time.run(40, 25);
    time.run(30);
    // One step for the stall (its scheduled time), none of the missed ones, then the grid again.
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
    loop.activate(10);
    time.run(10);
    expect(waits).toEqual([3]);
    expect(drained).toBeGreaterThan(0);
  });

  it('stop ends every grid and timer', () => {
    const time = fakeTime();
    let ticks = 0;
    const loop = new StepLoop({ ...time, tick: () => (ticks += 1) });
    loop.activate(10);
    loop.activate(5);
    loop.stop();
    time.run(100);
    expect(ticks).toBe(0);
    expect(loop.active).toBe(0);
  });
});
