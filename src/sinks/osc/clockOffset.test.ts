import { describe, expect, it } from 'vitest';
import { ClockMapper, clockOffset } from './clockOffset.js';

/** A monotonic clock advancing `stepUs` per reading, and a wall clock on it in whole ms `offset` ahead. */
function clocks(offset: number, startPerf = 10.3, stepUs = 1) {
  let perf = startPerf;
  const read = () => {
    perf += stepUs / 1000;
    return perf;
  };
  return { perf: read, wall: () => Math.floor(read() + offset), shift: (ms: number) => (offset += ms) };
}

describe('clockOffset', () => {
  it('finds the offset of a whole-ms clock to within the time between two readings', () => {
    const c = clocks(1_700_000_000_000.5);
    const offset = clockOffset(c.wall, c.perf);
    expect(Math.abs(offset - 1_700_000_000_000.5)).toBeLessThan(0.005);
  });

  it('reads a clock that never ticks (virtual) as it is', () => {
    expect(clockOffset(() => 500, () => 20, 1000)).toBe(480);
  });

  it('is not thrown off by a slow reading at the tick (the JIT, an interrupt)', () => {
    const c = clocks(1000.5);
    let last: number | undefined;
    let slowNext = false;
    let slowed = 0;
    const wall = () => {
      const t = c.wall();
      if (last !== undefined && t !== last && slowed === 0) slowNext = true;
      last = t;
      return t;
    };
    // The reading right after the first tick comes 0.8 ms late.
    const perf = () => {
      const p = c.perf();
      if (!slowNext) return p;
      slowNext = false;
      slowed += 1;
      return p + 0.8;
    };
    expect(Math.abs(clockOffset(wall, perf) - 1000.5)).toBeLessThan(0.005);
    expect(slowed).toBe(1);
  });
});

describe('ClockMapper', () => {
  it('maps scheduler time to performance time, and measures again when the wall clock is set', () => {
    const c = clocks(1000.25);
    const mapper = new ClockMapper(c.wall, c.perf);
    expect(mapper.toPerf(2000.25)).toBeCloseTo(1000, 2);
    c.shift(60_000);
    expect(mapper.toPerf(62_000.25)).toBeCloseTo(1000, 2);
    // Measured ahead: the mapping holds without measuring on use.
    const ahead = new ClockMapper(c.wall, c.perf);
    ahead.measure();
    expect(ahead.toPerf(62_000.25)).toBeCloseTo(1000, 2);
  });
});
