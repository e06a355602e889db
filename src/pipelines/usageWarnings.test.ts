// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in pipeline text is the env syntax, not a mistyped template literal.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../components.js';
import { type ConfigIssue, formatIssue } from '../core/errors.js';
import { buildGraph } from './graph.js';
import { loadText } from './load.js';

const registry = defaultRegistry();

function check(text: string, env: Record<string, string> = {}): readonly ConfigIssue[] {
  return buildGraph(loadText(text, { file: 'p.yaml', env }), registry).issues;
}
const warnings = (issues: readonly ConfigIssue[]): string[] =>
  issues.filter((i) => i.severity === 'warning').map(formatIssue);

/** Commands into a control node, printed; `{{cmds}}` and `{{fair}}` replace the two nodes' extra keys. */
const pipeline = (cmds: string, fair: string, sinks = ''): string => `version: 1
sources:
  demo: { type: simulate, rate: 5/s }
operators:
  cmds:
    type: parse_command
    inputs: [demo]
    commands:
      cv: { args: [name, "value:number(0..1)"] }
${cmds}
  fair: { type: throttle, inputs: [cmds.cv], rate: 1/s${fair} }
  cv: { type: control, inputs: [fair], variables: { cutoff: {} } }
sinks:
  out: { type: console, inputs: [cv] }
${sinks}`;

describe('validate: a side port filled on purpose that nothing reads (dead_end_port)', () => {
  it('warns of `_reply` when a command has a reply template and nothing reads the replies', () => {
    const issues = check(pipeline('      level: { args: [], reply: "cutoff is at {var.cutoff}" }', ''));
    expect(warnings(issues)).toEqual([
      'p.yaml:5:3: warning: Port "cmds._reply" is never read; the replies of the `reply` templates of level are dropped (read it with a console or postgres sink) (at operators.cmds)',
    ]);
  });

  it('warns of `_limited` with on_limit: reroute when nothing reads it', () => {
    expect(warnings(check(pipeline('', ', on_limit: reroute')))).toEqual([
      'p.yaml:11:3: warning: Port "fair._limited" is never read; what `on_limit: reroute` sends there is dropped, as `on_limit: drop` would (at operators.fair)',
    ]);
  });

  it('says nothing once they are read, nor of side ports that are optional (`_invalid`, `_unmatched`)', () => {
    const read = pipeline(
      '      level: { args: [], reply: "cutoff is at {var.cutoff}" }',
      ', on_limit: reroute',
      '  replies: { type: console, inputs: [cmds._reply] }\n  limited: { type: blackhole, inputs: [fair._limited] }\n',
    );
    expect(warnings(check(read))).toEqual([]);
    // Reading `cmds` (every command) does not read `_reply`: side ports are not mirrored.
    const mirrored = pipeline('      level: { args: [], reply: "hi" }', '', '  all: { type: console, inputs: [cmds] }\n');
    expect(warnings(check(mirrored)).map((w) => w.split(': warning: ')[1]?.slice(0, 33))).toEqual([
      'Port "cmds._reply" is never read;',
    ]);
    expect(warnings(check(pipeline('', '')))).toEqual([]);
  });

  it('takes reading the default port as reading only the ports a definition mirrors there (sample_metrics: `alerts`, not `history`)', () => {
    const stats = (history: string, reads: string) => `version: 1
sources:
  demo: { type: simulate, rate: 5/s }
operators:
  stats: { type: sample_metrics, inputs: [demo]${history} }
sinks:
  m: { type: metrics, inputs: [${reads}] }
`;
    expect(warnings(check(stats('', 'stats')))).toEqual([]);
    expect(warnings(check(stats(', history: 10s', 'stats.history, stats')))).toEqual([]);
    expect(warnings(check(stats(', history: 10s', 'stats')))).toEqual([
      'p.yaml:5:3: warning: Port "stats.history" is never read; events sent to it are dropped (at operators.stats)',
    ]);
  });

  it('counts a disabled reader as reading: a node switched off by an env var is off on purpose', () => {
    const off = pipeline(
      '      level: { args: [], reply: "hi" }',
      '',
      '  replies: { type: console, inputs: [cmds._reply], enabled: "${REPLIES:-false}" }\n',
    );
    expect(warnings(check(off))).toEqual([]);
  });
});

describe('the shipped pipelines', () => {
  const files = ['pipeline.yaml', ...readdirSync('examples').filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml')).map((f) => join('examples', f))];

  it.each(files)('%s validates with no warning at all', (file) => {
    // record-twitch.yaml needs the channel it records; the others run with nothing set.
    const { graph, issues } = buildGraph(
      loadText(readFileSync(file, 'utf8'), { file, env: { TWITCH_CHANNEL: 'somechannel' } }),
      registry,
    );
    expect(issues.map(formatIssue)).toEqual([]);
    expect(graph).toBeDefined();
  });
});
