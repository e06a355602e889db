/**
 * The control-timing bench's receiver (bench/controlTimingReceiver.py, bench/controlTimingProbe.ts):
 * on Linux it reports each datagram's kernel receive time, so the receiver's own wake-up is not
 * in the figures. Shown by stopping the receiver (SIGSTOP) while datagrams arrive: a receiver
 * that stamps when it reads would give both datagrams the time it was resumed.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelTimestampsAvailable, startReceiver, type TimingReceiver } from '../../bench/controlTimingProbe.js';
import { hrtimeOffsetNs } from '../../bench/oscLatency.js';

/** `/cv/<name>` with a float32 and a float64 argument, as the bench's osc sinks send them. */
function datagram(address: string, last: number): Buffer {
  const a = Math.ceil((address.length + 1) / 4) * 4;
  const buf = Buffer.alloc(a + 16);
  buf.write(address, 0, 'latin1');
  buf.write(',fd', a, 'latin1');
  buf.writeFloatBE(0.5, a + 4);
  buf.writeDoubleBE(last, a + 8);
  return buf;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('control-timing receiver', () => {
  let receiver: TimingReceiver | undefined;
  const socket = createSocket('udp4');
  afterEach(async () => {
    if (receiver?.process.pid) process.kill(receiver.process.pid, 'SIGCONT');
    await receiver?.close();
    receiver = undefined;
  });

  it('uses kernel receive times on Linux (python3 needed), the userland receiver elsewhere', () => {
    if (process.platform === 'linux') {
      expect(kernelTimestampsAvailable(), 'install python3: it reads SO_TIMESTAMPNS for the bench receiver').toBe(true);
    } else expect(kernelTimestampsAvailable()).toBe(false);
  });

  it("times datagrams when the kernel received them, not when the stopped receiver read them", async () => {
    receiver = await startReceiver(['lane']);
    const offsetNs = hrtimeOffsetNs();
    await receiver.start(offsetNs, performance.now());
    const port = receiver.ports.lane as number;
    const send = (buf: Buffer) => new Promise<void>((resolve, reject) => socket.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    const stoppable = process.platform !== 'win32';
    if (stoppable) process.kill(receiver.process.pid as number, 'SIGSTOP');
    const sentAt = performance.now();
    await send(datagram('/cv/sweep', 0));
    await send(datagram('/cv/resonance', sentAt));
    await sleep(60);
    const between = performance.now();
    await sleep(5);
    await send(datagram('/cv/sweep', 0));
    if (stoppable) process.kill(receiver.process.pid as number, 'SIGCONT');
    await sleep(100);
    const report = await receiver.report();
    const lane = report.lanes.lane;
    expect(lane?.received).toBe(3);
    expect(lane?.unstamped).toBe(0);
    expect(lane?.steps).toHaveLength(2);
    if (receiver.clock === 'kernel') {
      // Received before `between` although read after it: the kernel's time, not the reader's.
      const [first = Number.NaN, second = Number.NaN] = lane?.steps ?? [];
      expect(first).toBeGreaterThanOrEqual(sentAt);
      expect(first).toBeLessThan(between);
      expect(second).toBeGreaterThan(between);
      expect(lane?.latency).toHaveLength(1);
      expect((lane?.latency[0] as number) + sentAt).toBeLessThan(between);
    }
  });
});
