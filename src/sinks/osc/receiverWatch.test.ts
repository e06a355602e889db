import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { isRefused, ReceiverWatch } from './receiverWatch.js';

describe('ReceiverWatch', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('goes absent on a refusal, and answering only after a send that no refusal followed within confirmMs', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const changes: string[] = [];
      const watch = new ReceiverWatch(scheduler, 5, (state) => changes.push(`${scheduler.now()}:${state}`));
      //        s: sent, r: refused
      const events = cold('s-r--s-r-s-----s|');
      events.subscribe((e) => (e === 's' ? watch.sent() : watch.refused()));
      expectObservable(events).toBe('s-r--s-r-s-----s|');
      scheduler.flush();
      // The first send is refused at 2 (absent), the one at 5 again at 7 (no second line), the
      // one at 9 is not: answering at 14; the send at 15 changes nothing.
      expect(changes).toEqual(['2:absent', '14:answering']);
      expect(watch.state).toBe('answering');
    });
  });

  it('is unknown until a verdict, and close() cancels a pending confirmation', () => {
    scheduler.run(() => {
      const changes: string[] = [];
      const watch = new ReceiverWatch(scheduler, 5, (state) => changes.push(state));
      expect(watch.state).toBe('unknown');
      watch.sent();
      watch.close();
      scheduler.flush();
      expect(changes).toEqual([]);
      expect(watch.state).toBe('unknown');
    });
  });

  it('reads ECONNREFUSED and ECONNRESET (Windows) as "no receiver", other errors not', () => {
    expect(isRefused(Object.assign(new Error('send ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRefused(Object.assign(new Error('recvmsg ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRefused(Object.assign(new Error('send EMSGSIZE'), { code: 'EMSGSIZE' }))).toBe(false);
    expect(isRefused(new Error('no code'))).toBe(false);
    expect(isRefused(null)).toBe(false);
  });
});
