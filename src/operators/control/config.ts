import { z } from 'zod';
import { ON_BEAT } from '../../core/beatClock.js';
import { ROLES } from '../../core/events.js';
import { renamedOption } from '../../core/renamedOption.js';
import { duration, rate } from '../../core/units.js';
import { VARIABLE_NAME } from '../../core/variables.js';
import { parsePitchClass, SCALE_NAMES } from '../shared/music.js';
import { ControlReplies } from './replies.js';
import { CURVES, compileVariable, EPSILON, INPUT_MODES, quantizeValue } from './variables.js';

/** The moderator subcommands `control` understands (`args.subcommand` of the admin command). */
export const ADMIN_VERBS = ['pause', 'resume', 'panic', 'reset', 'lock', 'unlock'] as const;

const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export const VariableConfig = z
  .strictObject({
    range: z
      .tuple([z.number(), z.number()])
      .default([0, 1])
      .describe("Lowest and highest output value, in the output's units (volts for CV). Every value is clamped to it."),
    default: z
      .number()
      .optional()
      .describe(
        'The safe value: sent at start, on `panic` and on `reset`. Left out: 0 when 0 is in `range`, else the nearer end.',
      ),
    curve: z
      .enum(CURVES)
      .default('linear')
      .describe(
        'How `normalized` input (0–1) spreads over `range`. `exponential`: fine control at the low end (geometric when the range is all positive, as for Hz; otherwise a 100:1 curve). `logarithmic`: the mirror image. `raw` and `note` input skip the curve.',
      ),
    quantize: z
      .union([z.enum(['none', 'semitone', ...SCALE_NAMES]), z.number().positive()])
      .default('none')
      .describe(
        'Snap values to a grid: `none`, a step (`0.1`), `semitone` (1/12 of `volts_per_octave`), or a scale (`major`, `minor`, `pentatonic_major`, `pentatonic_minor`, `chromatic`) from `root`. The default value and slew steps are not snapped.',
      ),
    root: z.string().optional().describe('Root note of a scale quantizer: `C`, `F#`, `Bb`… (default `C`; C = 0 V).'),
    volts_per_octave: z
      .number()
      .positive()
      .default(1)
      .describe('Volts per octave for `semitone`, scales and `note` input (1 V/oct: a semitone is 1/12 V; C4 = 0 V).'),
    slew: duration()
      .prefault('0ms')
      .describe(
        'Glide time: a change moves linearly to its target in this long, in steps at `control_rate` (`80ms`). `0ms`: jump.',
      ),
    on_beat: z
      // YAML reads `on_beat: 1` as a number.
      .union([z.enum(ON_BEAT), z.literal(1).transform(() => '1' as const)])
      .optional()
      .describe(
        'Land changes on the pipeline `clock`: at the next `1/16`, `1/8` (half beat), `1/4` (beat), `1/2`, `1` (whole note, 4 beats) or `bar`. A newer change waiting for the same beat replaces the older (dropped as `superseded`); panic and reset apply at once. Without a clock, or while a followed clock has no tempo, changes apply at once.',
      ),
    input: z
      .enum(INPUT_MODES)
      .default('normalized')
      .describe(
        "How a command's number is read: `normalized` (0–1 across `range`, through `curve`), `raw` (in `range`'s units) or `note` (a MIDI note, C4 = 60 = 0 V). Out-of-range values are clamped.",
      ),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const [lo, hi] = v.range;
    if (!(lo < hi)) return issue('range', 'The low end of `range` must be below the high end');
    if (v.default !== undefined && (v.default < lo || v.default > hi)) {
      issue('default', `\`default\` must lie within range [${lo}, ${hi}]`);
    }
    const scale = typeof v.quantize === 'string' && v.quantize !== 'none' && v.quantize !== 'semitone';
    if (v.root !== undefined) {
      if (!scale) issue('root', '`root` only applies when `quantize` is a scale (major, minor, …)');
      else if (parsePitchClass(v.root) === undefined) issue('root', `\`root\` must be a note name such as C, F# or Bb`);
    }
    if (typeof v.quantize === 'number') {
      if (Math.ceil(lo / v.quantize - EPSILON) > Math.floor(hi / v.quantize + EPSILON)) {
        issue('quantize', `No multiple of ${v.quantize} lies within range [${lo}, ${hi}]`);
      }
    } else if (v.quantize !== 'none') {
      const compiled = compileVariable(v);
      if (!Number.isFinite(quantizeValue(compiled, (lo + hi) / 2))) {
        issue('quantize', `No note of ${v.quantize} lies within range [${lo}, ${hi}]`);
      }
    }
  })
  .describe('One control variable.');
export type VariableConfig = z.output<typeof VariableConfig>;

const CommandMapping = z
  .strictObject({
    fixed_variable: z
      .string()
      .regex(VARIABLE_NAME, 'A variable name is a lower-case letter, then letters, digits or `_` (at most 32)')
      .optional()
      .describe('The variable itself, the one this command always sets (`!wobble 0.5`), instead of reading it from `variable_arg`.'),
    variable_arg: z
      .string()
      .default('name')
      .describe('The name of the arg whose value is the variable (`variable_arg: name` and `!cv cutoff 0.7` → `cutoff`).'),
    variable: renamedOption(
      (value) =>
        `\`variable\` is gone: it was a fixed variable, easily mistaken for an arg name. For the one variable "${value}", write \`fixed_variable: ${value}\`; to take it from the arg "${value}", write \`variable_arg: ${value}\``,
    ).describe('Removed: `variable_arg` names the arg holding the variable, `fixed_variable` is the variable itself.'),
    value_arg: z
      .string()
      .optional()
      .describe('The arg holding the value. Left out: `value`, else the first number among the args.'),
    input: z
      .enum(INPUT_MODES)
      .optional()
      .describe(
        "Overrides the variable's `input` for this command. Left out, a value read from an arg named `note` is a MIDI note.",
      ),
  })
  .describe('How one command names a variable and a value.');

export const ControlConfig = z
  .strictObject({
    variables: z
      .record(z.string().regex(VARIABLE_NAME), VariableConfig, {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? 'A variable name is a lower-case letter, then letters, digits or `_` (at most 32)'
            : undefined,
      })
      .default({})
      .describe(
        'Variable name → its range, curve, quantizer, slew, safe default and `on_beat` (land changes on the pipeline `clock`: `1/4` the next beat, `1/8` half a beat, `bar` the next downbeat; docs/osc.md).',
      ),
    commands: z
      .record(z.string().regex(COMMAND_NAME), CommandMapping)
      .prefault({ cv: {} })
      .describe(
        'Command name → how it names a variable and a value; default `{ cv: {} }` (`!cv <name> <value>`), replaced when you list commands. Besides these, a command named like a declared variable sets it (`!pitch C4`), from its `value` arg or its first number.',
      ),
    admin_command: z
      .string()
      .min(1)
      .default('cv')
      .describe(
        'The command whose `args.subcommand` (from parse_command `subcommands`) is a moderator action: pause, resume, panic, reset <name>, lock <name>, unlock <name>.',
      ),
    admin_roles: z
      .array(z.enum(ROLES))
      .min(1)
      .default(['broadcaster', 'mod'])
      .describe('Roles that may use moderator actions; they are also exempt from pause and locks.'),
    control_rate: rate()
      .prefault('100/s')
      .describe('How often a slewing variable steps (`100/s`: every 10 ms). At most 1000/s.'),
    max_active: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .default(200)
      .describe(
        'Most variables alive at once, declared ones included. Past it, the least recently used undeclared variable is reset to its default and forgotten.',
      ),
    allow_undeclared: VariableConfig.optional().describe(
      'Lets chat create variables that are not declared, with these settings (`{ range: [0, 1], default: 0 }`). Left out, only declared variables can be set.',
    ),
    out_of_range: z
      .enum(['clamp', 'refuse'])
      .default('clamp')
      .describe(
        "A command's value outside the variable's input range (0–1 for `normalized`, `range` for `raw`, the notes within `range` for `note`): `clamp` it to the nearest end, or `refuse` it (dropped as `out_of_range`, answered with `reply.out_of_range`).",
      ),
    reply: ControlReplies.optional().describe(
      'Answers in chat on port `_reply` (for the `chat` sink): why a command from chat was refused (`paused`, `locked`, `unknown_variable`, `out_of_range`) and, with `applied`, what it set. Left out: no answers. `reply: {}` answers refusals with the default texts.',
    ),
    emit_defaults: z
      .boolean()
      .default(true)
      .describe('Send every declared variable its default when the node starts, so the synth starts from safe values.'),
  })
  .superRefine((config, ctx) => {
    const names = Object.keys(config.variables);
    for (const name of names) {
      if ((ADMIN_VERBS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['variables', name],
          message: `"${name}" is a moderator subcommand (\`!${config.admin_command} ${name}\`); pick another variable name`,
        });
      }
    }
    if (names.length > config.max_active) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_active'],
        message: `${names.length} variables are declared but \`max_active\` is ${config.max_active}`,
      });
    }
    for (const [command, mapping] of Object.entries(config.commands)) {
      const fixed = mapping.fixed_variable;
      if (fixed !== undefined && !(fixed in config.variables) && !config.allow_undeclared) {
        ctx.addIssue({
          code: 'custom',
          path: ['commands', command, 'fixed_variable'],
          message: `Variable "${fixed}" is not declared under \`variables\` (nor is \`allow_undeclared\` set)`,
        });
      }
    }
    if (config.control_rate.periodMs / config.control_rate.count < 1) {
      ctx.addIssue({ code: 'custom', path: ['control_rate'], message: '`control_rate` is at most 1000/s' });
    }
  })
  .describe('Control variables set from chat commands and votes.');
export type ControlConfig = z.output<typeof ControlConfig>;
