/**
 * The same pipeline, the same chat, run twice: in virtual time (runVirtual, sinks captured by
 * their previews) and in real time (the real runtime on asyncScheduler, a source emitting the
 * chat at its times on the scheduler and staying open, as the virtual stand-in does, and the
 * real `osc` sink sending UDP to a receiver in this process). The control-change timelines must
 * match: the same OSC messages in the same order, with the same values, each within
 * TOLERANCE_MS of its virtual time. The real part lasts 2.4 s.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Observable } from 'rxjs';
import { z } from 'zod';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSource } from '../../src/core/component.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { buildRegistry } from '../../src/core/registry.js';
import { operatorComponents } from '../../src/operators/index.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { sourceComponents } from '../../src/sources/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { chatEvent } from '../../src/testing/events.js';
import { runVirtual, type VirtualInput } from '../../src/testing/virtualRun.js';
import { decodePacket } from './oscSupport.js';
import { until } from '../support/poll.js';

/**
 * How much later than its virtual time a real arrival may be: timer lateness and the UDP hop,
 * plus the longest stall of this process's event loop measured during the real run (GC, or the
 * machine's 2 cores shared with other test runs), since a stalled loop delays every timer due
 * in it (the runtime's own start, during which no timer runs, is such a stall). Never earlier
 * than EARLY_MS (the scheduler's clock has 1 ms steps). Real times count from the call that
 * starts the pipeline, virtual time 0; the source emits each input at that distance from it. The
 * defaults the osc sink sends at start wait for its socket to connect, which virtual time takes
 * as instant: those are compared in order and value only.
 */
const TOLERANCE_MS = 30;
const EARLY_MS = 1;
const UNTIL_MS = 2400;

/** The default pipeline's operators, a 1 s vote window so the real run stays short, and osc. */
function pipelineYaml(port: number): string {
  return `
version: 1
sources:
  chat: { type: timed }
operators:
  clean: { type: normalize, inputs: [chat] }
  once: { type: dedupe, inputs: [clean], window: 5m }
  cmds:
    type: parse_command
    inputs: [once]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      pitch: { aliases: [p], args: ["note:note(C2..C6)"] }
      vote: { args: [name, "value:percent"] }
  fair: { type: throttle, inputs: [cmds.cv, cmds.pitch], per: user, rate: 1/2s, burst: 3, on_limit: drop }
  crowd: { type: vote, inputs: [cmds.vote], command: vote, key_arg: name, arg: value, window: 1s, reducer: median, quorum: 3 }
  cv:
    type: control
    inputs: [fair, crowd]
    variables:
      cutoff: { range: [0, 1], slew: 80ms, default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
      wobble: { range: [0, 1], default: 0 }
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:${port}", address: "/cv/{{ variable }}" }
`;
}

/** The show: votes (two windows), a slewed cutoff, a pitch, and a spammer the throttle stops. */
const SHOW: readonly [number, string, string][] = [
  [0, 'ada', 'hello everyone'],
  [100, 'ada', '!vote wobble 80'],
  [200, 'bob', '!vote wobble 80'],
  [300, 'cy', '!vote wobble 70'],
  [400, 'dan', '!cv cutoff 0.9'],
  [700, 'eve', '!pitch E4'],
  [1200, 'spam', '!cv resonance 0.3'],
  [1300, 'spam', '!cv resonance 0.4'],
  [1400, 'spam', '!cv resonance 0.5'],
  [1500, 'spam', '!cv resonance 0.6'],
  [1650, 'ada', '!vote wobble 20'],
  [1700, 'bob', '!vote wobble 30'],
  [1750, 'cy', '!vote wobble 20'],
];

interface Message {
  readonly at: number;
  readonly address: string;
  readonly value: number;
}

describe('virtual time against real time', () => {
  const cleanup: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('gives the same control-change timeline: same messages and values, each on time within 30 ms plus the longest event-loop stall', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatflow-vvr-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const inputs: VirtualInput[] = SHOW.map(([at, login, text]) => ({ at, event: chatEvent({ login, text }, at) }));
    // In real time: each input at its time after the source is subscribed, then open until stopped.
    const timed = defineSource({
      type: 'timed',
      summary: 'The show at its times, on the scheduler.',
      config: z.strictObject({}),
      examples: [''],
      create: (_config, ctx) =>
        new Observable<ChatflowEvent>((subscriber) => {
          const timers = inputs.map(({ at, event }) =>
            ctx.scheduler.schedule(
              () => subscriber.next({ ...event, receivedAt: ctx.clock() }),
              Math.max(0, at - (performance.now() - t0)),
            ),
          );
          return () => {
            for (const t of timers) t.unsubscribe();
          };
        }),
    });
    const registry = buildRegistry([...sourceComponents, timed], operatorComponents, sinkComponents);

    // A receiver stamping each datagram with its arrival time.
    const socket = createSocket('udp4');
    const arrived: { at: number; packet: Buffer }[] = [];
    let t0 = 0;
    socket.on('message', (packet) => arrived.push({ at: performance.now() - t0, packet }));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    writeFileSync(join(dir, 'pipeline.yaml'), pipelineYaml(socket.address().port));
    const load = () => loadPipeline(join(dir, 'pipeline.yaml'), { registry, env: {} });

    // Virtual time.
    const virtual = await runVirtual({ graph: load(), inputs, until: UNTIL_MS });
    const expected: Message[] = virtual.outputs
      .filter((o) => o.type === 'osc')
      .map((o) => ({ at: o.at, address: o.output.address as string, value: o.output.value as number }));

    // Real time: the same graph, the real runtime and sinks, for UNTIL_MS of wall time.
    let stall = 0;
    let tick = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - tick);
      tick = now;
    }, 1);
    cleanup.push(() => clearInterval(ticker));
    t0 = performance.now();
    const runtime = await startPipeline(load(), { logger: silentLogger(), resources: { baseDir: dir, instance: 'real' } });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, UNTIL_MS - (performance.now() - t0))));
    await runtime.stop();
    clearInterval(ticker);
    await until('every datagram of the real run', () => arrived.length >= expected.length, { timeoutMs: 5000 });
    const real: Message[] = arrived.flatMap(({ at, packet }) =>
      decodePacket(packet).map((m) => ({ at, address: m.address, value: m.values[0] as number })),
    );

    // What the show must do, in virtual time: the defaults, the first vote's median (0.8) at the
    // end of its window, eight slew steps of cutoff, the pitch, three of the spammer's four
    // commands, the second vote's median (0.2), and the safe defaults at the stop.
    expect(expected.filter((m) => m.address === '/cv/wobble').map((m) => [m.at, m.value])).toEqual([
      [0, 0],
      [1000, 0.8],
      [2000, 0.2],
      [UNTIL_MS, 0],
    ]);
    expect(expected.filter((m) => m.address === '/cv/cutoff' && m.at > 0 && m.at < UNTIL_MS).map((m) => m.at)).toEqual([
      410, 420, 430, 440, 450, 460, 470, 480,
    ]);
    expect(expected.filter((m) => m.address === '/cv/resonance' && m.at > 0 && m.at < UNTIL_MS).map((m) => m.value)).toEqual([
      0.3, 0.4, 0.5,
    ]);

    // The same in real time: same messages in the same order, same values (as float32), close in time.
    const key = (m: Message) => `${m.address} ${Math.fround(m.value)}`;
    expect(real.map(key)).toEqual(expected.map(key));
    const late = expected.map((m, i) => ({ ...m, late: (real[i] as Message).at - m.at })).filter((m) => m.at > 0);
    expect(late.filter((m) => m.late < -EARLY_MS || m.late > TOLERANCE_MS + stall)).toEqual([]);
    expect(virtual.outputs.every((o) => o.at <= UNTIL_MS)).toBe(true);
  });
});
