import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../components.js';
import { type ConfigIssue, formatIssue } from '../core/errors.js';
import { buildGraph } from './graph.js';
import { loadText } from './load.js';

const registry = defaultRegistry();

function check(text: string): readonly ConfigIssue[] {
  return buildGraph(loadText(text, { file: 'p.yaml', env: {} }), registry).issues;
}
const RULES = new Set(['undeclared_variable', 'unknown_command', 'missing_arg']);
/** The issues of these checks (the fixture leaves some ports unread, which is not under test). */
const said = (issues: readonly ConfigIssue[]): string[] => issues.filter((i) => RULES.has(i.rule)).map(formatIssue);

/** Chat, commands and a control node declaring cutoff and wobble; `{{ops}}` adds nodes. */
function pipeline(ops: string, controlInputs: string, extra = ''): string {
  return `version: 1
sources:
  demo: { type: simulate, rate: 5/s }
operators:
  cmds:
    type: parse_command
    inputs: [demo]
    commands:
      cv: { args: [name, "value:number(0..1)"], subcommands: { reset: { args: [name], roles: [mod] } } }
      vote: { args: [name, "value:percent"] }
${ops}
  cv:
    type: control
    inputs: [${controlInputs}]
    variables:
      cutoff: { range: [0, 1] }
      wobble: { range: [0, 1] }
${extra}
sinks:
  out: { type: blackhole, inputs: [cv] }
`;
}

describe('validate: commands that can never set a variable', () => {
  it('warns, at fixed_key, when a vote can only ever set a variable control does not declare', () => {
    const issues = check(
      pipeline(
        '  crowd: { type: vote, inputs: [cmds.vote], fixed_key: wobbel }\n  fair: { type: throttle, inputs: [crowd], rate: 10/s }',
        'cmds.cv, fair',
      ),
    );
    expect(said(issues)).toEqual([
      'p.yaml:11:56: warning: This can only set variable "wobbel", which "cv" does not declare (declared: cutoff, wobble); it is dropped (undeclared). Did you mean "wobble"? (at operators.crowd.fixed_key)',
    ]);
  });

  it('names the trap when the fixed key is an arg of the votes: key_arg was meant', () => {
    const issues = check(pipeline('  crowd: { type: vote, inputs: [cmds.vote], fixed_key: name }', 'cmds.cv, crowd'));
    expect(said(issues)).toEqual([
      'p.yaml:11:56: warning: This can only set variable "name", which "cv" does not declare (declared: cutoff, wobble); it is dropped (undeclared); "name" is an arg of command "vote": to vote on what viewers type there, write `key_arg: name` (at operators.crowd.fixed_key)',
    ]);
  });

  it('says nothing when the key comes from what chat types (key_arg), or is declared', () => {
    expect(check(pipeline('  crowd: { type: vote, inputs: [cmds.vote], key_arg: name }', 'cmds.cv, crowd'))).toEqual([]);
    expect(check(pipeline('  crowd: { type: vote, inputs: [cmds.vote], fixed_key: wobble }', 'cmds.cv, crowd'))).toEqual([]);
    // A moderator's `!cv reset <name>` reaches cv too; it names a variable but sets none.
    expect(said(check(pipeline('', 'cmds.cv').replace('reset: { args: [name]', 'reset: { args: ["name:enum(reverb)"]')))).toEqual([]);
  });

  it('follows an enum arg: each value control does not declare is warned of where the arg is written', () => {
    const issues = check(
      pipeline('  picks: { type: parse_command, inputs: [demo], commands: { cv: { args: ["name:enum(cutoff|wobble|reverb)", "value:number"] } } }', 'picks'),
    );
    expect(said(issues)).toEqual([
      'p.yaml:11:74: warning: This can only set variable "reverb", which "cv" does not declare (declared: cutoff, wobble); it is dropped (undeclared) (at operators.picks.commands.cv.args[0])',
    ]);
  });

  it('warns of a command control maps to nothing, and of a vote without the arg its key is read from', () => {
    const issues = check(
      pipeline(
        '  more: { type: parse_command, inputs: [demo], commands: { reverb: { args: ["value:number"] }, poll: { args: ["value:number"] } } }\n  crowd: { type: vote, inputs: [more.poll], command: poll }',
        'more.reverb, crowd',
      ),
    );
    expect(said(issues)).toEqual([
      'p.yaml:11:68: warning: Command "reverb" reaches "cv", which maps only cv, cutoff, wobble (its `commands`, and a command named like a declared variable); every one is dropped (unknown_command) (at operators.more.commands.reverb)',
      'p.yaml:11:102: warning: Command "poll" has no arg "name", which "crowd" reads the key from (`key_arg: name`); every vote is dropped (no_key) (at operators.more.commands.poll)',
    ]);
  });

  it('leaves moderator subcommands, allow_undeclared and disabled nodes alone', () => {
    const undeclared = pipeline('  crowd: { type: vote, inputs: [cmds.vote], fixed_key: reverb }', 'cmds.cv, crowd').replace(
      '    variables:',
      '    allow_undeclared: { range: [0, 1] }\n    variables:',
    );
    expect(said(check(undeclared))).toEqual([]);
    const disabled = pipeline('  crowd: { type: vote, inputs: [cmds.vote], fixed_key: reverb, enabled: false }', 'cmds.cv, crowd');
    expect(said(check(disabled))).toEqual([]);
  });

  it('finds nothing to say about the default pipeline.yaml, whose crowd vote moves wobble', () => {
    const text = readFileSync('pipeline.yaml', 'utf8');
    const { graph, issues } = buildGraph(loadText(text, { file: 'pipeline.yaml', env: {} }), registry);
    expect(said(issues)).toEqual([]);
    expect(graph?.nodes.get('crowd')?.config).toMatchObject({ key_arg: 'name' });
    expect(graph?.nodes.get('crowd')?.config).not.toHaveProperty('fixed_key');
    // `key: name` was one fixed key called "name", which cv does not declare.
    expect(graph?.nodes.get('crowd')?.config).not.toHaveProperty('key');
  });
});
