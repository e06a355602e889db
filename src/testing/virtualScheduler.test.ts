import { interval, type SchedulerAction, take, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { VirtualScheduler } from './virtualScheduler.js';

describe('VirtualScheduler', () => {
  it('runs actions in time order, and those of equal times in the order they were scheduled', async () => {
    const s = new VirtualScheduler(1000);
    const seen: string[] = [];
    s.schedule(() => seen.push(`a@${s.now()}`), 10);
    s.schedule(() => seen.push(`b@${s.now()}`), 5);
    s.schedule(() => seen.push(`c@${s.now()}`), 10);
    s.schedule(() => seen.push(`d@${s.now()}`), 0);
    await s.advance(1020);
    expect(seen).toEqual(['d@1000', 'b@1005', 'a@1010', 'c@1010']);
    expect(s.now()).toBe(1020);
  });

  it('runs what an action schedules with no delay in the same instant, after what was already due', async () => {
    const s = new VirtualScheduler();
    const seen: string[] = [];
    s.schedule(() => {
      seen.push('first');
      s.schedule(() => seen.push(`nested@${s.now()}`));
    }, 5);
    s.schedule(() => seen.push('second'), 5);
    await s.advance(5);
    expect(seen).toEqual(['first', 'second', 'nested@5']);
    expect(s.instants).toBe(1);
  });

  it('leaves actions after `until` queued, and runs them on the next advance', async () => {
    const s = new VirtualScheduler();
    const seen: number[] = [];
    s.schedule(() => seen.push(s.now()), 50);
    await s.advance(49);
    expect(seen).toEqual([]);
    expect(s.nextDue()).toBe(50);
    await s.advance(50);
    expect(seen).toEqual([50]);
  });

  it('reschedules an action from its own work and cancels it on unsubscribe', async () => {
    const s = new VirtualScheduler();
    const seen: number[] = [];
    const sub = s.schedule<number>(
      function (this: SchedulerAction<number>, n = 0) {
        seen.push(s.now());
        if (n < 10) this.schedule(n + 1, 3);
      },
      1,
      0,
    );
    s.schedule(() => sub.unsubscribe(), 8);
    await s.advance(100);
    expect(seen).toEqual([1, 4, 7]);
    expect(s.nextDue()).toBeUndefined();
  });

  it('stops a self-rescheduling interval at `until` (it never loops on its own)', async () => {
    const s = new VirtualScheduler();
    const ticks: number[] = [];
    const sub = interval(1000, s).subscribe(() => ticks.push(s.now()));
    await s.advance(10_500);
    sub.unsubscribe();
    expect(ticks).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(s.now()).toBe(10_500);
  });

  it('gives RxJS operators exact virtual times', async () => {
    const s = new VirtualScheduler(0);
    const seen: number[] = [];
    timer(250, 100, s)
      .pipe(take(3))
      .subscribe(() => seen.push(s.now()));
    await s.advance(1000);
    expect(seen).toEqual([250, 350, 450]);
  });

  it('lets a tracked promise settle before the next instant, at the time it was started', async () => {
    const s = new VirtualScheduler();
    const seen: string[] = [];
    s.schedule(() => {
      seen.push(`start@${s.now()}`);
      const write = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        seen.push(`settled@${s.now()}`);
        s.schedule(() => seen.push(`follow-up@${s.now()}`), 1);
      });
      s.track(write);
    }, 5);
    s.schedule(() => seen.push(`next@${s.now()}`), 7);
    await s.advance(10);
    expect(seen).toEqual(['start@5', 'settled@5', 'follow-up@6', 'next@7']);
    expect(s.pending).toBe(0);
  });

  it('pays no turn of the event loop while nothing async is pending', async () => {
    const s = new VirtualScheduler();
    for (let i = 0; i < 100; i++) s.schedule(() => {}, i);
    await s.advance(1000);
    expect(s.actions).toBe(100);
    expect(s.settles).toBe(0);
  });

  it('fails when a tracked promise never settles instead of hanging', async () => {
    const s = new VirtualScheduler();
    s.schedule(() => {
      s.track(new Promise<void>(() => {}));
    }, 1);
    await expect(s.advance(5, () => false, 20)).rejects.toThrow('did not settle within 20 turns');
  });

  it('stops at the end of an instant once asked to', async () => {
    const s = new VirtualScheduler();
    const seen: number[] = [];
    for (const t of [1, 2, 3, 4]) s.schedule(() => seen.push(t), t);
    const result = await s.advance(10, () => seen.length >= 2);
    expect(result).toBe('stopped');
    expect(seen).toEqual([1, 2]);
    expect(s.now()).toBe(2);
  });

  it('rethrows what an action throws, and cancels that action', async () => {
    const s = new VirtualScheduler();
    const sub = s.schedule(() => {
      throw new Error('boom');
    }, 1);
    await expect(s.advance(5)).rejects.toThrow('boom');
    expect(sub.closed).toBe(true);
  });
});
