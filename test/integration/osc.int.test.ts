/**
 * The `osc` sink against a real OSC receiver, liblo's `oscdump` (Debian `liblo-tools`): a
 * scripted chat sequence through the real runtime (replay → parse_command → control → osc),
 * the defaults on panic and when the pipeline stops, on SIGTERM of a real `chatflow run`
 * process, hostile names, and the coalescing of a burst over real UDP.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import type { ControlEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { DEFAULT_SINK_DRIVER } from '../../src/core/sinkDriverConfig.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { OscConfig, OscSink, oscComponent } from '../../src/sinks/osc/index.js';
import { writeBatches } from '../../src/pipelines/sinkDriver/writeBatches.js';
import { chatflow } from '../support/cli.js';
import { type OscDump, startOscDump, until } from './oscSupport.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/osc/${name}`, import.meta.url));

/** The operators of the scripted runs: commands as in pipeline.yaml, control without slew. */
const OPERATORS = `
operators:
  cmds:
    type: parse_command
    inputs: [chat]
    prefix: "!"
    commands:
      cv:
        args: [name, "value:number(0..1)"]
        subcommands:
          panic: { roles: [mod] }
      pitch: { args: ["note:note(C2..C6)"] }
  cv:
    type: control
    inputs: [cmds.cv, cmds.pitch]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
`;

const DEFAULTS = ['/cv/cutoff f 0.500000', '/cv/resonance f 0.200000', '/cv/pitch f 0.000000'];

const dumps: OscDump[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dumps.splice(0).map((d) => d.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function oscdump(): Promise<OscDump> {
  const dump = await startOscDump();
  dumps.push(dump);
  return dump;
}

async function pipelineFile(yaml: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'chatflow-osc-'));
  dirs.push(dir);
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, yaml);
  return { dir, file };
}

describe('osc → oscdump (liblo), through the real runtime', () => {
  it('receives the exact addresses, types and values of a scripted sequence, with defaults on panic and at the end', async () => {
    const synth = await oscdump();
    const who = await oscdump();
    // `max_rate: off`: the recording plays in a few hundred ms, about as long as the output
    // stage's worker takes to start; what arrives meanwhile waits in order and would otherwise
    // be paced (newest per address), which is right for a synth but not what this test checks.
    const { dir, file } = await pipelineFile(`version: 1
sources:
  chat: { type: replay, path: ${JSON.stringify(fixture('sequence.jsonl'))} }
${OPERATORS}
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:\${SYNTH_PORT}", max_rate: "off" }
  who:
    type: osc
    inputs: [cv]
    max_rate: "off"
    target: "127.0.0.1:\${WHO_PORT}"
    address: "/who/{{ by.login }}"
    args: [{ type: s, value: "{{ variable }}" }, { type: f, value: "{{ value }}" }]
`);
    const graph = loadPipeline(file, {
      registry: defaultRegistry(),
      env: { SYNTH_PORT: String(synth.port), WHO_PORT: String(who.port) },
    });
    const runtime = await startPipeline(graph, {
      logger: silentLogger(),
      resources: { baseDir: dir, instance: 'osc-int' },
    });
    // The recording ends, the pipeline stops by itself: the sinks have sent their defaults.
    await runtime.finished;
    await runtime.stop();

    const expected = [
      ...DEFAULTS, // control's defaults at start
      '/cv/cutoff f 0.700000',
      '/cv/resonance f 0.900000',
      '/cv/pitch f 1.000000', // !pitch C5: one octave above C4, 1 V/oct
      '/cv/cutoff f 0.250000',
      ...DEFAULTS, // !cv panic by a mod
      '/cv/cutoff f 1.000000',
      ...DEFAULTS, // the pipeline stopped
    ];
    await until(() => synth.lines().length >= expected.length, 'every message at oscdump');
    expect(synth.lines()).toEqual(expected);

    // A viewer named "x /cv/* #y" cannot inject address syntax.
    await until(() => who.lines().length >= expected.length, 'every message at the second oscdump');
    expect(who.lines()).toContain('/who/x__cv____y sf "resonance" 0.900000');
    for (const l of who.lines()) expect(l).toMatch(/^\/who\/[A-Za-z0-9_.-]+ sf "[a-z]+" -?\d+\.\d{6}$/);

    const synthMetrics = runtime.snapshot().find((n) => n.id === 'synth');
    expect(synthMetrics?.dropped).toEqual({});
    expect(synthMetrics?.eventsIn).toBe(11);
  });

  it('sends every default when a real `chatflow run` gets SIGTERM, before the process exits', async () => {
    const synth = await oscdump();
    const { dir } = await pipelineFile(`version: 1
sources:
  chat: { type: replay, path: ${JSON.stringify(fixture('until-stopped.jsonl'))} }
${OPERATORS}
sinks:
  synth:
    type: osc
    inputs: [cv]
    target: "127.0.0.1:${synth.port}"
    heartbeat: { address: /chatflow/alive, interval: 100ms }
`);
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    const values = () => synth.lines().filter((l) => !l.startsWith('/chatflow/alive'));
    await until(() => values().includes('/cv/resonance f 0.900000'), 'the last value before SIGTERM', 20_000);
    run.child.kill('SIGTERM');
    const finished = await run.finished;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toContain('Sent safe defaults.');

    // The process has exited: what oscdump has now is all it will get (loopback delivers at once).
    await until(() => values().length >= 8, 'the defaults sent at shutdown', 2000);
    expect(values()).toEqual([...DEFAULTS, '/cv/cutoff f 0.700000', '/cv/resonance f 0.900000', ...DEFAULTS]);
    // The heartbeat ran, and stopped before the defaults went out.
    const lines = synth.lines();
    expect(lines).toContain('/chatflow/alive i 0');
    expect(lines.slice(-3)).toEqual(DEFAULTS);
  });
});

describe('max_rate over real UDP (oscdump)', () => {
  const control = (value: number): ControlEvent => ({
    kind: 'control',
    variable: 'cutoff',
    value,
    previous: 0,
    origin: 'command',
    ts: 0,
    receivedAt: 0,
  });

  /**
   * Moves the sink's virtual clock `ms` on, running the timers due on the way. The pace is
   * checked in virtual time, so the counts below hold however loaded the machine is; only the
   * datagrams are real.
   */
  function advance(clock: VirtualTimeScheduler, ms: number): void {
    const to = clock.frame + ms;
    clock.maxFrames = to;
    clock.flush();
    clock.frame = to;
  }

  async function drive(port: number) {
    const metrics = new NodeMetrics('synth', 'sink', 'osc');
    const clock = new VirtualTimeScheduler();
    const sink = new OscSink('synth', OscConfig.parse({ target: `127.0.0.1:${port}`, max_rate: '100/s' }), {
      metrics,
      scheduler: clock,
    });
    const events$ = new Subject<ControlEvent>();
    const done = writeBatches(sink, { ...DEFAULT_SINK_DRIVER, ...oscComponent.driver }, { metrics }).run(events$);
    // The first value goes out once the socket is connected; wait for it.
    events$.next(control(0));
    await until(() => sink.sent > 0, 'the socket to connect');
    // Let the address's interval (10 ms) pass, so the next value is fresh.
    advance(clock, 25);
    /** Sends `values` and waits until the sink has taken every one of them. */
    const send = async (values: readonly number[]) => {
      const before = metrics.out('').value;
      for (const v of values) events$.next(control(v));
      await until(() => metrics.out('').value >= before + values.length, 'the sink to take the values');
    };
    return { sink, metrics, events$, done, clock, send };
  }

  const valuesOf = (lines: readonly string[]) => lines.map((l) => Number(l.split(' ')[2]));

  it('turns a burst of 1000 values to one address into its first and its newest value', async () => {
    const dump = await oscdump();
    const { metrics, events$, done, clock, send } = await drive(dump.port);
    await send(Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000));
    await until(() => dump.lines().length === 2, "the burst's first value, at once");
    advance(clock, 10);
    await until(() => dump.lines().at(-1) === '/cv/cutoff f 1.000000', 'the newest value, one interval later');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The value before the burst, the burst's first value at once, its newest 10 ms later.
    expect(dump.lines()).toEqual(['/cv/cutoff f 0.000000', '/cv/cutoff f 0.001000', '/cv/cutoff f 1.000000']);
    expect(metrics.snapshot().dropped).toEqual({ superseded: { count: 998, intentional: true } });
    events$.complete();
    await done;
  });

  it('paces a stream of 1000 values spread over time: few messages, never a stale one, the newest last', async () => {
    const dump = await oscdump();
    const { metrics, events$, done, clock, send } = await drive(dump.port);
    for (let chunk = 0; chunk < 50; chunk++) {
      await send(Array.from({ length: 20 }, (_, i) => (chunk * 20 + i + 1) / 1000));
      advance(clock, 4);
    }
    advance(clock, 10);
    await until(() => valuesOf(dump.lines()).at(-1) === 1, 'the newest value');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const values = valuesOf(dump.lines());
    // 200 ms of virtual time at 100/s: one message per 10 ms (the first at once, the last one
    // interval after the stream), after the value sent before it.
    expect(values.length - 1).toBeLessThanOrEqual(200 / 10 + 2);
    expect(values.length - 1).toBeGreaterThanOrEqual(200 / 10 - 1);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
    expect(values.at(-1)).toBe(1);
    // Every value either went out or was superseded: none lost, none queued.
    expect(metrics.snapshot().dropped.superseded?.count).toBe(1000 - (values.length - 1));
    events$.complete();
    await done;
  });
});
