import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../core/events.js';
import { testContext } from '../../../test/support/context.js';
import { OscConfig } from './config.js';
import { oscComponent } from './index.js';
import { OscSink } from './osc.js';
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
