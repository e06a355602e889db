import { readFileSync } from 'node:fs';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../core/events.js';
import { testContext } from '../../../test/support/context.js';
import { OscConfig } from './config.js';
import { oscComponent } from './index.js';
import { OscSink } from './osc.js';
import { STAGE_NICE, STAGE_RT_PRIORITY } from './stage/priority.js';
import { OscStageSink, TargetMaker } from './stageSink.js';

const ramp = { id: 'c/0/ramp1', from: 0.5, to: 1, ms: 40, startTs: 0 };
const control = (value: number, extra: Partial<ControlEvent> = {}): ControlEvent => ({
  kind: 'control',
  variable: 'cutoff',
  value,
  previous: 0.5,
  origin: 'command',
  ts: 0,
  receivedAt: 0,
  ...extra,
});

describe('TargetMaker (the output stage, main side)', () => {
  it('turns a slew into one target carrying how long ago it began; its later steps add nothing', () => {
    const clock = new VirtualTimeScheduler();
    const maker = new TargetMaker(OscConfig.parse({ control_rates: { cutoff: '200/s' } }), clock);
    clock.frame = 10;
    const first = maker.make(control(0.625, { ramp }));
    expect(first).toEqual({
      key: '/cv/cutoff',
      address: '/cv/cutoff',
      values: [0.625],
      urgent: false,
      ramp: { id: ramp.id, from: 0.5, to: 1, ms: 40, elapsed: 10, stepMs: 5 },
    });
    expect(maker.make(control(0.75, { origin: 'slew', ramp }))).toBeUndefined();
    // A new slew of the key is a new target; another variable steps at control_rate (100/s).
    const next = maker.make(control(0.6, { ramp: { ...ramp, id: 'c/0/ramp2' } }));
    expect(next).toMatchObject({ ramp: { id: 'c/0/ramp2' } });
    const other = maker.make(control(0.6, { variable: 'res', ramp: { ...ramp, id: 'c/0/ramp3' } }));
    expect(other).toMatchObject({ key: '/cv/res', ramp: { stepMs: 10 } });
  });

  it('forwards every step as it comes when no argument is the bare value (nothing to interpolate)', () => {
    const maker = new TargetMaker(
      OscConfig.parse({ args: [{ type: 'f', value: '{{ previous }}' }] }),
      new VirtualTimeScheduler(),
    );
    const a = maker.make(control(0.625, { ramp }));
    const b = maker.make(control(0.75, { origin: 'slew', ramp }));
    expect([a, b]).toMatchObject([{ values: [0.5] }, { values: [0.5] }]);
    expect(a).not.toHaveProperty('ramp');
  });

  it('marks defaults to learn (default, panic, reset), to forget (retired), and urgent values', () => {
    const maker = new TargetMaker(OscConfig.parse({}), new VirtualTimeScheduler());
    expect(maker.make(control(0.5, { origin: 'default' }))).toMatchObject({ defaults: 'learn', urgent: false });
    expect(maker.make(control(0.5, { origin: 'panic' }))).toMatchObject({ defaults: 'learn', urgent: true });
    expect(maker.make(control(0.5, { origin: 'retired' }))).toMatchObject({ defaults: 'forget', urgent: true });
    expect(maker.make(control(0.5))).not.toHaveProperty('defaults');
    expect(maker.make(control(Number.NaN))).toBe('invalid');
  });
});

describe('osc: which sink a real run gets', () => {
  it('the output stage by default, the main-thread sink with thread: main', () => {
    const ctx = testContext({ id: 'synth', kind: 'sink', type: 'osc' });
    expect(oscComponent.create(OscConfig.parse({}), ctx)).toBeInstanceOf(OscStageSink);
    expect(oscComponent.create(OscConfig.parse({ thread: 'main' }), ctx)).toBeInstanceOf(OscSink);
  });
});

/** Scheduling policy (0 normal, 1 SCHED_FIFO), real-time priority and niceness of one of this process's threads. */
function threadScheduling(tid: number): { policy: number; rtPriority: number; nice: number } {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the `(comm)`, from the third (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { nice: field(19), rtPriority: field(40), policy: field(41) };
}

/** Whether this process holds CAP_SYS_NICE (bit 23 of its effective capabilities). */
function hasSysNice(): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 23n)) !== 0n;
}

describe('the output stage thread is scheduled as it reports', () => {
  it('real-time SCHED_FIFO where allowed (root here), else nice −10, else normal; off Linux, untouched', async () => {
    const sink = new OscStageSink('synth', OscConfig.parse({ target: '127.0.0.1:9' }));
    await sink.start();
    try {
      for (let i = 0; i < 200 && sink.stage === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      const stage = sink.stage;
      if (process.platform !== 'linux') {
        expect(stage?.priority).toEqual({ policy: 'normal' });
        return;
      }
      expect(stage?.tid).toBeTypeOf('number');
      const actual = threadScheduling(stage?.tid as number);
      const expected =
        stage?.priority.policy === 'realtime'
          ? { policy: 1, rtPriority: STAGE_RT_PRIORITY }
          : { policy: 0, rtPriority: 0, nice: stage?.priority.policy === 'nice' ? STAGE_NICE : 0 };
      expect(actual).toMatchObject(expected);
      // With CAP_SYS_NICE (root on this test machine) nothing refuses it: the stage runs real-time.
      if (hasSysNice()) expect(stage?.priority).toEqual({ policy: 'realtime', priority: STAGE_RT_PRIORITY });
    } finally {
      await sink.stop();
    }
  });
});
