import type { CommandShape, KnownValue } from '../../core/commandFlow.js';
import { PARSE_COMMAND_PORTS, type ParseCommandConfig } from './config.js';
import { type CompiledCommand, compileTable } from './table.js';

/**
 * The commands a config emits on `port` (every command on the default port), for validate's
 * command checks: an `enum` arg can only hold its values, a subcommand sets `subcommand`.
 */
export function commandShapes(config: ParseCommandConfig, node: string, port: string): CommandShape[] {
  if (port.startsWith('_')) return [];
  const table = compileTable(config, () => {});
  const shapes: CommandShape[] = [];
  const add = (name: string, compiled: CompiledCommand, path: (string | number)[]) => {
    const args: Record<string, readonly KnownValue[] | 'any'> = {};
    compiled.args.forEach((arg, i) => {
      const origin = { node, path: [...path, 'args', i] };
      args[arg.name] = arg.values ? [...arg.values.values()].map((value) => ({ value, origin })) : 'any';
    });
    if (compiled.subcommand !== undefined) {
      args.subcommand = [{ value: compiled.subcommand, origin: { node, path } }];
    }
    const shape = { name, args, origin: { node, path } };
    shapes.push(compiled.reply === undefined ? shape : { ...shape, replied: true });
  };
  for (const name of Object.keys(config.commands)) {
    if (port !== '' && port !== name) continue;
    const compiled = table.commands.get(name);
    if (!compiled) continue;
    add(name, compiled, ['commands', name]);
    for (const [sub, subCompiled] of compiled.subcommands ?? []) {
      // Aliases of a subcommand map to the same compiled command; its own name is enough.
      if (sub === subCompiled.subcommand) add(name, subCompiled, ['commands', name, 'subcommands', sub]);
    }
  }
  return shapes;
}

/** Commands answered by their own `reply`: their port may go unread. */
export function repliedCommands(config: ParseCommandConfig): string[] {
  const table = compileTable(config, () => {});
  return Object.keys(config.commands).filter((name) => table.commands.get(name)?.reply !== undefined);
}

/** `_reply` when some command (or subcommand) has a `reply` template: unread, those replies are lost. */
export function wantedPorts(config: ParseCommandConfig): { port: string; lost: string }[] {
  const replying = commandShapes(config, '', '').filter((shape) => shape.replied === true);
  if (replying.length === 0) return [];
  const names = [...new Set(replying.map((shape) => shape.name))].join(', ');
  return [{ port: PARSE_COMMAND_PORTS.reply, lost: `the replies of the \`reply\` templates of ${names} are dropped (read it with a console or postgres sink)` }];
}
