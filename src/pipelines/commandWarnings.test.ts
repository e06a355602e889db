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

describe('validate: a command made that nothing uses (unused_command)', () => {
  const unused = (issues: readonly ConfigIssue[]): string[] =>
    issues.filter((i) => i.rule === 'unused_command').map(formatIssue);

  it('warns at the command when it reaches only nodes that drop it, with a did-you-mean from what they use', () => {
    // `crowd` reads every command but counts only `vote`; `vot` was meant.
    const issues = check(
      pipeline(
        '  more: { type: parse_command, inputs: [demo], commands: { vot: { args: [name, "value:percent"] } } }\n  crowd: { type: vote, inputs: [more] }',
        'cmds.cv, crowd',
      ),
    );
    expect(unused(issues)).toEqual([
      'p.yaml:11:65: warning: Command "vot" of "more" reaches only nodes that do not use it ("crowd"); every one is dropped there. Send it to a node that does (a control that maps it, a vote with `command: vot`, a sink), or remove it. Did you mean "vote"? (at operators.more.commands.vot)',
    ]);
  });

  it('follows commands through the nodes that pass them on (a throttle)', () => {
    const issues = check(
      pipeline(
        '  more: { type: parse_command, inputs: [demo], commands: { wave: { args: ["mode:enum(sine|saw)"] } } }\n  slow: { type: throttle, inputs: [more], rate: 1/s }\n  crowd: { type: vote, inputs: [slow] }',
        'cmds.cv, crowd',
      ),
    );
    expect(unused(issues)).toEqual([
      'p.yaml:11:66: warning: Command "wave" of "more" reaches only nodes that do not use it ("slow", "crowd"); every one is dropped there. Send it to a node that does (a control that maps it, a vote with `command: wave`, a sink), or remove it (at operators.more.commands.wave)',
    ]);
  });

  it('says nothing when a control maps it, a vote counts it, a sink receives it, or its reply answers it', () => {
    const base = '  more: { type: parse_command, inputs: [demo], commands: { wave: { args: ["mode:enum(sine|saw)"] } } }';
    // Reaching a sink through a throttle: the sink does something with every command.
    const toSink = pipeline(`${base}\n  slow: { type: throttle, inputs: [more], rate: 1/s }`, 'cmds.cv').replace(
      'sinks:\n',
      'sinks:\n  log: { type: console, inputs: [slow] }\n',
    );
    expect(unused(check(toSink))).toEqual([]);
    const toVote = `${base}\n  crowd: { type: vote, inputs: [more], command: wave, fixed_key: wobble, arg: mode }`;
    expect(unused(check(pipeline(toVote, 'cmds.cv, crowd')))).toEqual([]);
    const replied = pipeline(
      '  more: { type: parse_command, inputs: [demo], commands: { level: { args: [], reply: "at {var.cutoff}" } } }\n  crowd: { type: vote, inputs: [more] }',
      'cmds.cv, crowd',
    ).replace('sinks:\n', 'sinks:\n  replies: { type: console, inputs: [more._reply] }\n');
    expect(unused(check(replied))).toEqual([]);
    // The default pipeline: every command reaches control, the vote, or the history sink.
    expect(unused(check(readFileSync('pipeline.yaml', 'utf8')))).toEqual([]);
  });

  it('leaves to unknown_command what reaches only a control that drops it, and to dead_end_port what reaches nothing', () => {
    const toControl = check(
      pipeline('  more: { type: parse_command, inputs: [demo], commands: { reverb: { args: ["value:number"] } } }', 'cmds.cv, more'),
    );
    expect(toControl.map((i) => i.rule).filter((r) => r === 'unknown_command' || r === 'unused_command')).toEqual([
      'unknown_command',
    ]);
    const nowhere = check(pipeline('', 'cmds.cv').replace('sinks:\n', 'sinks:\n  votes: { type: console, inputs: [cmds.cv] }\n'));
    expect(nowhere.map((i) => i.rule)).toEqual(['dead_end_port']);
  });
});

describe('validate: a control variable nothing can set (unsettable_variable)', () => {
  const unsettable = (issues: readonly ConfigIssue[]): string[] =>
    issues.filter((i) => i.rule === 'unsettable_variable').map(formatIssue);
  /** Commands whose variable comes from a fixed list, so what they can set is known. */
  const fixedNames = (names: string): string =>
    pipeline('', 'cmds.cv').replace('cv: { args: [name, "value:number(0..1)"]', `cv: { args: ["name:enum(${names})", "value:number(0..1)"]`);

  it('warns at each declared variable no arriving command can set, with a did-you-mean from what they set', () => {
    expect(unsettable(check(fixedNames('cutoff|wobbel')))).toEqual([
      'p.yaml:17:7: warning: Nothing can set variable "wobble": the commands that reach "cv" set only cutoff; have a command reach it that sets it (a parse_command command named `wobble`, or an arg that can name it), or remove it. Did you mean "wobbel", which a command sets? (at operators.cv.variables.wobble)',
    ]);
  });

  it('warns once at the node when no command reaches it at all', () => {
    const text = pipeline('', 'demo');
    expect(unsettable(check(text))).toEqual([
      'p.yaml:12:3: warning: No command reaches "cv", so nothing can set its variables (cutoff, wobble); give it inputs from a parse_command or a vote (at operators.cv)',
    ]);
  });

  it('counts a name from chat, a command named like the variable, a fixed_variable and a vote key as setting it', () => {
    // `!cv <name> <value>`: chat names the variable.
    expect(unsettable(check(pipeline('', 'cmds.cv')))).toEqual([]);
    const named = fixedNames('cutoff').replace('vote: { args:', 'wobble: { args: ["value:number"] }\n      vote: { args:');
    expect(unsettable(check(named.replace('inputs: [cmds.cv]', 'inputs: [cmds.cv, cmds.wobble]')))).toEqual([]);
    const fixed = fixedNames('cutoff')
      .replace('vote: { args:', 'wob: { args: ["value:number"] }\n      vote: { args:')
      .replace('    variables:', '    commands: { cv: {}, wob: { fixed_variable: wobble } }\n    variables:')
      .replace('inputs: [cmds.cv]', 'inputs: [cmds.cv, cmds.wob]');
    expect(unsettable(check(fixed))).toEqual([]);
    const voted = fixedNames('cutoff').replace('inputs: [cmds.cv]', 'inputs: [cmds.cv, crowd]').replace(
      '  cv:\n    type: control',
      '  crowd: { type: vote, inputs: [cmds.vote], fixed_key: wobble }\n  cv:\n    type: control',
    );
    expect(unsettable(check(voted))).toEqual([]);
  });

  it('does not count a moderator reset (from chat or the dashboard) as setting a variable', () => {
    // `!cv reset <name>` names any variable but only puts it back to its default.
    expect(unsettable(check(fixedNames('cutoff'))).map((m) => m.split(': warning: ')[1]?.slice(0, 33))).toEqual([
      'Nothing can set variable "wobble"',
    ]);
  });

  it('says nothing where commands validate cannot know may arrive: a replay, an operator that says nothing, a disabled node', () => {
    const withReplay = fixedNames('cutoff')
      .replace('  demo: { type: simulate, rate: 5/s }', '  demo: { type: simulate, rate: 5/s }\n  old: { type: replay, path: show.jsonl }')
      .replace('inputs: [cmds.cv]', 'inputs: [cmds.cv, old]');
    expect(unsettable(check(withReplay))).toEqual([]);
    const throughModerate = fixedNames('cutoff')
      .replace('  cv:\n    type: control', '  mod: { type: moderate, inputs: [demo] }\n  cv:\n    type: control')
      .replace('inputs: [cmds.cv]', 'inputs: [cmds.cv, mod.clean]');
    expect(unsettable(check(throughModerate))).toEqual([]);
    const disabled = fixedNames('cutoff')
      .replace('  cv:\n    type: control', '  more: { type: parse_command, inputs: [demo], enabled: false, commands: { wobble: { args: ["value:number"] } } }\n  cv:\n    type: control')
      .replace('inputs: [cmds.cv]', 'inputs: [cmds.cv, more]');
    expect(unsettable(check(disabled))).toEqual([]);
  });
});
