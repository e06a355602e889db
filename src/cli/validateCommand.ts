import type { CommandIo } from './commandIo.js';
import { EXIT } from './exitCodes.js';
import { loadForCli } from './loadForCli.js';

export async function validateCommand(file: string, options: { strict: boolean }, io: CommandIo): Promise<number> {
  const graph = await loadForCli(file, io);
  if (!graph) return EXIT.config;
  const warnings = graph.warnings.length;
  io.stdout.write(`${file}: valid, ${graph.nodes.size} nodes, ${warnings} warning(s).\n`);
  return options.strict && warnings > 0 ? EXIT.warnings : EXIT.ok;
}
