import { describe, expect, it } from 'vitest';
import type { ReplyPriority } from '../../core/events.js';
import { FairQueue, type Queued } from './fairQueue.js';

const q = (item: string, lane = item.slice(0, 1), priority: ReplyPriority = 'normal', at = 0): Queued<string> => ({
  item,
  lane,
  priority,
  at,
});

function drain(queue: FairQueue<string>): string[] {
  const out: string[] = [];
  for (let e = queue.take(); e !== undefined; e = queue.take()) out.push(e.item);
  return out;
}

describe('FairQueue', () => {
  it('serves lanes in turn, each in arrival order', () => {
    const queue = new FairQueue<string>({ max: 100, perLane: 100 });
    for (const i of ['a1', 'a2', 'a3', 'b1', 'a4', 'c1', 'b2']) queue.push(q(i));
    expect(drain(queue)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
  });

  it('serves every high before any normal, every normal before any low', () => {
    const queue = new FairQueue<string>({ max: 100, perLane: 100 });
    queue.push(q('l1', 'x', 'low'));
    queue.push(q('n1', 'y'));
    queue.push(q('h1', 'z', 'high'));
    queue.push(q('n2', 'x'));
    expect(drain(queue)).toEqual(['h1', 'n1', 'n2', 'l1']);
  });

  it('skips a lane whose head is not ready, without losing it', () => {
    const queue = new FairQueue<string>({ max: 100, perLane: 100 });
    queue.push(q('a1'));
    queue.push(q('b1'));
    expect(queue.take((i) => i !== 'a1')?.item).toBe('b1');
    expect(queue.take()?.item).toBe('a1');
  });

  it('full: the arrival takes the place of the longest lane’s newest item, or is dropped', () => {
    const queue = new FairQueue<string>({ max: 3, perLane: 10 });
    queue.push(q('a1'));
    queue.push(q('a2'));
    queue.push(q('a3'));
    expect(queue.push(q('b1'))).toMatchObject({ reason: 'queue_full', entry: { item: 'a3' } });
    expect(queue.push(q('a4'))).toMatchObject({ reason: 'queue_full', entry: { item: 'a4' } });
    expect(queue.push(q('h1', 'h', 'high'))).toMatchObject({ reason: 'queue_full', entry: { item: 'a2' } });
    expect(queue.push(q('l1', 'l', 'low'))).toMatchObject({ reason: 'queue_full', entry: { item: 'l1' } });
    expect(drain(queue)).toEqual(['h1', 'a1', 'b1']);
  });

  it('a lane at its share drops a normal or low arrival; a high one (staff) is only bounded by the queue', () => {
    const queue = new FairQueue<string>({ max: 10, perLane: 2 });
    queue.push(q('a1'));
    queue.push(q('a2', 'a', 'high'));
    expect(queue.push(q('a3'))).toMatchObject({ reason: 'viewer_queue_full', entry: { item: 'a3' } });
    expect(queue.push(q('a4', 'a', 'low'))).toMatchObject({ reason: 'viewer_queue_full', entry: { item: 'a4' } });
    expect(queue.push(q('a5', 'a', 'high'))).toBeUndefined();
    expect(queue.size).toBe(3);
  });

  it('expires what waited too long; puts a retried item back first in its lane', () => {
    const queue = new FairQueue<string>({ max: 10, perLane: 10 });
    queue.push(q('a1', 'a', 'normal', 0));
    queue.push(q('b1', 'b', 'normal', 5));
    expect(queue.expire(10, 10).map((d) => [d.entry.item, d.reason])).toEqual([['a1', 'stale']]);
    const b1 = queue.take() as Queued<string>;
    queue.push(q('c1', 'c', 'normal', 6));
    queue.putBack(b1);
    expect(drain(queue)).toEqual(['b1', 'c1']);
    expect(queue.size).toBe(0);
  });
});
