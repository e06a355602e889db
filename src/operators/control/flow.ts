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

/** The commands `control` applies: its `commands`, a command named like a declared variable, and its admin command. */
export function controlUses(config: ControlConfig): string[] {
  return [...new Set([...Object.keys(config.commands), ...Object.keys(config.variables), config.admin_command])];
}

/**
 * Declared variables no arriving command can set, given every command that can arrive. A
 * moderator's `panic` and `reset` (from chat or the dashboard) and a restore from Redis only
 * put a variable back to a value it already had, so they do not count as setting it.
 *
 * @param arriving Every command that can reach the node.
 */
export function controlUnsettableWarnings(
  config: ControlConfig,
  arriving: readonly CommandShape[],
  node: string,
): FlowWarning[] {
  const declared = Object.keys(config.variables);
  if (declared.length === 0) return [];
  const settable = new Set<string>();
  /** Names commands could set that control does not declare: what the author may have meant. */
  const elsewhere = new Set<string>();
  let anyName = false;
  for (const shape of arriving) {
    if (shape.name === config.admin_command && shape.args.subcommand !== undefined) continue;
    const configured = config.commands[shape.name];
    if (configured === undefined) {
      if (Object.hasOwn(config.variables, shape.name)) settable.add(shape.name);
      else elsewhere.add(shape.name);
      continue;
    }
    if (configured.fixed_variable !== undefined) {
      settable.add(configured.fixed_variable);
      continue;
    }
    const values = shape.args[configured.variable_arg];
    if (values === undefined) continue;
    if (values === 'any') {
      anyName = true;
      break;
    }
    for (const { value } of values) {
      const name = variableName(value) ?? value;
      if (Object.hasOwn(config.variables, name)) settable.add(name);
      else elsewhere.add(name);
    }
  }
  if (anyName) return [];
  if (arriving.length === 0) {
    return [
      {
        rule: 'unsettable_variable',
        origin: { node, path: [] },
        message: `No command reaches "${node}", so nothing can set its variables (${declared.join(', ')}); give it inputs from a parse_command or a vote`,
      },
    ];
  }
  const set = declared.filter((name) => settable.has(name));
  const warnings: FlowWarning[] = [];
  for (const name of declared) {
    if (settable.has(name)) continue;
    const meant = suggest(name, [...elsewhere]);
    warnings.push({
      rule: 'unsettable_variable',
      origin: { node, path: ['variables', name] },
      message: `Nothing can set variable "${name}": the commands that reach "${node}" set ${set.length > 0 ? `only ${set.join(', ')}` : 'none of its variables'}; have a command reach it that sets it (a parse_command command named \`${name}\`, or an arg that can name it), or remove it${meant ? `. Did you mean "${meant}", which a command sets?` : ''}`,
    });
  }
  return warnings;
}
