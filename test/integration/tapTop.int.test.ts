/**
 * `chatflow tap` and `chatflow top` against a running instance: the real CLI runs a simulated
 * pipeline with its server on a free port, and their output is parsed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';

const TOKEN = 't0k-tap';
const PIPELINE = `
version: 1
server: { listen: "127.0.0.1:0", token: "${TOKEN}" }
sources:
  demo:
    type: simulate
    rate: 200/s
    users: 30
    seed: 1
    mix: { command: 60 }
    commands: ["!cv cutoff {0.0..1.0}", "!hi"]
operators:
  cmds:
    type: parse_command
    inputs: [demo]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      hi: {}
  stats: { type: sample_metrics, inputs: ["*"], every: 500ms }
sinks:
  metrics: { type: metrics, inputs: [stats], stream_every: 500ms }
  out: { type: blackhole, inputs: [cmds.cv, cmds.hi, cmds] }
`;

let dir: string;
let instance: Run;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatflow-tap-'));
  await writeFile(join(dir, 'pipeline.yaml'), PIPELINE);
  instance = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
  await pipelinesStarted([instance]);
  const listen = /"listen":"([^"]+)"/.exec(instance.output())?.[1];
  if (listen === undefined) throw new Error(`no listen address in:\n${instance.output()}`);
  url = `http://${listen}`;
}, 90_000);

afterAll(async () => {
  if (instance) await stop(instance);
  await rm(dir, { recursive: true, force: true });
});

interface Line {
  readonly node: string;
  readonly port: string;
  readonly event: { readonly kind: string; readonly id?: string; readonly name?: string; readonly text?: string };
}
const lines = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

/** Runs `chatflow tap …` until `enough` holds of its output, then Ctrl-C; how it ended. */
async function tapUntil(args: readonly string[], enough: (run: Run) => boolean) {
  const run = chatflow(['tap', ...args, '--url', url, '--token', TOKEN], { cwd: dir });
  await until('the tap printed enough', () => enough(run), { timeoutMs: 30_000, detail: () => run.output() });
  run.child.kill('SIGINT');
  return run.finished;
}
const stdoutLines = (run: Run) => run.output().split('\n').filter((l) => l.startsWith('{')).length;

describe('chatflow tap', () => {
  it('streams JSON lines of the tapped port only (stdout is not a terminal), and exits 0 on Ctrl-C', async () => {
    const done = await tapUntil(['cmds.cv'], (run) => stdoutLines(run) >= 20);
    expect(done.code).toBe(0);
    const events = lines(done.stdout);
    expect(events.length).toBeGreaterThanOrEqual(20);
    for (const e of events) expect(e).toMatchObject({ node: 'cmds', port: 'cv', event: { kind: 'command', name: 'cv' } });
  }, 60_000);

  it('keeps only events whose text matches --match', async () => {
    const done = await tapUntil(['demo', '--match', '^!hi'], (run) => stdoutLines(run) >= 10);
    expect(done.code).toBe(0);
    const events = lines(done.stdout);
    expect(events.length).toBeGreaterThanOrEqual(10);
    for (const e of events) {
      expect(e).toMatchObject({ node: 'demo', port: '', event: { kind: 'chat' } });
      expect(e.event.text).toMatch(/^!hi/);
    }
  }, 60_000);

  it('sends at most --rate events per second and counts the rest as dropped', async () => {
    const started = performance.now();
    const done = await tapUntil(['demo', '--rate', '5/s'], (run) => /dropped so far: [1-9]\d* over --rate/.test(run.output()));
    const seconds = (performance.now() - started) / 1000;
    expect(done.code).toBe(0);
    // The source sends 200/s: a tap without the cap would print about that many a second.
    const events = lines(done.stdout);
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(5 * (seconds + 1));
    const rate = Number(/dropped so far: (\d+) over --rate/.exec(done.stderr)?.[1]);
    expect(rate).toBeGreaterThan(events.length);
  }, 60_000);

  it('keeps the --sample fraction of events, evenly spread', async () => {
    const done = await tapUntil(['demo', '--sample', '0.25'], (run) => stdoutLines(run) >= 10);
    expect(done.code).toBe(0);
    // The simulation numbers its messages (sim-<seed>-<n>): every fourth one is kept.
    const ns = lines(done.stdout).map((e) => Number(/^sim-1-(\d+)$/.exec(e.event.id ?? "")?.[1]));
    expect(ns.length).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < ns.length; i++) expect((ns[i] as number) - (ns[i - 1] as number)).toBe(4);
  }, 60_000);

  it('names an unknown node with a did-you-mean, exit 64', async () => {
    const done = await chatflow(['tap', 'cmdz', '--url', url, '--token', TOKEN], { cwd: dir }).finished;
    expect(done.code).toBe(64);
    expect(done.stderr).toContain('No node "cmdz" in the running pipeline. Did you mean "cmds"?');
    const port = await chatflow(['tap', 'cmds.cx', '--url', url, '--token', TOKEN], { cwd: dir }).finished;
    expect(port.code).toBe(64);
    expect(port.stderr).toContain('Node "cmds" has no port "cx"');
  }, 60_000);

  it('asks for the token (exit 77), and says when nothing answers (exit 69)', async () => {
    const noToken = await chatflow(['tap', 'cmds', '--url', url], { cwd: dir, env: { CHATFLOW_TOKEN: '' } }).finished;
    expect(noToken.code).toBe(77);
    expect(noToken.stderr).toContain('needs a token (server.token)');
    const nobody = await chatflow(['tap', 'cmds', '--url', 'http://127.0.0.1:1'], { cwd: dir }).finished;
    expect(nobody.code).toBe(69);
    expect(nobody.stderr).toContain('no chatflow answers at http://127.0.0.1:1');
  }, 60_000);
});

describe('chatflow top', () => {
  it('--once prints a row per node with its numbers', async () => {
    const done = await chatflow(['top', '--once', '--url', url, '--token', TOKEN, '--interval', '500'], { cwd: dir })
      .finished;
    expect(done.code).toBe(0);
    const [title, header, ...rows] = done.stdout.trim().split('\n');
    expect(title).toContain('5 nodes');
    expect(header?.split(/\s+/)).toEqual(['NODE', 'KIND', 'TYPE', 'STATUS', 'IN/s', 'OUT/s', 'DROPS', 'P99ms', 'BUFFER']);
    const byId = new Map(rows.map((r) => [r.split(/\s+/)[0], r.split(/\s+/)]));
    expect([...byId.keys()].sort()).toEqual(['cmds', 'demo', 'metrics', 'out', 'stats']);
    const demo = byId.get('demo') as string[];
    expect(demo.slice(1, 4)).toEqual(['source', 'simulate', 'live']);
    expect(Number(demo[5])).toBeGreaterThan(0);
    const out = byId.get('out') as string[];
    expect(Number(out[4])).toBeGreaterThan(0);
    expect(out.at(-1)).toMatch(/^\d+\/10000$/);
    // A ported operator's out/s per port, and its drops by reason.
    expect(byId.get('cmds')?.join(' ')).toMatch(/cv=\d+(\.\d)? .*no_consumer:_unmatched=\d+/);
  }, 60_000);

  it('--sort with a typo is refused with a did-you-mean', async () => {
    const done = await chatflow(['top', '--once', '--url', url, '--sort', 'drop'], { cwd: dir }).finished;
    expect(done.code).toBe(64);
    expect(done.stderr).toContain('Did you mean drops?');
  }, 60_000);
});
