import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planPolling } from './quota.js';

const HOUR = 3_600_000;
const base = { remainingUnits: 10_000, unitsPerPoll: 5, minIntervalMs: 5000, msUntilStreamEnd: 4 * HOUR, msUntilReset: 20 * HOUR };

describe('planPolling', () => {
  it('polls at the server pace when the budget lasts the stream anyway', () => {
    // 2000 polls over 2 h: every 3.6 s would do, the server asks for 5 s.
    const plan = planPolling({ ...base, msUntilStreamEnd: 2 * HOUR });
    expect(plan).toMatchObject({ intervalMs: 5000, pollsLeft: 2000, remainingUnits: 10_000, paced: false, exhausted: false });
    expect(plan.exhaustedInMs).toBe(2000 * 5000);
  });

  it('slows down to spread the budget over the stream: 10,000 units over 8 h is a poll every 14.4 s', () => {
    const plan = planPolling({ ...base, msUntilStreamEnd: 8 * HOUR });
    expect(plan.intervalMs).toBe(14_400);
    expect(plan.paced).toBe(true);
    expect(plan.exhaustedInMs).toBe(8 * HOUR);
  });

  it('plans only up to the quota reset when it comes before the end of the stream', () => {
    expect(planPolling({ ...base, remainingUnits: 1000, msUntilStreamEnd: 8 * HOUR, msUntilReset: HOUR }).intervalMs).toBe(18_000);
  });

  it('uses the server pace once the stream ran past its expected length', () => {
    expect(planPolling({ ...base, remainingUnits: 10, msUntilStreamEnd: -HOUR }).intervalMs).toBe(5000);
  });

  it('waits for the reset when nothing is left', () => {
    expect(planPolling({ ...base, remainingUnits: 2 })).toMatchObject({ intervalMs: 20 * HOUR, pollsLeft: 0, exhaustedInMs: 0, exhausted: true });
  });

  const inputs = fc.record({
    remainingUnits: fc.integer({ min: -100, max: 1_000_000 }),
    unitsPerPoll: fc.integer({ min: 1, max: 50 }),
    minIntervalMs: fc.integer({ min: 0, max: 60_000 }),
    msUntilStreamEnd: fc.integer({ min: -10 * HOUR, max: 48 * HOUR }),
    msUntilReset: fc.integer({ min: 1000, max: 25 * HOUR }),
  });

  it('never polls faster than the minimum, and never plans more polls than the budget pays for before the horizon', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const plan = planPolling(input);
        expect(plan.intervalMs).toBeGreaterThanOrEqual(input.minIntervalMs);
        const horizon = Math.min(Math.max(0, input.msUntilStreamEnd), input.msUntilReset);
        if (!plan.exhausted && horizon > 0) {
          expect(Math.floor(horizon / plan.intervalMs)).toBeLessThanOrEqual(plan.pollsLeft);
        }
        expect(plan.remainingUnits).toBe(Math.max(0, input.remainingUnits));
      }),
    );
  });

  it('never polls faster after spending more', () => {
    fc.assert(
      fc.property(inputs, fc.integer({ min: 0, max: 5000 }), (input, more) => {
        if (input.msUntilStreamEnd <= 0) return;
        const before = planPolling(input);
        const after = planPolling({ ...input, remainingUnits: input.remainingUnits - more });
        expect(after.intervalMs).toBeGreaterThanOrEqual(before.intervalMs);
      }),
    );
  });
});
