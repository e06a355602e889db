import type { CommandIo } from './commandIo.js';
import { defaultRegistry } from '../components.js';
import { renderPipelineSchema } from '../pipelines/reference.js';
import { EXIT } from './exitCodes.js';

export async function schemaCommand(io: CommandIo): Promise<number> {
  io.stdout.write(renderPipelineSchema(defaultRegistry()));
  return EXIT.ok;
}
