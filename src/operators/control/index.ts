import { BEAT_CLOCK } from '../../core/beatClock.js';
import { COMMAND_OUTCOMES, outcomeReporter } from '../../core/commandOutcomes.js';
import { defineOperator } from '../../core/component.js';
import { CONTROL_BUS } from '../../core/controlBus.js';
import { DUE_CHANGES } from '../../core/dueChanges.js';
import { RESTORED_VARIABLES } from '../../core/variables.js';
import { ControlConfig } from './config.js';
import { controlWithReplies } from './control.js';
import { CONTROL_REPLY_PORT } from './replies.js';
import { controlCommandWarnings, controlUnsettableWarnings, controlUses } from './flow.js';
import { compileVariable } from './variables.js';

export const controlComponent = defineOperator({
  type: 'control',
  summary: 'Turns commands and vote results into control-variable changes (control voltages).',
  description:
    'Declared variables have a range, curve, quantizer, slew and safe default; `!cv pause|resume|panic|reset|lock|unlock` (parse_command subcommands) are moderator controls. Emits `control` events for the osc, overlay and redis_state sinks.',
  config: ControlConfig,
  ports: (config) => (config.reply === undefined ? [] : [CONTROL_REPLY_PORT]),
  wantedPorts: (config) =>
    config.reply === undefined ? [] : [{ port: CONTROL_REPLY_PORT, lost: 'the answers of its `reply` templates are dropped (read it with the chat sink)' }],
  commandFlow: { check: controlCommandWarnings, checkComplete: controlUnsettableWarnings, uses: controlUses },
  variables: (config) =>
    Object.entries(config.variables).map(([name, spec]) => {
      const v = compileVariable(spec);
      return { name, range: [v.min, v.max], input: v.input, default: v.default, voltsPerOctave: v.voltsPerOctave };
    }),
  examples: [
    'variables:\n  cutoff: { range: [0, 1], slew: 80ms, default: 0.5 }\n  pitch: { range: [-5, 5], quantize: semitone, default: 0 }',
    [
      'control_rate: 200/s',
      'max_active: 50',
      'allow_undeclared: { range: [0, 1], default: 0 }',
      'commands:',
      '  cv: { variable_arg: name, value_arg: value }',
      '  note: { fixed_variable: pitch, input: note }',
      'variables:',
      '  pitch: { range: [-2, 3], quantize: pentatonic_minor, root: A, slew: 40ms }',
      '  freq: { range: [20, 20000], curve: exponential, default: 440 }',
    '  wobble: { range: [0, 1], on_beat: bar, slew: 200ms }',
    ].join('\n'),
    [
      'variables:',
      '  cutoff: { range: [0, 1], default: 0.5 }',
      'out_of_range: refuse',
      'reply:',
      '  applied: "{{ user }} set {{ variable }} to {{ value }}"',
      '  locked: "@{{ user }}, {{ variable }} is locked for now."',
    ].join('\n'),
  ],
  create: (config, ctx) => {
    const restored = ctx.resources.services?.get(RESTORED_VARIABLES);
    const bus = ctx.resources.services?.get(CONTROL_BUS);
    const outcomes = outcomeReporter(ctx.resources.services?.get(COMMAND_OUTCOMES));
    const beats = ctx.resources.services?.get(BEAT_CLOCK);
    const due = ctx.resources.services?.get(DUE_CHANGES)?.announcer(ctx.id);
    return controlWithReplies(config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      clock: ctx.clock,
      idPrefix: `${ctx.resources.instance}/${ctx.id}`,
      state: ctx.state,
      ...(restored ? { initial: restored } : {}),
      ...(bus ? { actions: bus.actions } : {}),
      ...(outcomes ? { outcomes } : {}),
      ...(beats ? { beats } : {}),
      ...(due ? { due } : {}),
    });
  },
});

export { ADMIN_VERBS, ControlConfig, VariableConfig } from './config.js';
export { control, type ControlDeps, controlWithReplies } from './control.js';
export { CONTROL_REPLY_FIELDS, CONTROL_REPLY_PORT, ControlReplies } from './replies.js';
export { type Curve, CURVES, INPUT_MODES, type InputMode } from './variables.js';
