/**
 * `control`'s part in validate's command checks: commands that reach it but could never set
 * a variable, because their name maps to nothing or the config fixes a variable it does not
 * declare (a vote's `fixed_key`, an `enum` arg). Those are dropped at run time
 * (`unknown_command`, `undeclared`, `invalid_name`); validate says so where they are written.
 */
import type { CommandShape, FlowWarning } from '../../core/commandFlow.js';
import { suggest } from '../../core/suggest.js';
import type { ControlConfig } from './config.js';
import { variableName } from './variables.js';

/**
 * @param config Parsed config of the control node.
 * @param arriving The commands that may reach it.
 * @param node Its id.
 */
export function controlCommandWarnings(
  config: ControlConfig,
  arriving: readonly CommandShape[],
  node: string,
): FlowWarning[] {
  const warnings: FlowWarning[] = [];
  const declared = Object.keys(config.variables);
  const declaredList = declared.length > 0 ? declared.join(', ') : 'none';
  for (const shape of arriving) {
    // Moderator actions (`!cv lock <name>` …) name variables too, but only set state.
    if (shape.name === config.admin_command && shape.args.subcommand !== undefined) continue;
    const configured = config.commands[shape.name];
    if (configured === undefined && !Object.hasOwn(config.variables, shape.name)) {
      const commands = [...Object.keys(config.commands), ...declared].join(', ');
      warnings.push({
        rule: 'unknown_command',
        origin: shape.origin,
        message: `Command "${shape.name}" reaches "${node}", which maps only ${commands} (its \`commands\`, and a command named like a declared variable); every one is dropped (unknown_command)`,
      });
      continue;
    }
    if (configured?.fixed_variable !== undefined || configured === undefined) continue;
    const argName = configured.variable_arg;
    const values = shape.args[argName];
    if (values === undefined) {
      warnings.push({
        rule: 'missing_arg',
        origin: shape.origin,
        message: `Command "${shape.name}" has no arg "${argName}", which "${node}" reads the variable from (\`variable_arg: ${argName}\`); every one is dropped (invalid_name)`,
      });
      continue;
    }
    if (values === 'any' || config.allow_undeclared) continue;
    for (const { value, origin, hint } of values) {
      const name = variableName(value);
      if (name !== undefined && Object.hasOwn(config.variables, name)) continue;
      const meant = name === undefined ? undefined : suggest(name, declared);
      warnings.push({
        rule: 'undeclared_variable',
        origin,
        message: `This can only set variable "${value}", which "${node}" does not declare (declared: ${declaredList}); it is dropped (${name === undefined ? 'invalid_name' : 'undeclared'})${hint ? `; ${hint}` : ''}${meant ? `. Did you mean "${meant}"?` : ''}`,
      });
    }
  }
  return warnings;
}
