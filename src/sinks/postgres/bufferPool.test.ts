import { describe, expect, it } from 'vitest';
import { BufferPool } from './bufferPool.js';

describe('BufferPool', () => {
  it('allocates when empty, and gives a returned buffer out again instead of a new one', () => {
    const pool = new BufferPool();
    const first = pool.take(1000);
    expect(first.length).toBe(1000);
    pool.give(first);
    expect(pool.size).toBe(1);
    expect(pool.take(800)).toBe(first);
    expect(pool.size).toBe(0);
  });

  it('takes the smallest free buffer that fits, and a new one when none fits', () => {
    const pool = new BufferPool();
    const [small, middle, large] = [pool.take(100), pool.take(1000), pool.take(10_000)];
    for (const buf of [large, small, middle]) pool.give(buf);
    expect(pool.take(500)).toBe(middle);
    const bigger = pool.take(20_000);
    expect([small, large]).not.toContain(bigger);
    expect(bigger.length).toBe(20_000);
    expect(pool.size).toBe(2);
  });

  it('keeps at most `max` free buffers, dropping the smallest', () => {
    const pool = new BufferPool(2);
    const bufs = [300, 100, 200].map((n) => pool.take(n));
    for (const buf of bufs) pool.give(buf);
    expect(pool.size).toBe(2);
    expect(pool.take(1)).toBe(bufs[2]);
    expect(pool.take(1)).toBe(bufs[0]);
    expect(pool.size).toBe(0);
  });
});
