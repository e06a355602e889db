import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { decodeOscPacket } from '../preview.js';
import { OutputStage } from './outputStage.js';
import type { StageTarget } from './protocol.js';
import { StepLoop } from './stepLoop.js';

/** A stage on virtual time, its step grids driven by hand, its datagrams decoded. */
function harness(options: { intervalMs?: number; timetagMs?: number; configured?: StageTarget[]; fromMain?: (t: number) => number } = {}) {
  const clock = new VirtualTimeScheduler();
  const sent: Array<Record<string, unknown>> = [];
  const drops: Record<string, number> = {};
  const idle: Array<{ key: string; seq: number; sentAt: number | undefined; at: number }> = [];
  // The real step loop on the virtual clock (no precise wait: timers land exactly in virtual time).
  const loop: StepLoop = new StepLoop({
    now: () => clock.now(),
    timers: { set: (fn, ms) => clock.schedule(fn, ms), clear: (h) => (h as { unsubscribe(): void }).unsubscribe() },
    tick: (key, k, at) => stage.tick(key, k, at),
  });
  const stage: OutputStage = new OutputStage(
    {
      types: ['f'],
      valueIndexes: [0],
      configured: (options.configured ?? []).map(({ key, address, values }) => ({ key, address, values })),
      intervalMs: options.intervalMs ?? 0,
      timetagMs: options.timetagMs ?? 0,
      bundleDelayMs: undefined,
    },
    {
      now: () => clock.now(),
      epochOf: (t) => 1_700_000_000_000 + t,
      scheduler: clock,
      loop,
      send: (packet) => sent.push(...decodeOscPacket(packet)),
      drop: (reason, count = 1) => {
        drops[reason] = (drops[reason] ?? 0) + count;
      },
      ...(options.fromMain ? { fromMain: options.fromMain } : {}),
      idle: (key, seq, sentAt) => idle.push({ key, seq, sentAt, at: clock.now() }),
    },
  );
  /** Moves virtual time to `to`, running the timers due on the way. */
  const stepTo = (to: number) => {
    clock.maxFrames = to;
    clock.flush();
    clock.frame = to;
  };
  let seq = 0;
  const value = (v: number, extra: Partial<StageTarget> = {}): StageTarget => ({
    seq: ++seq,
    key: '/cv/cutoff',
    address: '/cv/cutoff',
    values: [v],
    urgent: false,
    ...extra,
  });
  return { stage, sent, drops, idle, loop, stepTo, value, values: () => sent.map((m) => m.value) };
}

describe('OutputStage', () => {
  it('steps a slew as control does: step k at its start + k·step, from + (to − from)·k·step/ms, the target last', () => {
    const h = harness();
    h.stage.apply([h.value(0.5)]);
    h.stepTo(3);
    h.stage.apply([h.value(0.625, { ramp: { id: 'r1', from: 0.5, to: 1, ms: 40, elapsed: 0, stepMs: 10 } })]);
    const at: number[] = [];
    for (let t = 4; t <= 80; t++) {
      const before = h.sent.length;
      h.stepTo(t);
      if (h.sent.length > before) at.push(t);
    }
    expect(h.values()).toEqual([0.5, 0.625, 0.75, 0.875, 1]);
    expect(at).toEqual([13, 23, 33, 43]);
    expect(h.loop.active).toBe(0);
  });

  it('anchors a slew that reaches it late at its start: its current step at once, none of the missed ones', () => {
    const h = harness();
    h.stage.apply([h.value(0.1, { ramp: { id: 'r1', from: 0, to: 1, ms: 100, elapsed: 25, stepMs: 10 } })]);
    expect(h.values()).toEqual([0.2]);
    h.stepTo(5);
    expect(h.values()).toEqual([0.2, 0.3]);
  });

  it('ignores a target of the slew it is already running (the same ramp id)', () => {
    const h = harness();
    h.stage.apply([h.value(0.6, { ramp: { id: 'r1', from: 0.5, to: 1, ms: 20, elapsed: 0, stepMs: 10 } })]);
    h.stepTo(10);
    h.stage.apply([h.value(0.75, { ramp: { id: 'r1', from: 0.5, to: 1, ms: 20, elapsed: 0, stepMs: 10 } })]);
    h.stepTo(30);
    expect(h.values()).toEqual([0.75, 1]);
  });

  it('never applies a target older than one applied to its key (sequence numbers)', () => {
    const h = harness();
    const fresh = h.value(0.9);
    const stale = { ...h.value(0.1), seq: fresh.seq - 1 };
    h.stage.apply([fresh, stale]);
    expect(h.values()).toEqual([0.9]);
    expect(h.drops).toEqual({ superseded: 1 });
  });

  it('a plain value ends a running slew; a slew supersedes a value waiting for max_rate', () => {
    const h = harness({ intervalMs: 5 });
    h.stage.apply([h.value(0, { ramp: { id: 'r1', from: 0, to: 1, ms: 100, elapsed: 0, stepMs: 10 } })]);
    h.stepTo(10);
    h.stage.apply([h.value(0.2)]);
    h.stepTo(40);
    // The slew's first step, then the value; no step after it.
    expect(h.values()).toEqual([0.1, 0.2]);
    h.stage.apply([h.value(0.3), h.value(0.4)]);
    // 0.3 went out; 0.4 waits for the pace, and a slew begins before it may leave.
    h.stage.apply([h.value(0.5, { ramp: { id: 'r2', from: 0.3, to: 0.8, ms: 10, elapsed: 0, stepMs: 10 } })]);
    h.stepTo(60);
    expect(h.values()).toEqual([0.1, 0.2, 0.3, 0.8]);
    expect(h.drops.superseded).toBe(1);
  });

  it('sends a panic at once, ending the slew, whatever the pace', () => {
    const h = harness({ intervalMs: 50 });
    h.stage.apply([h.value(0, { ramp: { id: 'r1', from: 0, to: 1, ms: 1000, elapsed: 0, stepMs: 10 } })]);
    h.stepTo(20);
    h.stage.apply([h.value(0.5, { urgent: true, defaults: 'learn' })]);
    h.stepTo(100);
    expect(h.values()).toEqual([0.01, 0.02, 0.5]);
  });

  it('at stop ends every slew and waiting value, and sends each default once, configured ones winning', () => {
    const h = harness({
      intervalMs: 50,
      configured: [{ seq: 0, key: '/cv/res', address: '/cv/res', values: [0.2], urgent: true }],
    });
    h.stage.apply([
      h.value(0.5, { defaults: 'learn' }),
      { ...h.value(0.9), key: '/cv/res', address: '/cv/res', defaults: 'learn' },
      h.value(0.7),
    ]);
    h.stage.apply([{ ...h.value(0, { ramp: { id: 'r', from: 0, to: 1, ms: 100, elapsed: 0, stepMs: 10 } }), key: '/cv/pitch', address: '/cv/pitch' }]);
    expect(h.stage.stop()).toBe(2);
    h.stepTo(200);
    expect(h.sent).toEqual([
      { address: '/cv/cutoff', value: 0.5 },
      { address: '/cv/res', value: 0.9 },
      { address: '/cv/cutoff', value: 0.5 },
      { address: '/cv/res', value: 0.2 },
    ]);
    expect(h.drops).toEqual({ superseded: 1 });
    expect(h.loop.active).toBe(0);
  });

  it('with timetag, stamps each step with its scheduled time plus the latency, not the time it left', () => {
    const h = harness({ timetagMs: 20 });
    h.stage.apply([h.value(0, { ramp: { id: 'r', from: 0, to: 1, ms: 20, elapsed: 0, stepMs: 10 } })]);
    h.stepTo(20);
    const ms = (tag: unknown) => {
      const [s, f] = tag as [number, number];
      return Math.round(((s - 2_208_988_800) * 1000 + (f / 2 ** 32) * 1000) * 1000) / 1000;
    };
    expect(h.sent.map((m) => ms(m.bundle))).toEqual([1_700_000_000_030, 1_700_000_000_040]);
  });

  describe('a change held for its beat (dueAt)', () => {
    /** Main-thread time t is stage time t − 1000 (the threads' performance.now() origins differ). */
    const fromMain = (t: number) => t - 1000;

    /** Sends at each virtual ms from `from` to `to`: the times something left. */
    const sendTimes = (h: ReturnType<typeof harness>, from: number, to: number) => {
      const at: number[] = [];
      for (let t = from; t <= to; t++) {
        const before = h.sent.length;
        h.stepTo(t);
        if (h.sent.length > before) at.push(t);
      }
      return at;
    };

    it('holds it and sends it at its time on the stage clock, past the pace, never before', () => {
      const h = harness({ intervalMs: 100, fromMain });
      h.stage.apply([h.value(0.5)]);
      h.stepTo(10);
      h.stage.apply([h.value(0.8, { dueAt: 1250 })]);
      expect(h.stage.holding).toBe(1);
      expect(sendTimes(h, 11, 400)).toEqual([250]);
      expect(h.values()).toEqual([0.5, 0.8]);
      expect(h.stage.holding).toBe(0);
      expect(h.loop.active).toBe(0);
    });

    it('sends one whose time has passed at once', () => {
      const h = harness({ fromMain });
      h.stepTo(300);
      h.stage.apply([h.value(0.8, { dueAt: 1250 })]);
      expect(h.values()).toEqual([0.8]);
    });

    it('drops it for a newer target of its key (a panic goes at once, the held change never after it)', () => {
      const h = harness({ intervalMs: 100, fromMain });
      h.stage.apply([h.value(0.8, { dueAt: 1250 }), { ...h.value(0.3, { dueAt: 1250 }), key: '/cv/res', address: '/cv/res' }]);
      h.stepTo(100);
      h.stage.apply([h.value(0.5, { urgent: true, defaults: 'learn' })]);
      expect(sendTimes(h, 101, 600)).toEqual([250]);
      expect(h.sent).toEqual([
        { address: '/cv/cutoff', value: 0.5 },
        { address: '/cv/res', value: 0.3 },
      ]);
      expect(h.drops).toEqual({ superseded: 1 });
    });

    it('drops it unsent and uncounted when withdrawn; a withdrawal of another sequence does nothing', () => {
      const h = harness({ fromMain });
      const held = h.value(0.8, { dueAt: 1250 });
      h.stage.apply([held]);
      h.stage.withdraw('/cv/cutoff', held.seq - 1);
      expect(h.stage.holding).toBe(1);
      h.stage.withdraw('/cv/cutoff', held.seq);
      h.stepTo(600);
      expect(h.sent).toEqual([]);
      expect(h.drops).toEqual({});
      expect(h.loop.active).toBe(0);
    });

    it('at stop drops it: the defaults are the last word', () => {
      const h = harness({ fromMain });
      h.stage.apply([h.value(0.5, { defaults: 'learn' }), h.value(0.8, { dueAt: 1250 })]);
      h.stage.stop();
      h.stepTo(600);
      expect(h.values()).toEqual([0.5, 0.5]);
      expect(h.drops).toEqual({ superseded: 1 });
    });

    it('a slew of another key keeps its steps while a change is held', () => {
      const h = harness({ fromMain });
      h.stage.apply([{ ...h.value(0, { ramp: { id: 'r', from: 0, to: 1, ms: 40, elapsed: 0, stepMs: 10 } }), key: '/cv/pitch', address: '/cv/pitch' }]);
      h.stage.apply([h.value(0.8, { dueAt: 1025 })]);
      expect(sendTimes(h, 1, 60)).toEqual([10, 20, 25, 30, 40]);
    });
  });

  describe('says when it holds nothing of a key (the main side then sends it itself)', () => {
    it('after a plain value went out, once per target, with its send time', () => {
      const h = harness();
      h.stepTo(2);
      h.stage.apply([h.value(0.5)]);
      expect(h.idle).toEqual([{ key: '/cv/cutoff', seq: 1, sentAt: 2, at: 2 }]);
      h.stage.apply([h.value(0.6)]);
      expect(h.idle.map((i) => i.seq)).toEqual([1, 2]);
    });

    it('not while a slew runs; at its last step, with that step as the last send', () => {
      const h = harness();
      h.stage.apply([h.value(0.25, { ramp: { id: 'r1', from: 0, to: 1, ms: 40, elapsed: 0, stepMs: 10 } })]);
      h.stepTo(35);
      expect(h.idle).toEqual([]);
      h.stepTo(40);
      expect(h.values()).toEqual([0.25, 0.5, 0.75, 1]);
      expect(h.idle).toEqual([{ key: '/cv/cutoff', seq: 1, sentAt: 40, at: 40 }]);
    });

    it('not while a value waits for its pace; when it has gone', () => {
      const h = harness({ intervalMs: 10 });
      h.stage.apply([h.value(0.1), h.value(0.2)]);
      expect(h.values()).toEqual([0.1]);
      // Idle after 1 (the main side ignores it: it posted 2 since), not after 2, which waits.
      expect(h.idle.map((i) => i.seq)).toEqual([1]);
      h.stepTo(10);
      expect(h.values()).toEqual([0.1, 0.2]);
      expect(h.idle.at(-1)).toEqual({ key: '/cv/cutoff', seq: 2, sentAt: 10, at: 10 });
    });

    it('not while a change is held for its beat; when it is released, or withdrawn', () => {
      const h = harness();
      h.stage.apply([h.value(0.3, { dueAt: 20 })]);
      expect(h.idle).toEqual([]);
      h.stepTo(20);
      expect(h.values()).toEqual([0.3]);
      expect(h.idle.map((i) => [i.seq, i.at])).toEqual([[1, 20]]);
      const held = h.value(0.4, { dueAt: 50 });
      h.stage.apply([held]);
      h.stepTo(30);
      h.stage.withdraw(held.key, held.seq);
      expect(h.values()).toEqual([0.3]);
      expect(h.idle.map((i) => [i.seq, i.at])).toEqual([[1, 20], [2, 30]]);
    });

    it('paces a posted value from the main side\'s last send of its key (`sentAt`)', () => {
      const h = harness({ intervalMs: 10, fromMain: (t) => t - 100 });
      h.stepTo(5);
      // Sent from the main thread at its 103 (stage time 3): the next may go at 13.
      h.stage.apply([h.value(0.7, { sentAt: 103 })]);
      expect(h.values()).toEqual([]);
      h.stepTo(12);
      expect(h.values()).toEqual([]);
      h.stepTo(13);
      expect(h.values()).toEqual([0.7]);
    });

    it('says nothing after stop', () => {
      const h = harness();
      h.stage.apply([h.value(0.25, { ramp: { id: 'r1', from: 0, to: 1, ms: 40, elapsed: 0, stepMs: 10 } })]);
      h.stage.stop();
      h.stepTo(100);
      expect(h.idle).toEqual([]);
    });
  });
});
