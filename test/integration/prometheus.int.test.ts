/**
 * `/metrics` of a running `chatflow run` process, checked by Prometheus's own linter
 * (`promtool check metrics`, Debian `prometheus`): base units, histograms whose buckets,
 * `_sum` and `_count` only grow between scrapes, counters ending in `_total`, a real HELP on
 * every family; and the synth's intended delay (its slew) apart from its latency.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/resources/embedded.js';
import { METRIC_HELP } from '../../src/sinks/metrics/help.js';
import { chatflow } from '../support/cli.js';
import { udpReceiver } from './oscSupport.js';

/** Runs `promtool check metrics` on `text`; its exit code and what it printed. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (err) => reject(new Error('promtool is missing: apt-get install -y prometheus', { cause: err })));
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** Sample lines as series → value (`name{labels}` → number). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('Prometheus /metrics of a running pipeline', () => {
  it('passes promtool check metrics, with histograms that only grow and a real HELP on every family', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-prom-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const synth = await udpReceiver();
    cleanup.push(() => synth.close());
    const port = await freePort();
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
server: { listen: "127.0.0.1:${port}" }
resources: { redis: { url: "off" }, postgres: { url: "off" } }
sources:
  demo: { type: simulate, rate: 50/s, users: 200, seed: 1 }
operators:
  cmds:
    type: parse_command
    inputs: [demo]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      pitch: { aliases: [p], args: ["note:note(C2..C6)"] }
  cv:
    type: control
    inputs: [cmds.cv, cmds.pitch]
    variables:
      cutoff: { range: [0, 1], slew: 80ms, default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
  stats: { type: sample_metrics, inputs: [demo, cmds], every: 200ms }
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:${synth.port}" }
  metrics: { type: metrics, inputs: [stats, cv] }
`,
    );
    const run = chatflow(['run', 'pipeline.yaml'], { cwd: dir });
    cleanup.push(async () => {
      run.child.kill('SIGTERM');
      await run.finished;
    });
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const deadline = performance.now() + 30_000;
    let first = '';
    // Until the synth has had a slewed change (an intended delay) and a latency measured.
    for (;;) {
      if (performance.now() > deadline) throw new Error(`no intended delay at the synth in time:\n${first}\n${run.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!run.output().includes('Pipeline started.')) continue;
      first = await scrape();
      const s = samples(first);
      if ((s.get('chatflow_intended_delay_seconds_count{sink="synth"}') ?? 0) > 0) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = await scrape();

    for (const text of [first, second]) {
      const lint = await promtool(text);
      expect(lint.output).toBe('');
      expect(lint.code).toBe(0);
      expect(text).not.toMatch(/^chatflow_\w*_ms\b/m);
    }

    // Histograms since start: every bucket, _sum and _count of the first scrape is still there
    // and no smaller in the second (rate() works), and the synth's latency counts grew.
    const before = samples(first);
    const after = samples(second);
    const cumulative = [...before].filter(([series]) => /^chatflow_(?!nodejs_)\w+_(bucket|sum|count)\{/.test(series));
    expect(cumulative.length).toBeGreaterThan(20);
    for (const [series, value] of cumulative) expect(after.get(series), series).toBeGreaterThanOrEqual(value);
    expect(after.get('chatflow_end_to_end_latency_seconds_count{sink="synth"}')).toBeGreaterThan(0);
    expect(second).toContain('# TYPE chatflow_end_to_end_latency_seconds histogram');
    expect(second).toContain('# TYPE chatflow_intended_delay_seconds histogram');
    expect(second).toContain('# TYPE chatflow_node_processing_seconds histogram');
    expect(after.get('chatflow_end_to_end_latency_seconds_bucket{sink="synth",le="+Inf"}')).toBe(
      after.get('chatflow_end_to_end_latency_seconds_count{sink="synth"}'),
    );

    // A real HELP on every family: prom-client's own, or ours from the catalog.
    const helps = second.split('\n').filter((line) => line.startsWith('# HELP '));
    expect(helps.length).toBeGreaterThan(30);
    for (const line of helps) {
      expect(line).not.toMatch(/chatflow metric/);
      expect(line).not.toMatch(/not described/);
    }
    const ours = new Set(Object.values(METRIC_HELP).map((h) => h.replace(/\\/g, '\\\\')));
    expect(helps.some((line) => [...ours].some((h) => line.endsWith(h)))).toBe(true);
    expect(synth.messages().length).toBeGreaterThan(0);
  }, 60_000);
});
