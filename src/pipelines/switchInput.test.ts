import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import type { ChatflowEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { OutputPort } from './ports.js';
import { SinkRelay, SwitchInput } from './switchInput.js';

const events = Object.fromEntries(['1', '2', '3', '4', 'x', 'y', 'z'].map((k) => [k, chat(k)])) as Record<
  string,
  ChatflowEvent
>;

/** A port fed by a marble stream (its completion included). */
function port(stream$: Observable<ChatflowEvent>, name: string): OutputPort {
  const out = new OutputPort(new NodeMetrics(name, 'source', 'feed'), '');
  stream$.subscribe({ next: (e) => out.emit(e), complete: () => out.complete() });
  return out;
}

describe('SwitchInput', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('moves its subscriber to other ports mid-stream, losing and repeating nothing', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const a = port(hot('-1-2-3-4-|', events), 'a');
      const b = port(hot('--x--y-z---|', events), 'b');
      const input = new SwitchInput([a]);
      scheduler.schedule(() => input.setPorts([b]), 4);
      // `a` completing after the switch does not count; `b` completing does.
      expectObservable(input.events$).toBe('-1-2-y-z---|', events);
    });
  });

  it('completes when every port it reads has completed, and ignores a switch to the same ports', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const a = port(hot('-1--|', events), 'a');
      const b = port(hot('--x----|', events), 'b');
      const input = new SwitchInput([a, b]);
      scheduler.schedule(() => input.setPorts([a, b]), 2);
      expectObservable(input.events$).toBe('-1x----|', events);
    });
  });

  it('moves every live subscriber, each once', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const a = port(hot('-1-2-3-|', events), 'a');
      const b = port(hot('-x-y-z-|', events), 'b');
      const input = new SwitchInput([a]);
      scheduler.schedule(() => input.setPorts([b]), 2);
      expectObservable(input.events$).toBe('-1-y-z-|', events);
      expectObservable(input.events$, '--^----').toBe('---y-z-|', events);
    });
  });
});

describe('SinkRelay', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('keeps its one subscriber while what feeds it changes, and holds it open when detached', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const a = port(hot('-1-2-3-4--|', events), 'a');
      const b = port(hot('-x-y-z-----|', events), 'b');
      const relay = new SinkRelay();
      const fromA = new SwitchInput([a]);
      const fromB = new SwitchInput([b]);
      relay.attach((subscriber) => fromA.attach(subscriber));
      scheduler.schedule(() => relay.attach((subscriber) => fromB.attach(subscriber)), 2);
      scheduler.schedule(() => relay.detach(), 6);
      // Neither `a` completing (detached) nor `b` completing (detached too) ends the sink's input.
      expectObservable(relay.events$).toBe('-1-y-z-----', events);
    });
  });

  it('detaches a feed through the subscription attach returned, unless another feed replaced it', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const a = port(hot('-1-2-3-|', events), 'a');
      const b = port(hot('-x-y-z-----|', events), 'b');
      const relay = new SinkRelay();
      const first = relay.attach((subscriber) => new SwitchInput([a]).attach(subscriber));
      scheduler.schedule(() => relay.attach((subscriber) => new SwitchInput([b]).attach(subscriber)), 2);
      scheduler.schedule(() => first.unsubscribe(), 4);
      expectObservable(relay.events$).toBe('-1-y-z-----|', events);
    });
  });
});
