import { createSocket } from 'node:dgram';
import osc from 'osc';
import { asyncScheduler, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Beat, bpmOf, ClockSettings } from '../core/beatClock.js';
import { PipelineError } from '../core/errors.js';
import { OscClock, openClock, type RunningClock } from './oscClock.js';

const beat = (n?: number) =>
  osc.writePacket({ address: '/clock/beat', args: n === undefined ? [] : [{ type: 'i', value: n }] }, { metadata: true });
const follow = ClockSettings.parse({ follow: { listen: '127.0.0.1:0' } });

const open: RunningClock[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('OscClock', () => {
  it('estimates the grid from beats, numbers them, and passes them on', () => {
    const scheduler = new VirtualTimeScheduler();
    const clock = new OscClock(follow.follow as NonNullable<typeof follow.follow>, 4, { scheduler });
    const seen: Beat[] = [];
    clock.beats$.subscribe((b) => seen.push(b));
    for (let n = 0; n < 4; n++) clock.receive(beat(), 1000 + n * 500);
    expect(seen.map((b) => [b.at, b.beat, b.bpm])).toEqual([
      [1500, 1, 120],
      [2000, 2, 120],
      [2500, 3, 120],
    ]);
    expect(clock.stats).toEqual({ beats: 4, rejected: 0, tempos: 0, malformed: 0, ignored: 0 });
  });

  it('reads beat numbers, /tempo, bundles; counts what it cannot use', () => {
    const scheduler = new VirtualTimeScheduler();
    const clock = new OscClock(follow.follow as NonNullable<typeof follow.follow>, 4, { scheduler });
    clock.receive(osc.writePacket({ address: '/tempo', args: [{ type: 'f', value: 100 }] }, { metadata: true }), 0);
    const bundle = osc.writePacket(
      { timeTag: { raw: [0, 1] }, packets: [{ address: '/clock/beat', args: [{ type: 'i', value: 6 }] }] },
      { metadata: true },
    );
    clock.receive(bundle, 0);
    const grid = clock.grid();
    expect(grid && bpmOf(grid)).toBeCloseTo(100, 9);
    expect(grid?.anchorBeat).toBe(6);
    clock.receive(new Uint8Array([1, 2, 3]), 10);
    clock.receive(osc.writePacket({ address: '/tempo', args: [{ type: 's', value: 'fast' }] }, { metadata: true }), 10);
    clock.receive(osc.writePacket({ address: '/other', args: [] }, { metadata: true }), 10);
    clock.receive(beat(), 40); // 40 ms after the last: off the grid
    expect(clock.stats).toEqual({ beats: 1, rejected: 1, tempos: 1, malformed: 2, ignored: 1 });
  });

  it('has no grid once beats stop for lost_after', () => {
    const scheduler = new VirtualTimeScheduler();
    const clock = new OscClock(follow.follow as NonNullable<typeof follow.follow>, 4, { scheduler });
    clock.receive(beat(), 0);
    clock.receive(beat(), 500);
    expect(clock.grid()).toBeDefined();
    scheduler.schedule(() => expect(clock.grid()).toBeDefined(), 2500);
    scheduler.schedule(() => expect(clock.grid()).toBeUndefined(), 2501);
    scheduler.flush();
    expect.assertions(3);
  });

  it('listens on a real UDP socket', async () => {
    const running = await openClock(follow, { scheduler: asyncScheduler });
    open.push(running);
    const clock = running.clock as OscClock;
    const sender = createSocket('udp4');
    for (let n = 0; n < 3; n++) {
      await new Promise<void>((resolve, reject) =>
        sender.send(beat(n), clock.port as number, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
    }
    sender.close();
    const deadline = performance.now() + 5000;
    while (clock.stats.beats + clock.stats.rejected < 3 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Sent back to back: each is heard (too fast for a tempo, each starts the estimate over).
    expect(clock.stats.beats + clock.stats.rejected).toBe(3);
  });

  it('refuses a listen address already in use with ERR_RESOURCE, stage config', async () => {
    const first = await openClock(follow, { scheduler: asyncScheduler });
    open.push(first);
    const port = (first.clock as OscClock).port;
    const taken = ClockSettings.parse({ follow: { listen: `127.0.0.1:${port}` } });
    const error = await openClock(taken, { scheduler: asyncScheduler }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'ERR_RESOURCE', stage: 'config' });
  });

  it('makes a fixed clock from bpm', async () => {
    const scheduler = new VirtualTimeScheduler();
    const running = await openClock(ClockSettings.parse({ bpm: 90, beats_per_bar: 3 }), { scheduler });
    expect(running.clock.grid()).toEqual({ anchorAt: 0, anchorBeat: 0, periodMs: 60_000 / 90, beatsPerBar: 3 });
  });
});
