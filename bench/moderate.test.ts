import { describe, expect, it } from 'vitest';
import { ChatClock } from './moderate.js';

describe('ChatClock', () => {
  it('fires each timer when chat time passes its due time, at that time, in order', () => {
    const clock = new ChatClock();
    const fired: [string, number][] = [];
    clock.scheduler.schedule(() => fired.push(['b', clock.scheduler.now()]), 50);
    clock.scheduler.schedule(() => fired.push(['a', clock.scheduler.now()]), 20);
    clock.advanceTo(10);
    expect(fired).toEqual([]);
    expect(clock.scheduler.now()).toBe(10);
    clock.advanceTo(60);
    expect(fired).toEqual([
      ['a', 20],
      ['b', 50],
    ]);
    expect(clock.scheduler.now()).toBe(60);
  });

  it('fires a timer scheduled by a timer when its own time comes', () => {
    const clock = new ChatClock();
    const fired: number[] = [];
    clock.scheduler.schedule(() => {
      fired.push(clock.scheduler.now());
      clock.scheduler.schedule(() => fired.push(clock.scheduler.now()), 100);
    }, 10);
    clock.advanceTo(50);
    expect(fired).toEqual([10]);
    clock.advanceTo(200);
    expect(fired).toEqual([10, 110]);
  });
});
