/**
 * The `osc` sink's output stage (a worker thread) against real receivers, liblo's `oscdump`:
 * slews stepped on the stage's own clock, panic and SIGTERM defaults, never a stale value
 * after a fresh one under a burst, and a receiver that goes away and comes back. Delays are
 * measured with oscdump's own receive times and printed, never asserted (the machine is shared).
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NotConnectedError } from '../../src/core/errors.js';
import type { ControlEvent, ControlOrigin } from '../../src/core/events.js';
import { createLogger } from '../../src/core/logger.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { Writable } from 'node:stream';
import { OscConfig, OscStageSink } from '../../src/sinks/osc/index.js';
import { decodeOscPacket } from '../../src/sinks/osc/preview.js';
import { chatflow } from '../support/cli.js';
import { type OscDump, startOscDump, until } from './oscSupport.js';

const dumps: OscDump[] = [];
const sinks: OscStageSink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  await Promise.all(dumps.splice(0).map((d) => d.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function oscdump(port?: number): Promise<OscDump> {
  const dump = await startOscDump(port);
  dumps.push(dump);
  return dump;
}

let rampCount = 0;
/** A control change; with `slewTo`, the first step of a slew begun now (the sink's default scheduler time, epoch ms). */
function control(value: number, origin: ControlOrigin = 'command', slewTo?: { to: number; ms: number }): ControlEvent {
  const event: ControlEvent = { kind: 'control', variable: 'cutoff', value, previous: 0, origin, ts: Date.now(), receivedAt: 0 };
  if (!slewTo) return event;
  return { ...event, ramp: { id: `t/ramp${++rampCount}`, from: value, to: slewTo.to, ms: slewTo.ms, startTs: Date.now() } };
}

async function stageSink(port: number, extra: Record<string, unknown> = {}) {
  const metrics = new NodeMetrics('synth', 'sink', 'osc');
  const sink = new OscStageSink('synth', OscConfig.parse({ target: `127.0.0.1:${port}`, ...extra }), {
    metrics,
    wallClock: () => Date.now(),
  });
  sinks.push(sink);
  await sink.start();
  return { sink, metrics };
}

const valuesOf = (lines: readonly string[]) => lines.map((l) => Number(l.split(' ')[2]));

/** A receiver that also sees which socket each datagram came from (oscdump does not). */
async function sourceAwareReceiver() {
  const socket = createSocket('udp4');
  const got: { value: number; from: number; at: number }[] = [];
  socket.on('message', (packet, rinfo) => {
    for (const m of decodeOscPacket(packet)) got.push({ value: m.value as number, from: rinfo.port, at: performance.now() });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => socket.close(() => resolve()));
  return { port: socket.address().port, got, close };
}
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the output stage over real UDP (oscdump)', () => {
  it('at stop, sends the defaults and confirms them in the log', async () => {
    const dump = await oscdump();
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write: (chunk, _encoding, done) => {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const sink = new OscStageSink('synth', OscConfig.parse({ target: `127.0.0.1:${dump.port}` }), {
      metrics: new NodeMetrics('synth', 'sink', 'osc'),
      wallClock: () => Date.now(),
      logger,
    });
    await sink.start();
    sink.write([control(0.5, 'default'), control(0.9)]);
    await until(() => dump.lines().includes('/cv/cutoff f 0.900000'), 'the value');
    await sink.stop();
    await until(() => dump.lines().at(-1) === '/cv/cutoff f 0.500000', 'the default at stop');
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toContain('Sent safe defaults.');
    expect(messages).not.toContain('OSC output stage did not confirm the safe defaults.');
  });

  it('steps a slew on its own clock: increasing values on the 10 ms grid, the target last', async () => {
    const dump = await oscdump();
    const { sink } = await stageSink(dump.port);
    sink.write([control(0, 'default')]);
    await until(() => dump.lines().length === 1, 'the default');
    sink.write([control(0.005, 'command', { to: 1, ms: 300 })]);
    await until(() => dump.lines().at(-1) === '/cv/cutoff f 1.000000', 'the end of the slew');
    await settle(50);
    const steps = dump.timedLines().slice(1);
    const values = valuesOf(steps.map((s) => s.line));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
    // 300 ms at 100/s: 30 steps, fewer only if the machine stalled the stage past a step.
    expect(steps.length).toBeLessThanOrEqual(31);
    expect(steps.length).toBeGreaterThanOrEqual(15);
    const gaps = steps.slice(1).map((s, i) => s.at - (steps[i] as { at: number }).at);
    const jitter = gaps.map((g) => Math.abs(g - 10)).sort((a, b) => a - b);
    console.log(`stage slew at oscdump: ${steps.length} steps, |interval − 10 ms| p50 ${jitter[jitter.length >> 1]?.toFixed(2)} ms, max ${jitter.at(-1)?.toFixed(2)} ms`);
  });

  it('panic: the default arrives at once and no step of the cancelled slew follows it', async () => {
    const dump = await oscdump();
    const { sink } = await stageSink(dump.port);
    sink.write([control(0, 'command', { to: 1, ms: 10_000 })]);
    await until(() => dump.lines().length >= 5, 'a few steps of the slew');
    const at = Date.now();
    sink.write([control(0.5, 'panic')]);
    await until(() => dump.lines().includes('/cv/cutoff f 0.500000'), 'the panic default');
    await settle(100);
    const timed = dump.timedLines();
    expect(timed.at(-1)?.line).toBe('/cv/cutoff f 0.500000');
    console.log(`panic → oscdump: ${((timed.at(-1)?.at ?? 0) - at).toFixed(2)} ms`);
  });

  it('never delivers a stale value after a fresh one under bursts of values and slews', async () => {
    const dump = await oscdump();
    const { sink, metrics } = await stageSink(dump.port);
    let v = 0;
    for (let round = 0; round < 20; round++) {
      sink.write(Array.from({ length: 500 }, () => control(++v)));
      if (round % 4 === 0) sink.write([control(++v, 'command', { to: v + 0.5, ms: 30 })]);
      v += 1;
      await settle(round % 3 === 0 ? 0 : 7);
    }
    sink.write([control(++v)]);
    await until(() => valuesOf(dump.lines()).at(-1) === v, 'the newest value');
    await settle(100);
    const values = valuesOf(dump.lines());
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
    expect(values.at(-1)).toBe(v);
    // Most values were paced away (200/s per address): counted, not queued.
    await until(() => (metrics.snapshot().dropped.superseded?.count ?? 0) > 0, 'superseded counts');
  });

  it('survives the receiver going away and coming back on the same port', async () => {
    const first = await oscdump();
    const port = first.port;
    const { sink, metrics } = await stageSink(port, { max_rate: 'off' });
    sink.write([control(0.1)]);
    await until(() => first.lines().length === 1, 'the first value');
    await first.stop();
    // Nothing listens: the operating system says so ("port unreachable"), counted as no_receiver.
    for (let i = 0; i < 20 && (metrics.snapshot().dropped.no_receiver?.count ?? 0) === 0; i++) {
      sink.write([control(0.2)]);
      await settle(50);
    }
    await until(() => (metrics.snapshot().dropped.no_receiver?.count ?? 0) > 0, 'no_receiver counted');
    expect(sink.receivers()).toEqual([{ target: `127.0.0.1:${port}`, state: 'absent' }]);
    const second = await oscdump(port);
    sink.write([control(0.3)]);
    await until(() => second.lines().includes('/cv/cutoff f 0.300000'), 'a value at the new receiver');
    expect(second.lines()).not.toContain('/cv/cutoff f 0.200000');
  });
});

describe('an output stage whose target cannot be reached', () => {
  it('says so, and the next write throws NotConnectedError so that the driver starts it again', async () => {
    const metrics = new NodeMetrics('synth', 'sink', 'osc');
    const sink = new OscStageSink('synth', OscConfig.parse({ target: 'no-such-host.invalid:7400' }), { metrics });
    sinks.push(sink);
    await sink.start();
    await until(() => {
      try {
        sink.write([control(0.1)]);
        return false;
      } catch (err) {
        return err instanceof NotConnectedError;
      }
    }, 'the worker to report the unknown host');
    // Started again (a retry by the driver), it reports the same; nothing crashed meanwhile.
    await sink.start();
    await until(() => {
      try {
        sink.write([control(0.2)]);
        return false;
      } catch {
        return true;
      }
    }, 'the second report');
  });
});

describe('a real `chatflow run` with the output stage', () => {
  it('on SIGTERM mid-slew sends every default, after the last step, before the process exits', async () => {
    const synth = await oscdump();
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-stage-'));
    dirs.push(dir);
    const fixture = fileURLToPath(new URL('../fixtures/osc/until-stopped.jsonl', import.meta.url));
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
sources:
  chat: { type: replay, path: ${JSON.stringify(fixture)} }
operators:
  cmds: { type: parse_command, inputs: [chat], prefix: "!", commands: { cv: { args: [name, "value:number(0..1)"] } } }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5, slew: 20s }
      resonance: { range: [0, 1], default: 0.2 }
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:${synth.port}" }
`,
    );
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    await until(() => synth.lines().includes('/cv/resonance f 0.900000') && synth.lines().length >= 8, 'the slew under way', 20_000);
    const at = Date.now();
    run.child.kill('SIGTERM');
    const finished = await run.finished;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toContain('Sent safe defaults.');
    // The process has exited: the last two lines are the defaults (once oscdump's output is read);
    // no step of the slew after them.
    const lastTwo = () => synth.timedLines().slice(-2).map((t) => t.line).sort();
    await until(() => lastTwo().join() === '/cv/cutoff f 0.500000,/cv/resonance f 0.200000', 'the defaults at oscdump', 2000);
    const timed = synth.timedLines();
    const steps = timed.filter((t) => t.line.startsWith('/cv/cutoff')).slice(1, -1);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    for (const s of steps) expect(Number(s.line.split(' ')[2])).toBeGreaterThan(0.5);
    console.log(`SIGTERM → defaults at oscdump: ${((timed.at(-1)?.at ?? 0) - at).toFixed(2)} ms`);
  });

  describe('direct sends: a value of a key the stage holds nothing of leaves from the main thread', () => {
    it('at once from its own socket; while a slew of its key runs, through the stage, after the steps', async () => {
      const r = await sourceAwareReceiver();
      try {
        const { sink } = await stageSink(r.port, { max_rate: 'off' });
        sink.write([control(0.5, 'default')]);
        await until(() => r.got.length === 1 && sink.heldByStage === 0, 'the default, and the stage idle again');
        const stagePort = r.got[0]?.from;
        sink.write([control(0.6)]);
        await until(() => r.got.length === 2, 'the value');
        expect(r.got[1]?.from).not.toBe(stagePort);
        expect(sink.sentDirect).toBe(1);
        // A slew runs on the stage: the next plain value of its key goes there too, ending it.
        sink.write([control(0.6, 'command', { to: 1, ms: 300 })]);
        await until(() => r.got.length >= 5, 'a few steps');
        sink.write([control(0.2)]);
        await until(() => r.got.at(-1)?.value === 0.2 && sink.heldByStage === 0, 'the value after the slew, the stage idle');
        await settle(50);
        expect(r.got.at(-1)).toMatchObject({ value: 0.2, from: stagePort });
        expect(r.got.slice(2).every((g) => g.from === stagePort)).toBe(true);
        expect(sink.sentDirect).toBe(1);
        sink.write([control(0.3)]);
        await until(() => r.got.at(-1)?.value === 0.3, 'the next value');
        expect(r.got.at(-1)?.from).toBe(r.got[1]?.from);
        expect(sink.sentDirect).toBe(2);
      } finally {
        await r.close();
      }
    });

    it('keeps max_rate across both: a value sooner than the pace waits in the stage for the rest of it', async () => {
      const r = await sourceAwareReceiver();
      try {
        const { sink } = await stageSink(r.port, { max_rate: '10/s' });
        sink.write([control(0.5, 'default')]);
        await until(() => r.got.length === 1 && sink.heldByStage === 0, 'the default, and the stage idle again');
        await settle(150);
        sink.write([control(0.1)]);
        sink.write([control(0.2)]);
        await until(() => r.got.length === 3, 'both values');
        const [, first, second] = r.got;
        expect(first).toMatchObject({ value: 0.1 });
        expect(first?.from).not.toBe(r.got[0]?.from);
        expect(second).toMatchObject({ value: 0.2, from: r.got[0]?.from });
        // At most 10 a second per address: 100 ms apart at least (a bound load cannot break).
        expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(95);
      } finally {
        await r.close();
      }
    });
  });
});
