import { BEAT_CLOCK } from '../../core/beatClock.js';
import { COMMAND_OUTCOMES, outcomeReporter } from '../../core/commandOutcomes.js';
import { defineOperator } from '../../core/component.js';
import { CONTROL_BUS } from '../../core/controlBus.js';
import { RESTORED_VARIABLES } from '../../core/variables.js';
import { ControlConfig } from './config.js';
import { control } from './control.js';
import { controlCommandWarnings, controlUnsettableWarnings, controlUses } from './flow.js';
import { compileVariable } from './variables.js';

export const controlComponent = defineOperator({
  type: 'control',
  summary: 'Turns commands and vote results into control-variable changes (control voltages).',
  description:
    'Declared variables have a range, curve, quantizer, slew and safe default; `!cv pause|resume|panic|reset|lock|unlock` (parse_command subcommands) are moderator controls. Emits `control` events for the osc, overlay and redis_state sinks.',
  config: ControlConfig,
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
  ],
  create: (config, ctx) => {
    const restored = ctx.resources.services?.get(RESTORED_VARIABLES);
    const bus = ctx.resources.services?.get(CONTROL_BUS);
    const outcomes = outcomeReporter(ctx.resources.services?.get(COMMAND_OUTCOMES));
    const beats = ctx.resources.services?.get(BEAT_CLOCK);
    return control(config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      clock: ctx.clock,
      idPrefix: `${ctx.resources.instance}/${ctx.id}`,
      state: ctx.state,
      ...(restored ? { initial: restored } : {}),
      ...(bus ? { actions: bus.actions } : {}),
      ...(outcomes ? { outcomes } : {}),
      ...(beats ? { beats } : {}),
    });
  },
});

export { ADMIN_VERBS, ControlConfig, VariableConfig } from './config.js';
export { control, type ControlDeps } from './control.js';
export { type Curve, CURVES, INPUT_MODES, type InputMode } from './variables.js';
