import fc from 'fast-check';
import { pino } from 'pino';
import { EMPTY, interval, map, type Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sink } from '../../core/component.js';
import { NotConnectedError, PipelineError, SinkWriteError } from '../../core/errors.js';
import { NodeMetrics } from '../../core/metrics.js';
import { BLOCK_HARD_CAP_FACTOR, DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../../core/sinkDriverConfig.js';
import { type WriteReport, writeBatches } from './writeBatches.js';

// --- fakes -----------------------------------------------------------------------------------

/**
 * A promise-like that settles when `settle$` completes (or errors). The driver only calls
 * `.then`, so a sink returning this one takes virtual time: `write: () => settled(cold('--|'))`.
 */
function settled(settle$: Observable<unknown>): Promise<void> {
  const thenable = {
    // biome-ignore lint/suspicious/noThenProperty: a deliberate thenable that settles in virtual time.
    then(onFulfilled?: () => void, onRejected?: (err: unknown) => void) {
      settle$.subscribe({ complete: () => onFulfilled?.(), error: (err: unknown) => onRejected?.(err) });
      return thenable;
    },
  };
  return thenable as unknown as Promise<void>;
}

interface FakeHooks {
  start?: (n: number) => Promise<void>;
  write?: (batch: readonly string[], n: number) => void | Promise<void>;
  flush?: () => Promise<void>;
}

/** A sink that records `<time> <call>` and otherwise does what the hooks say (default: succeed at once). */
function fakeSink(now: () => number, hooks: FakeHooks = {}) {
  const calls: string[] = [];
  let starts = 0;
  let writes = 0;
  const sink: Sink<string> = {
    start: () => {
      calls.push(`${now()} start`);
      starts += 1;
      return hooks.start ? hooks.start(starts) : settled(EMPTY);
    },
    write: (batch) => {
      calls.push(`${now()} write ${batch.join('')}`);
      writes += 1;
      return hooks.write?.(batch, writes);
    },
    flush: () => {
      calls.push(`${now()} flush`);
      return hooks.flush ? hooks.flush() : settled(EMPTY);
    },
    stop: () => {
      calls.push(`${now()} stop`);
      return settled(EMPTY);
    },
  };
  return { sink, calls };
}

const settings = (overrides: Partial<SinkDriverSettings> = {}): SinkDriverSettings => ({
  ...DEFAULT_SINK_DRIVER,
  batchTimeoutMs: 0,
  initialBackoffMs: 10,
  maxBackoffMs: 1000,
  flushTimeoutMs: 1000,
  ...overrides,
});

/** A written report; `batch` as a string of one-letter events. */
const w = (batch: string, attempts = 1): WriteReport<string> => ({ kind: 'written', batch: [...batch], attempts });

function captureLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const warnings = () => lines.filter((l) => l.level === 40).map((l) => l.msg);
  return { logger, lines, warnings };
}

// --- marble specs ----------------------------------------------------------------------------

describe('writeBatches', () => {
  let testScheduler: TestScheduler;
  let metrics: NodeMetrics;
  const now = () => testScheduler.now();

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    metrics = new NodeMetrics('out', 'sink', 'fake');
  });

  describe('the RxJS checklist', () => {
    it('never: starts the sink and waits', () => {
      const { sink, calls } = fakeSink(now);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('  -');
        const sourceSubs = '   ^';
        const expected = '     -';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start']);
    });

    it('empty: starts, flushes and stops the sink, then completes', () => {
      const { sink, calls } = fakeSink(now);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('  |');
        const sourceSubs = '   (^!)';
        const expected = '     |';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start', '0 flush', '0 stop']);
    });

    it('values: writes each event as it arrives to an idle synchronous sink', () => {
      const { sink, calls } = fakeSink(now);
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('   -a-b-c-|');
        const sourceSubs = '   ^------!';
        const expected = '     -a-b-c-|';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected, {
          a: w('a'),
          b: w('b'),
          c: w('c'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start', '1 write a', '3 write b', '5 write c', '7 flush', '7 stop']);
      expect(metrics.totalOut()).toBe(3);
      expect(metrics.processing.count).toBe(1); // one write in 64 is timed, starting with the first
    });

    it('times a sample of writes: one in 64 when slow, about one a millisecond for a fast synchronous sink', () => {
      let clock = 0;
      let reads = 0;
      const driverMetrics = new NodeMetrics('fast', 'sink', 'blackhole');
      const input = new Subject<string>();
      const sink: Sink<string> = {
        write: () => {
          clock += 0.001; // 1 µs per write
        },
      };
      const timed = () => {
        reads += 1;
        return clock;
      };
      input.pipe(writeBatches(sink, settings(), { metrics: driverMetrics, clock: timed })).subscribe();
      for (let i = 0; i < 100_000; i++) input.next(`e${i}`);
      expect(driverMetrics.totalOut()).toBe(100_000);
      // 100 ms of writes: about 100 timed at one in 1,024, each two reads, not 100,000 / 64.
      expect(reads).toBeLessThan(2 * (100_000 / 1024) + 2 * 10);
      expect(driverMetrics.processing.count).toBeGreaterThanOrEqual(80);
      // Slow again (100 ms a write): back to one in 64 within 1,024 writes.
      sink.write = () => {
        clock += 100;
      };
      for (let i = 0; i < 1024; i++) input.next(`s${i}`);
      const before = driverMetrics.processing.count;
      for (let i = 0; i < 640; i++) input.next(`t${i}`);
      expect(driverMetrics.processing.count - before).toBe(10);
    });

    it('error: counts an input error, never errors, and keeps what it holds for the drain', () => {
      const { sink, calls } = fakeSink(now, { write: () => settled(testScheduler.createColdObservable('----|')) });
      const driver = writeBatches(sink, settings(), { metrics, scheduler: testScheduler });
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('   -ab#');
        const sourceSubs = '   ^--!';
        const expected = '     -----x---(y|)';

        testScheduler.schedule(() => void driver.drain(), 6);
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a'), y: w('b') });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start', '1 write a', '5 write b', '9 flush', '9 stop']);
      expect(metrics.errors).toBe(1);
      expect(metrics.lastError).toBe('error');
    });

    it('infinite source: writes until unsubscribed', () => {
      const { sink } = fakeSink(now);
      testScheduler.run(({ expectObservable }) => {
        const source = interval(5).pipe(map(String));
        const unsub = '        22ms !';
        const expected = '     5ms a 4ms b 4ms c 4ms d';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler })), unsub).toBe(expected, {
          a: w('0'),
          b: w('1'),
          c: w('2'),
          d: w('3'),
        });
      });
      expect(metrics.totalOut()).toBe(4);
    });

    it('early unsubscribe: stops the sink and counts what it held as dropped (shutdown)', () => {
      const { sink, calls } = fakeSink(now, { write: () => settled(testScheduler.createColdObservable('---|')) });
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('   -a-b-c-d-');
        const sourceSubs = '   ^-----!  ';
        const unsub = '        ------!  ';
        const expected = '     ----x-   ';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler })), unsub).toBe(expected, {
          x: w('a'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start', '1 write a', '4 write b', '6 stop']);
      expect(metrics.snapshot().dropped).toEqual({ shutdown: { count: 2, intentional: false } });
      expect(metrics.bufferDepth).toBe(0);
    });

    it('per-subscription state: each subscription has its own buffer, timer and sink lifecycle', () => {
      const { sink, calls } = fakeSink(now);
      testScheduler.run(({ hot, expectObservable }) => {
        const driver = writeBatches(sink, settings({ batchTimeoutMs: 2 }), { metrics, scheduler: testScheduler });
        const source1 = hot('  -a-b|   ');
        const expected1 = '    ---x|   ';
        const source2 = hot('  --c--d| ');
        const expected2 = '    ----y-(z|)';

        expectObservable(source1.pipe(driver)).toBe(expected1, { x: w('ab') });
        expectObservable(source2.pipe(driver)).toBe(expected2, { y: w('c'), z: w('d') });
      });
      expect(calls.filter((c) => c.endsWith('start'))).toEqual(['0 start', '0 start']);
    });
  });

  describe('batching', () => {
    it('by size and by time, one write at a time (the doc example)', () => {
      const { sink, calls } = fakeSink(now, { write: () => settled(testScheduler.createColdObservable('--|')) });
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('   -abc-----|');
        const sourceSubs = '   ^--------!';
        const expected = '     ----x---y|';

        const driver = writeBatches(sink, settings({ batchMax: 2, batchTimeoutMs: 3 }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('ab'), y: w('c') });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start', '2 write ab', '6 write c', '9 flush', '9 stop']);
    });

    it('by count: writes as soon as batch.max_events are held; the drain writes the rest', () => {
      const { sink } = fakeSink(now);
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abcdefg-|   ');
        const expected = '     ---x--y--(z|)';

        const driver = writeBatches(sink, settings({ batchMax: 3, batchTimeoutMs: 100 }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('abc'), y: w('def'), z: w('g') });
      });
    });

    it('by time: a partial batch waits at most batch.timeout from its first event', () => {
      const { sink } = fakeSink(now);
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a-b------c-|   ');
        const expected = '     ------x-----(y|)';

        const driver = writeBatches(sink, settings({ batchTimeoutMs: 5 }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('ab'), y: w('c') });
      });
    });

    it('timeout 0: what arrives during a write goes out as one batch when the sink is idle', () => {
      const { sink, calls } = fakeSink(now, { write: () => settled(testScheduler.createColdObservable('---|')) });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abcd----|');
        const expected = '     ----x--y-|';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected, {
          x: w('a'),
          y: w('bcd'),
        });
      });
      expect(calls).toEqual(['0 start', '1 write a', '4 write bcd', '9 flush', '9 stop']);
    });

    it('waits for the sink to start, holding what arrives meanwhile', () => {
      const { sink, calls } = fakeSink(now, { start: () => settled(testScheduler.createColdObservable('-----|')) });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -ab-----c-');
        const expected = '     -----x--y-';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected, {
          x: w('ab'),
          y: w('c'),
        });
      });
      expect(calls).toEqual(['0 start', '5 write ab', '8 write c']);
    });
  });

  describe('when_full', () => {
    const slowWrite = () => settled(testScheduler.createColdObservable('----|'));

    it('drop_oldest: drops the oldest held event for each newcomer (buffer_full)', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      const depths: number[] = [];
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abcde------|');
        const expected = '     -----x---y--|';

        testScheduler.schedule(() => depths.push(metrics.bufferDepth), 4);
        const driver = writeBatches(sink, settings({ bufferMax: 2, whenFull: 'drop_oldest' }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a'), y: w('de') });
      });
      expect(depths).toEqual([2]);
      expect(metrics.bufferDepth).toBe(0);
      expect(metrics.snapshot().dropped).toEqual({ buffer_full: { count: 2, intentional: false } });
    });

    it('drop_newest: drops each newcomer while the buffer is full (buffer_full)', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abcde------|');
        const expected = '     -----x---y--|';

        const driver = writeBatches(sink, settings({ bufferMax: 2, whenFull: 'drop_newest' }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a'), y: w('bc') });
      });
      expect(metrics.snapshot().dropped).toEqual({ buffer_full: { count: 2, intentional: false } });
    });

    it('latest_per_key: a newer event replaces the held one of its key in place; full → oldest goes', () => {
      const { sink } = fakeSink(now, { write: () => settled(testScheduler.createColdObservable('----------|')) });
      const values = { a: 'x1', b: 'y1', c: 'x2', d: 'y2', e: 'z1', f: 'x3', g: 'w1' };
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abcdefg|', values);
        const expected = '     11ms x 9ms (y|)';

        const driver = writeBatches(sink, settings({ bufferMax: 3, whenFull: 'latest_per_key' }), {
          metrics,
          scheduler: testScheduler,
          keyOf: (e) => e.charAt(0),
        });
        expectObservable(source.pipe(driver)).toBe(expected, {
          x: { kind: 'written', batch: ['x1'], attempts: 1 },
          y: { kind: 'written', batch: ['x3', 'z1', 'w1'], attempts: 1 },
        });
      });
      expect(metrics.snapshot().dropped).toEqual({
        superseded: { count: 2, intentional: true },
        buffer_full: { count: 1, intentional: false },
      });
    });

    it('latest_per_key: uses the sink’s keyOf when the options give none', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      const keyed: Sink<string> = { ...sink, keyOf: (e) => e.charAt(0) };
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abc---|', { a: 'x1', b: 'y1', c: 'y2' });
        const expected = '     -----x---(y|)';

        const driver = writeBatches(keyed, settings({ whenFull: 'latest_per_key' }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, {
          x: { kind: 'written', batch: ['x1'], attempts: 1 },
          y: { kind: 'written', batch: ['y2'], attempts: 1 },
        });
      });
      expect(metrics.snapshot().dropped).toEqual({ superseded: { count: 1, intentional: true } });
    });
  });

  describe('when_full: block', () => {
    const slowWrite = () => settled(testScheduler.createColdObservable('----|'));

    it('congested at max_events, clear at half; holds up to twice max_events, then drops the newest', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      const signals = new Subject<boolean>();
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('    -(abcdefghij)-----------------------|');
        const sourceSubs = '    ^-----------------------------------!';
        const expected = '      -----v---w---x---y---z--------------|';
        const congestion = '    -t-----------f----------------------';

        const driver = writeBatches(sink, settings({ bufferMax: 4, batchMax: 2, whenFull: 'block' }), {
          metrics,
          scheduler: testScheduler,
          onCongestion: (c) => signals.next(c),
        });
        expectObservable(signals.pipe(map((c) => (c ? 't' : 'f')))).toBe(congestion);
        expectObservable(source.pipe(driver)).toBe(expected, { v: w('a'), w: w('bc'), x: w('de'), y: w('fg'), z: w('hi') });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      // a was written at once; b…i held (4 past max_events); j was one past the hard cap.
      expect(metrics.snapshot().dropped).toEqual({ buffer_full: { count: 1, intentional: false } });
    });

    it('stays congested below max_events until the buffer is down to half', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      const signals = new Subject<boolean>();
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('    -(abcde)-----------------|');
        const expected = '      -----v---w---x---y---z---|';
        const congestion = '    -t-------f---------------';

        const driver = writeBatches(sink, settings({ bufferMax: 4, batchMax: 1, whenFull: 'block' }), {
          metrics,
          scheduler: testScheduler,
          onCongestion: (c) => signals.next(c),
        });
        expectObservable(signals.pipe(map((c) => (c ? 't' : 'f')))).toBe(congestion);
        expectObservable(source.pipe(driver)).toBe(expected, { v: w('a'), w: w('b'), x: w('c'), y: w('d'), z: w('e') });
      });
      expect(metrics.totalDropped()).toBe(0);
    });

    it('clears the congestion when unsubscribed while congested (and counts what it held)', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      const signals = new Subject<boolean>();
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('    -(abcd)--------');
        const sourceSubs = '    ^--!           ';
        const unsub = '         ---!           ';
        const expected = '      ---            ';
        const congestion = '    -t-f-----------';

        const driver = writeBatches(sink, settings({ bufferMax: 2, batchMax: 2, whenFull: 'block' }), {
          metrics,
          scheduler: testScheduler,
          onCongestion: (c) => signals.next(c),
        });
        expectObservable(signals.pipe(map((c) => (c ? 't' : 'f')))).toBe(congestion);
        expectObservable(source.pipe(driver), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(metrics.snapshot().dropped).toEqual({ shutdown: { count: 4, intentional: false } });
    });

    it('other policies never signal congestion', () => {
      const { sink } = fakeSink(now, { write: slowWrite });
      const signals: boolean[] = [];
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('    -(abcdefgh)-----------|');
        const driver = writeBatches(sink, settings({ bufferMax: 2, whenFull: 'drop_oldest' }), {
          metrics,
          scheduler: testScheduler,
          onCongestion: (c) => signals.push(c),
        });
        expectObservable(source.pipe(driver, map(() => 'x'))).toBe('-----x---x------------|');
      });
      expect(signals).toEqual([]);
    });
  });

  describe('retry', () => {
    it('retries a failed write with doubling backoff capped at max_backoff; holds newcomers meanwhile', () => {
      const { sink, calls } = fakeSink(now, {
        write: (_batch, n) => {
          if (n <= 2) throw new Error(`boom ${n}`);
        },
      });
      const { logger, warnings, lines } = captureLogger();
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a---b-');
        const expected = '     26ms (xy)';

        const driver = writeBatches(sink, settings({ initialBackoffMs: 10, maxBackoffMs: 15 }), { metrics, scheduler: testScheduler, logger });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a', 3), y: w('b') });
      });
      expect(calls).toEqual(['0 start', '1 write a', '11 write a', '26 write a', '26 write b']);
      expect(metrics.errors).toBe(2);
      expect(metrics.totalDropped()).toBe(0);
      expect(warnings()).toEqual(['Sink write failed; will retry.']);
      expect(lines.filter((l) => l.level === 30).map((l) => l.msg)).toEqual(['Sink write recovered.']);
    });

    it('reconnects (start) before retrying after NotConnectedError', () => {
      const { sink, calls } = fakeSink(now, {
        write: (_batch, n) => {
          if (n === 1) throw new NotConnectedError('out');
        },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a-');
        const expected = '     11ms x';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected, { x: w('a', 2) });
      });
      expect(calls).toEqual(['0 start', '1 write a', '11 start', '11 write a']);
    });

    it('drops a batch at once on SinkWriteError (write_failed), dead-letters it, and goes on', () => {
      const failure = new SinkWriteError('out', 'Rejected.');
      const deadLetters: Array<[readonly string[], Error]> = [];
      const { sink, calls } = fakeSink(now, {
        write: (_batch, n) => {
          if (n === 1) throw failure;
        },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a-b-|');
        const expected = '     -x-y-|';

        const driver = writeBatches(sink, settings(), {
          metrics,
          scheduler: testScheduler,
          onDeadLetter: (batch, err) => {
            deadLetters.push([batch, err]);
          },
        });
        expectObservable(source.pipe(driver)).toBe(expected, {
          x: { kind: 'dropped', batch: ['a'], reason: 'write_failed', error: failure },
          y: w('b'),
        });
      });
      expect(calls).toEqual(['0 start', '1 write a', '3 write b', '5 flush', '5 stop']);
      expect(deadLetters).toEqual([[['a'], failure]]);
      expect(metrics.snapshot().dropped).toEqual({ write_failed: { count: 1, intentional: false } });
    });

    it('drops a batch after retry.attempts retries (retries_exhausted) and writes the next one', () => {
      const deadLetters: string[] = [];
      const { sink, calls } = fakeSink(now, {
        write: (batch) => {
          if (batch.includes('a')) throw new NotConnectedError('out');
        },
      });
      const { logger, warnings } = captureLogger();
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a-b-');
        const expected = '     16ms (xy)';

        const driver = writeBatches(sink, settings({ retryAttempts: 2, initialBackoffMs: 5 }), {
          metrics,
          scheduler: testScheduler,
          logger,
          onDeadLetter: (batch) => {
            deadLetters.push(batch.join(''));
          },
        });
        expectObservable(source.pipe(driver)).toBe(expected, {
          x: { kind: 'dropped', batch: ['a'], reason: 'retries_exhausted', error: expect.any(NotConnectedError) },
          y: w('b'),
        });
      });
      expect(calls.filter((c) => c.includes('write'))).toEqual(['1 write a', '6 write a', '16 write a', '16 write b']);
      expect(deadLetters).toEqual(['a']);
      expect(metrics.errors).toBe(3);
      expect(metrics.snapshot().dropped).toEqual({ retries_exhausted: { count: 1, intentional: false } });
      expect(warnings()).toEqual(['Sink write failed; will retry.', 'Sink write retries exhausted; batch dropped.']);
    });

    it('retries a failing start with backoff until it succeeds', () => {
      const { sink, calls } = fakeSink(now, {
        start: (n) => {
          if (n <= 2) throw new Error('refused');
          return settled(EMPTY);
        },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -----ab-');
        const expected = '     30ms x';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected, { x: w('ab') });
      });
      expect(calls).toEqual(['0 start', '10 start', '30 start', '30 write ab']);
      expect(metrics.errors).toBe(2);
    });

    it('a start that throws SinkWriteError is final: every batch is dropped as write_failed', () => {
      const failure = new SinkWriteError('out', 'Cannot open "x": permission denied.');
      const { sink, calls } = fakeSink(now, {
        start: () => {
          throw failure;
        },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a-b|');
        const expected = '     -x-y|';

        expectObservable(source.pipe(writeBatches(sink, settings(), { metrics, scheduler: testScheduler }))).toBe(expected, {
          x: { kind: 'dropped', batch: ['a'], reason: 'write_failed', error: failure },
          y: { kind: 'dropped', batch: ['b'], reason: 'write_failed', error: failure },
        });
      });
      expect(calls).toEqual(['0 start', '4 stop']);
      expect(metrics.snapshot().dropped).toEqual({ write_failed: { count: 2, intentional: false } });
    });
  });

  describe('drain', () => {
    const slowWrite = () => settled(testScheduler.createColdObservable('----|'));

    it('stops taking input, writes what it holds, flushes and stops, then completes', async () => {
      const { sink, calls } = fakeSink(now, { write: slowWrite });
      const driver = writeBatches(sink, settings(), { metrics, scheduler: testScheduler });
      let drained: Promise<unknown> = Promise.resolve();
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('   -ab-c-');
        const sourceSubs = '   ^---! ';
        const expected = '     -----x---(y|)';

        testScheduler.schedule(() => {
          drained = driver.drain(10);
        }, 4);
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a'), y: w('b') });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(calls).toEqual(['0 start', '1 write a', '5 write b', '9 flush', '9 stop']);
      await expect(drained).resolves.toEqual({ written: 2, dropped: 0, timedOut: false });
    });

    it('drops what is not written by the deadline (flush_timeout) and stops the sink', async () => {
      const { sink, calls } = fakeSink(now, { write: slowWrite });
      const driver = writeBatches(sink, settings(), { metrics, scheduler: testScheduler });
      let drained: Promise<unknown> = Promise.resolve();
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -abc-');
        const expected = '     -----x-(z|)';

        testScheduler.schedule(() => {
          drained = driver.drain(3);
        }, 4);
        expectObservable(source.pipe(driver)).toBe(expected, {
          x: w('a'),
          z: { kind: 'dropped', batch: ['b', 'c'], reason: 'flush_timeout', error: expect.any(PipelineError) },
        });
      });
      expect(calls).toEqual(['0 start', '1 write a', '5 write bc', '7 stop']);
      expect(metrics.snapshot().dropped).toEqual({ flush_timeout: { count: 2, intentional: false } });
      await expect(drained).resolves.toEqual({ written: 1, dropped: 2, timedOut: true });
    });

    it('input completion starts a drain bounded by flush_timeout; a late write result is ignored', () => {
      const { sink } = fakeSink(now, {
        write: () => settled(testScheduler.createColdObservable('----------|')),
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a|      ');
        const expected = '     --------(z|)';

        const driver = writeBatches(sink, settings({ flushTimeoutMs: 6 }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, {
          z: { kind: 'dropped', batch: ['a'], reason: 'flush_timeout', error: expect.any(PipelineError) },
        });
      });
      expect(metrics.totalOut()).toBe(0);
      expect(metrics.snapshot().dropped).toEqual({ flush_timeout: { count: 1, intentional: false } });
    });

    it('writes a partial batch at once instead of waiting for batch.timeout', () => {
      const { sink } = fakeSink(now);
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a-|   ');
        const expected = '     ---(x|)';

        const driver = writeBatches(sink, settings({ batchTimeoutMs: 100 }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a') });
      });
    });

    it('counts the flush in its deadline', () => {
      const { sink, calls } = fakeSink(now, { flush: () => settled(testScheduler.createColdObservable('-----|')) });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a|   ');
        const expected = '     -x---|';

        const driver = writeBatches(sink, settings({ flushTimeoutMs: 3 }), { metrics, scheduler: testScheduler });
        expectObservable(source.pipe(driver)).toBe(expected, { x: w('a') });
      });
      expect(calls).toEqual(['0 start', '1 write a', '2 flush', '5 stop']);
      expect(metrics.totalDropped()).toBe(0);
      expect(metrics.errors).toBe(1);
    });

    it('waits for a pending dead-letter handler before flushing', () => {
      const { sink, calls } = fakeSink(now, {
        write: () => {
          throw new SinkWriteError('out', 'Rejected.');
        },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('   -a|   ');
        const expected = '     -x---|';

        const driver = writeBatches(sink, settings(), {
          metrics,
          scheduler: testScheduler,
          onDeadLetter: () => settled(testScheduler.createColdObservable('----|')),
        });
        expectObservable(source.pipe(driver)).toBe(expected, {
          x: { kind: 'dropped', batch: ['a'], reason: 'write_failed', error: expect.any(SinkWriteError) },
        });
      });
      expect(calls).toEqual(['0 start', '1 write a', '5 flush', '5 stop']);
    });
  });
});

// --- promises and the call stack --------------------------------------------------------------

describe('writeBatches with real promises', () => {
  const deferred = () => {
    let resolve: () => void = () => {};
    let reject: (err: unknown) => void = () => {};
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('writes to an idle synchronous sink in the same call stack as the arrival', () => {
    const metrics = new NodeMetrics('osc', 'sink', 'fake');
    const written: string[] = [];
    const input = new Subject<string>();
    const sink: Sink<string> = { write: (batch) => void written.push(...batch) };
    input.pipe(writeBatches(sink, settings(), { metrics })).subscribe();

    input.next('a');
    expect(written).toEqual(['a']);
    input.next('b');
    expect(written).toEqual(['a', 'b']);
  });

  it('keeps one write in flight; what arrives meanwhile is the next batch', async () => {
    const metrics = new NodeMetrics('out', 'sink', 'fake');
    const pending: Array<ReturnType<typeof deferred>> = [];
    const batches: string[] = [];
    const sink: Sink<string> = {
      write: (batch) => {
        batches.push(batch.join(''));
        const d = deferred();
        pending.push(d);
        return d.promise;
      },
    };
    const input = new Subject<string>();
    const reports: Array<WriteReport<string>> = [];
    input.pipe(writeBatches(sink, settings(), { metrics })).subscribe((r) => reports.push(r));

    input.next('a');
    input.next('b');
    input.next('c');
    expect(batches).toEqual(['a']);
    expect(metrics.bufferDepth).toBe(2);

    pending[0]?.resolve();
    await tick();
    expect(batches).toEqual(['a', 'bc']);
    expect(metrics.bufferDepth).toBe(0);

    pending[1]?.reject(new SinkWriteError('out', 'Rejected.'));
    await tick();
    expect(reports.map((r) => r.kind)).toEqual(['written', 'dropped']);
    expect(metrics.snapshot().dropped).toEqual({ write_failed: { count: 2, intentional: false } });
  });

  it('retries a rejected promise on real timers and drains with the result', async () => {
    const metrics = new NodeMetrics('out', 'sink', 'fake');
    let attempts = 0;
    const events: string[] = [];
    const sink: Sink<string> = {
      start: async () => {},
      write: async (batch) => {
        attempts += 1;
        if (attempts === 1) throw new Error('flaky');
        events.push(...batch);
      },
      flush: async () => {},
      stop: async () => {},
    };
    const input = new Subject<string>();
    const driver = writeBatches(sink, settings({ initialBackoffMs: 1 }), { metrics });
    const ended = driver.run(input);
    await tick();
    input.next('a');
    input.next('b');

    const result = await driver.drain(1000);
    expect(result).toEqual({ written: 2, dropped: 0, timedOut: false });
    expect(events).toEqual(['a', 'b']);
    await expect(ended).resolves.toEqual(result);
  });

  it('run() resolves when the input completes and everything is written', async () => {
    const metrics = new NodeMetrics('out', 'sink', 'fake');
    const events: string[] = [];
    const sink: Sink<string> = {
      start: async () => {},
      write: async (batch) => {
        events.push(...batch);
      },
    };
    const input = new Subject<string>();
    const ended = writeBatches(sink, settings(), { metrics }).run(input);
    input.next('a');
    input.next('b');
    input.complete();
    await expect(ended).resolves.toEqual({ written: 2, dropped: 0, timedOut: false });
    expect(events).toEqual(['a', 'b']);
  });

  it('drain() with nothing subscribed resolves at once', async () => {
    const driver = writeBatches<string>({ write: () => {} }, settings(), {
      metrics: new NodeMetrics('out', 'sink', 'fake'),
    });
    await expect(driver.drain()).resolves.toEqual({ written: 0, dropped: 0, timedOut: false });
  });
});

describe('writeBatches buffer (property)', () => {
  /** What the buffer should hold after `events` arrive at a sink that is not started yet. */
  function model(events: readonly string[], max: number, policy: SinkDriverSettings['whenFull']): string[] {
    const held: string[] = [];
    const keyOf = (e: string) => e.split(':')[0];
    for (const event of events) {
      const same = policy === 'latest_per_key' ? held.findIndex((e) => keyOf(e) === keyOf(event)) : -1;
      if (same >= 0) held[same] = event;
      else if (held.length < max) held.push(event);
      else if (policy === 'block') {
        if (held.length < max * BLOCK_HARD_CAP_FACTOR) held.push(event);
      } else if (policy !== 'drop_newest') {
        held.shift();
        held.push(event);
      }
    }
    return held;
  }

  it('holds what the when_full policy says, in order, and counts every other event', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 299 }), { maxLength: 400, size: 'max' }),
        // Few keys (much superseding) to many (the keyed buffer grows and wraps around).
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('drop_oldest' as const, 'drop_newest' as const, 'latest_per_key' as const, 'block' as const),
        (raw, keySpace, bufferMax, batchMax, whenFull) => {
          const events = raw.map((k, i) => `${k % keySpace}:${i}`);
          const metrics = new NodeMetrics('out', 'sink', 'fake');
          const written: string[] = [];
          const started$ = new Subject<void>();
          const sink: Sink<string> = {
            start: () => settled(started$), // completes, synchronously, when the test says so
            write: (batch) => void written.push(...batch),
          };
          const input = new Subject<string>();
          const driver = writeBatches(sink, settings({ bufferMax, batchMax, whenFull }), {
            metrics,
            keyOf: (e) => e.split(':')[0],
          });
          input.pipe(driver).subscribe();
          for (const event of events) input.next(event);
          const expected = model(events, bufferMax, whenFull);
          const depthWhileHeld = metrics.bufferDepth;
          started$.complete();

          // Plain comparisons: a failing run is shrunk many times, and building diffs is slow.
          return (
            depthWhileHeld === expected.length &&
            written.join(' ') === expected.join(' ') &&
            metrics.bufferDepth === 0 &&
            written.length + metrics.totalDropped() === events.length
          );
        },
      ),
      // Shrinking a failing 400-event run takes minutes; report the first counterexample instead.
      { numRuns: 300, endOnFailure: true },
    );
  });
});
