/**
 * The Pure Data receiver patch (examples/pd/chatflow-receive.pd) run headless by a real Pd
 * (Debian `puredata-core`), fed by chatflow's real runtime: Pd must print every value.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { OscConfig, OscSink } from '../../src/sinks/osc/index.js';
import { freeUdpPort, until } from './oscSupport.js';

/** The Pd binary: `pd` (Debian `puredata-core` installs it as an alternative for `puredata`). */
const PD = process.env.CHATFLOW_PD ?? 'pd';
const PATCH = fileURLToPath(new URL('../../examples/pd/chatflow-receive.pd', import.meta.url));
const SEQUENCE = fileURLToPath(new URL('../fixtures/osc/sequence.jsonl', import.meta.url));

interface RunningPd {
  readonly port: number;
  /** Lines Pd printed to stderr (its console with -stderr). */
  lines(): string[];
  stop(): Promise<void>;
}

/** Starts Pd without GUI, audio or MIDI on the example patch, listening on a free port. */
async function startPd(): Promise<RunningPd> {
  const port = await freeUdpPort();
  const args = ['-nogui', '-nosound', '-nomidi', '-noprefs', '-stderr', '-send', `chatflow-port ${port}`, '-open', PATCH];
  let out = '';
  let spawnError: Error | undefined;
  const child: ChildProcess = spawn(PD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', (err) => {
    spawnError = err;
  });
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const pd: RunningPd = {
    port,
    lines: () => out.split('\n').filter((l) => l !== ''),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  running.push(pd);
  await until(() => {
    if (spawnError) throw new Error('Pure Data is missing: apt-get install -y puredata-core', { cause: spawnError });
    return out.includes(`chatflow-receive: listening ${port}`);
  }, 'Pd to load the patch and listen');
  return pd;
}

const running: RunningPd[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((pd) => pd.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('examples/pd/chatflow-receive.pd in a real Pure Data', () => {
  it('receives every value chatflow sends, routed per variable', async () => {
    const pd = await startPd();
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-pd-'));
    dirs.push(dir);
    const file = join(dir, 'pipeline.yaml');
    // `max_rate: off`: the recording plays at once, and values a few ms apart would be paced
    // (the newest kept); what this checks is the patch's routing of every value.
    await writeFile(
      file,
      `version: 1
sources:
  chat: { type: replay, path: ${JSON.stringify(SEQUENCE)} }
operators:
  cmds:
    type: parse_command
    inputs: [chat]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"], subcommands: { panic: { roles: [mod] } } }
      pitch: { args: ["note:note(C2..C6)"] }
  cv:
    type: control
    inputs: [cmds.cv, cmds.pitch]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:${pd.port}", max_rate: "off" }
`,
    );
    const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
    const runtime = await startPipeline(graph, { logger: silentLogger(), resources: { baseDir: dir, instance: 'pd' } });
    await runtime.finished;
    await runtime.stop();

    const defaults = ['/cv/cutoff: 0.5', '/cv/resonance: 0.2', '/cv/pitch: 0'];
    const expected = [
      ...defaults,
      '/cv/cutoff: 0.7',
      '/cv/resonance: 0.9',
      '/cv/pitch: 1',
      '/cv/cutoff: 0.25',
      ...defaults,
      '/cv/cutoff: 1',
      ...defaults,
    ];
    const values = () => pd.lines().filter((l) => l.startsWith('/cv/'));
    await until(() => values().length >= expected.length, 'Pd to print every value');
    expect(values()).toEqual(expected);
  });

  it('routes the fourth variable, any other variable and bundles', async () => {
    const pd = await startPd();
    const sink = new OscSink('synth', OscConfig.parse({ target: `127.0.0.1:${pd.port}`, bundle: {} }));
    await sink.start();
    sink.write([
      { kind: 'control', variable: 'wobble', value: 0.75, previous: 0, origin: 'vote', ts: 0, receivedAt: 0 },
      { kind: 'control', variable: 'lfo_rate', value: 0.125, previous: 0, origin: 'command', ts: 0, receivedAt: 0 },
    ]);
    await sink.stop();
    await until(() => pd.lines().some((l) => l.startsWith('/cv/other')), 'Pd to print the other variable');
    expect(pd.lines().filter((l) => l.startsWith('/cv/'))).toEqual(['/cv/wobble: 0.75', '/cv/other: lfo_rate 0.125']);
  });
});
