// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in pipeline text is the env syntax.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../components.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { buildGraph } from '../pipelines/graph.js';
import { loadText } from '../pipelines/load.js';
import { readRecording } from './recording.js';
import { whatIf } from './whatIf.js';
import { diffWhatIf } from './whatIfDiff.js';

const registry = defaultRegistry();

function graphOf(text: string, file = 'p.yaml'): PipelineGraph {
  const { graph, issues } = buildGraph(loadText(text, { file, env: {} }), registry);
  if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
  return graph;
}

/** One viewer's `!cv cutoff <v>` every second, `count` times: v cycles 0.1 … 0.9. */
function spam(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      kind: 'chat',
      id: `s-${i}`,
      platform: 'twitch',
      channel: 'show',
      author: { id: 'id-spammer', login: 'spammer', displayName: 'spammer', roles: [], badges: {} },
      text: `!cv cutoff ${((i % 9) + 1) / 10}`,
      emotes: [],
      ts: 1_718_000_000_000 + i * 1000,
      action: false,
      firstMessage: false,
      receivedAt: 0,
    }),
  ).join('\n');
}

/** Commands through a per-user throttle of `rate` (burst 3) into one variable. */
const throttled = (rate: string): string => `version: 1
sources:
  chat: { type: simulate, rate: 1/s }
operators:
  cmds: { type: parse_command, inputs: [chat], commands: { cv: { args: [name, "value:number(0..1)"] } } }
  fair: { type: throttle, inputs: [cmds.cv], per: user, rate: ${rate}, burst: 3 }
  cv: { type: control, inputs: [fair], variables: { cutoff: { range: [0, 1], default: 0 } } }
sinks:
  out: { type: blackhole, inputs: [cv] }
`;

describe('whatIf', () => {
  it('runs the sample recording through the default pipeline: each variable where the chat put it', async () => {
    const recording = readRecording(readFileSync('examples/recordings/twitch-sample.jsonl', 'utf8'));
    const result = await whatIf({ graph: graphOf(readFileSync('pipeline.yaml', 'utf8'), 'pipeline.yaml'), recording });
    const timeline = (name: string) =>
      result.variables.find((v) => v.node === 'cv' && v.variable === name)?.changes.map((c) => [c.at, c.value, c.origin]);
    // cutoff slews over 80 ms: its first step, one control period (10 ms) after the command,
    // carries the change; the value is where the slew ends.
    expect(timeline('cutoff')).toEqual([
      [0, 0.5, 'default'],
      [710, 0.7, 'command'],
    ]);
    expect(result.variables.find((v) => v.variable === 'cutoff')?.steps).toBe(7);
    // `!pitch C4`: C4 is 0 V, the default, set again by the command.
    expect(timeline('pitch')).toEqual([
      [0, 0, 'default'],
      [1400, 0, 'command'],
    ]);
    expect(timeline('resonance')).toEqual([
      [0, 0.2, 'default'],
      [4200, 0.4, 'command'],
    ]);
    // Three votes (80, 60, 75) in the 5-second window: the median, 75 %, when it closes.
    expect(timeline('wobble')).toEqual([
      [0, 0, 'default'],
      [5000, 0.75, 'vote'],
    ]);
    expect(result.recording).toEqual({ lines: 8, events: 8, skipped: [], durationMs: 4900 });
    expect(result.source).toBe('demo');
    const cmds = result.nodes.find((n) => n.id === 'cmds');
    expect(cmds?.in).toBe(8);
    expect(cmds?.out).toMatchObject({ cv: 2, pitch: 1, vote: 3 });
  });

  it('counts what a throttle drops, by reason, and the changes that passed', async () => {
    const result = await whatIf({ graph: graphOf(throttled('1/2s')), recording: readRecording(spam(20)) });
    // Burst 3, then one every 2 s: the commands at 0–4 s pass, then every other one.
    expect(result.variables[0]?.changes.map((c) => c.at)).toEqual([
      0, 0, 1000, 2000, 3000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000,
    ]);
    expect(result.drops).toEqual([{ node: 'fair', reason: 'throttled', count: 8, intentional: true }]);
    expect(result.nodes.find((n) => n.id === 'fair')).toMatchObject({ in: 20, out: { '': 12 }, dropped: { throttled: 8 } });
  });

  it('tells two pipelines apart on the same recording: throttle 1/2s against 1/10s', async () => {
    const recording = readRecording(spam(20));
    const a = await whatIf({ graph: graphOf(throttled('1/2s')), recording });
    const b = await whatIf({ graph: graphOf(throttled('1/10s')), recording });
    const diff = diffWhatIf(a, b);
    expect(diff.same).toBe(false);
    // The default and the burst (0, 1, 2 s) are the same; at 3 s A lets one through, B not until 10 s.
    expect(diff.variables).toEqual([
      {
        node: 'cv',
        variable: 'cutoff',
        changesA: 13,
        changesB: 5,
        firstDivergence: { at: 3000, a: { at: 3000, value: 0.4, origin: 'command' }, b: { at: 10_000, value: 0.2, origin: 'command' } },
      },
    ]);
    expect(diff.drops).toEqual([{ node: 'fair', reason: 'throttled', a: 8, b: 16, delta: 8 }]);
    expect(diff.nodes.map((n) => [n.id, n.in, n.out[''], n.dropped])).toEqual([
      ['fair', 0, -8, 8],
      ['cv', -8, -8, 0],
      ['out', -8, -8, 0],
    ]);
    expect(diffWhatIf(a, a).same).toBe(true);
  });

  it('runs what it can of a recording with a malformed line, which it names', async () => {
    const lines = spam(3).split('\n');
    const recording = readRecording([lines[0], '{"kind":"chat", oops', lines[1], lines[2]].join('\n'));
    const result = await whatIf({ graph: graphOf(throttled('1/2s')), recording });
    expect(result.recording.skipped).toEqual([{ line: 2, reason: 'not JSON' }]);
    expect(result.recording.events).toBe(3);
    expect(result.variables[0]?.changes).toHaveLength(4);
  });

  it('runs an empty recording: only the defaults, nothing counted', async () => {
    const result = await whatIf({ graph: graphOf(throttled('1/2s')), recording: readRecording('') });
    expect(result.variables).toEqual([
      { node: 'cv', variable: 'cutoff', range: [0, 1], changes: [{ at: 0, value: 0, origin: 'default' }], steps: 0 },
    ]);
    expect(result.drops).toEqual([]);
    // Only the default reaches the sink.
    expect(result.nodes.map((n) => [n.id, n.in])).toEqual([
      ['chat', 0],
      ['cmds', 0],
      ['fair', 0],
      ['cv', 0],
      ['out', 1],
    ]);
  });

  it('refuses a source the pipeline does not have, with a did-you-mean', async () => {
    await expect(whatIf({ graph: graphOf(throttled('1/2s')), recording: readRecording(spam(1)), source: 'chta' })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: 'No source "chta" to feed the recording to (sources: chat). Did you mean "chat"?',
    });
  });

  it('feeds a source disabled in the file (until an env var is set), enabled for the run', async () => {
    const text = throttled('1/2s').replace('chat: { type: simulate, rate: 1/s }', 'chat: { type: simulate, rate: 1/s, enabled: "${LIVE:-false}" }');
    const result = await whatIf({ graph: graphOf(text), recording: readRecording(spam(3)) });
    expect(result).toMatchObject({ source: 'chat', sourceEnabledForRun: true });
    expect(result.variables[0]?.changes.map((c) => c.value)).toEqual([0, 0.1, 0.2, 0.3]);
  });
});
