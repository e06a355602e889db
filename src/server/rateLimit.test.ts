import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rateLimit.js';

describe('RateLimiter', () => {
  it('lets a burst through, then one request per refill, and says how long to wait', () => {
    const limiter = new RateLimiter({ ratePerSec: 2, burst: 3, maxClients: 10 });
    expect([0, 0, 0].map(() => limiter.take('a', 0))).toEqual([0, 0, 0]);
    expect(limiter.take('a', 0)).toBe(500);
    expect(limiter.take('a', 499)).toBe(2);
    expect(limiter.take('a', 501)).toBe(0);
    expect(limiter.take('a', 501)).toBe(499);
  });

  it('keeps one bucket per client', () => {
    const limiter = new RateLimiter({ ratePerSec: 1, burst: 1, maxClients: 10 });
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
  });

  it('refills up to the burst only', () => {
    const limiter = new RateLimiter({ ratePerSec: 10, burst: 2, maxClients: 10 });
    limiter.take('a', 0);
    limiter.take('a', 0);
    const after = [limiter.take('a', 60_000), limiter.take('a', 60_000), limiter.take('a', 60_000)];
    expect(after.map((w) => w === 0)).toEqual([true, true, false]);
  });

  it('forgets the least recently used client beyond maxClients', () => {
    const limiter = new RateLimiter({ ratePerSec: 1, burst: 1, maxClients: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 0); // a is now the most recent
    limiter.take('c', 0); // evicts b
    expect(limiter.size).toBe(2);
    expect(limiter.take('b', 0)).toBe(0); // fresh bucket
    expect(limiter.take('c', 0)).toBeGreaterThan(0);
  });
});
