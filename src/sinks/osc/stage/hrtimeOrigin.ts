/**
 * Where a thread's `performance.now()` starts on `process.hrtime` (the monotonic clock every
 * thread shares): how the output stage moves the main thread's times (a held change's due time,
 * a timetag's epoch) onto its own `performance.now()`.
 */

/**
 * `process.hrtime` (ns) at this thread's `performance.now()` 0, from the tightest of `tries`
 * readings of hrtime, now, hrtime: one pair read apart (the first call, an interrupt) is off
 * by however long it took, which put held changes 0.3 ms late.
 */
export function hrtimeAtPerfZero(tries = 200): bigint {
  let best = 0n;
  let tightest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < tries; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    const spread = Number(after - before);
    if (spread < tightest) {
      tightest = spread;
      best = (before + after) / 2n - BigInt(Math.round(now * 1e6));
    }
  }
  return best;
}
