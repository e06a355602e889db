import { COMMAND_OUTCOMES, outcomeReporter } from '../../core/commandOutcomes.js';
import { defineOperator } from '../../core/component.js';
import { PARSE_COMMAND_PORTS, ParseCommandConfig } from './config.js';
import { parseCommand } from './parseCommand.js';
import { commandShapes, repliedCommands, wantedPorts } from './shapes.js';

export const parseCommandComponent = defineOperator({
  type: 'parse_command',
  summary: 'Turns chat such as `!cv cutoff 0.7` into typed command events, one port per command.',
  description:
    'Each command is an output port (`cmds.cv`), and `cmds` alone carries every command. Commands that do not parse, or that the author may not use, go to `cmds._invalid` as a reply a viewer can read; `reply` templates go to `cmds._reply`; all other events go to `cmds._unmatched`.',
  config: ParseCommandConfig,
  ports: (config) => [
    ...Object.keys(config.commands),
    PARSE_COMMAND_PORTS.invalid,
    PARSE_COMMAND_PORTS.reply,
    PARSE_COMMAND_PORTS.unmatched,
  ],
  mirrorToDefault: true,
  wantedPorts,
  optionalPorts: repliedCommands,
  metricRoles: { rejectedPort: PARSE_COMMAND_PORTS.invalid, commandPorts: true },
  commandFlow: { emits: (config, _arriving, port, node) => commandShapes(config, node, port) },
  examples: [
    'commands:\n  cv: { args: [name, value:number] }',
    [
      'prefix: ["!", "?"]',
      'commands:',
      '  cv:',
      '    args: [name, "value:number(0..1)"]',
      '    subcommands:',
      '      panic: { roles: [mod] }',
      '      reset: { args: [name], roles: [mod] }',
      '  pitch: { aliases: [p], args: ["note:note(C2..C6)"] }',
      '  vote: { args: [name, "value:percent"] }',
      '  wave: { args: ["mode:enum(sine|saw|square)"], reply: "{user} picked {args.mode} ({count} so far)" }',
      '  level: { args: [], reply: "cutoff is at {var.cutoff}" }',
    ].join('\n'),
  ],
  create: (config, ctx) => {
    const outcomes = outcomeReporter(ctx.resources.services?.get(COMMAND_OUTCOMES));
    return parseCommand(config, { drops: ctx.metrics, ...(outcomes ? { outcomes } : {}) });
  },
});

export { PARSE_COMMAND_PORTS, ParseCommandConfig } from './config.js';
export { parseCommand, type ParseCommandDeps } from './parseCommand.js';
export { ARG_TYPES, type ArgType } from './args.js';
