import { map, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import { control, ControlConfig } from '../operators/control/index.js';
import { type ControlAction, ControlBus } from './controlBus.js';
import type { ChatflowEvent, CommandEvent, ControlEvent } from './events.js';
import { NodeMetrics } from './metrics.js';

const cv = (value: number, user = 'viewer'): CommandEvent => ({
  kind: 'command',
  name: 'cv',
  args: { name: 'cutoff', value },
  chat: chat(`!cv cutoff ${value}`, { user }),
  receivedAt: 0,
});

describe('ControlBus', () => {
  it('delivers to every subscriber and says how many there were', () => {
    const bus = new ControlBus();
    const seen: string[] = [];
    expect(bus.send({ verb: 'panic', source: 'api' })).toBe(0);
    const a = bus.actions.subscribe((x) => seen.push(`a:${x.verb}`));
    bus.actions.subscribe((x) => seen.push(`b:${x.verb}`));
    expect(bus.send({ verb: 'pause', source: 'api' })).toBe(2);
    a.unsubscribe();
    expect(bus.listeners).toBe(1);
    expect(bus.send({ verb: 'resume', source: 'api' })).toBe(1);
    expect(seen).toEqual(['a:pause', 'b:pause', 'b:resume']);
  });
});

describe('control with a control bus', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const config = ControlConfig.parse({ variables: { cutoff: { range: [0, 1], default: 0.5 } } });
  const value = (e: ControlEvent) => `${e.origin}:${e.value}`;

  it('pauses, resumes and panics on bus actions, as an admin command would', () => {
    testScheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot<ChatflowEvent>('-a--b--c----|', { a: cv(0.9), b: cv(0.1), c: cv(0.2) });
      const actions = cold<ControlAction>('--p--r--x', {
        p: { verb: 'pause', source: 'test' },
        r: { verb: 'resume', source: 'test' },
        x: { verb: 'panic', source: 'test' },
      });
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out = source.pipe(control(config, { scheduler: testScheduler, drops, actions }), map(value));
      expectObservable(out).toBe('da-----cx---|', {
        d: 'default:0.5',
        a: 'command:0.9',
        c: 'command:0.2',
        x: 'panic:0.5',
      });
      expectSubscriptions(actions.subscriptions).toBe('^-----------!');
      testScheduler.flush();
      expect(drops.snapshot().dropped.paused?.count).toBe(1);
    });
  });

  it('stops listening to the bus when unsubscribed', () => {
    const bus = new ControlBus();
    const source = new Subject<ChatflowEvent>();
    const sub = source.pipe(control(config, { actions: bus.actions })).subscribe();
    expect(bus.listeners).toBe(1);
    sub.unsubscribe();
    expect(bus.listeners).toBe(0);
  });

  it('applies a bus panic at once, outside any chat event', () => {
    const bus = new ControlBus();
    const source = new Subject<ChatflowEvent>();
    const seen: string[] = [];
    source.pipe(control(config, { actions: bus.actions })).subscribe((e) => seen.push(value(e)));
    source.next(cv(0.8));
    expect(bus.send({ verb: 'panic', source: 'test' })).toBe(1);
    expect(seen).toEqual(['default:0.5', 'command:0.8', 'panic:0.5']);
  });
});
