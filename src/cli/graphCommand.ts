import type { CommandIo } from './commandIo.js';
import { EXIT } from './exitCodes.js';
import { toDot, toMermaid } from './graphFormat.js';
import { loadForCli } from './loadForCli.js';

export async function graphCommand(file: string, format: string, io: CommandIo): Promise<number> {
  if (format !== 'mermaid' && format !== 'dot') {
    io.stderr.write(`chatflow graph: unknown format "${format}"; use mermaid or dot.\n`);
    return EXIT.usage;
  }
  const graph = await loadForCli(file, io);
  if (!graph) return EXIT.config;
  io.stdout.write(format === 'dot' ? toDot(graph) : toMermaid(graph));
  return EXIT.ok;
}
