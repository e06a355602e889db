/** Writes pipeline.schema.json and docs/components.md from the registry (`npm run gen`). */
import { writeFile } from 'node:fs/promises';
import { defaultRegistry } from '../src/components.js';
import { renderPipelineSchema, renderReference } from '../src/pipelines/reference.js';

const registry = defaultRegistry();
await writeFile(new URL('../pipeline.schema.json', import.meta.url), renderPipelineSchema(registry));
await writeFile(new URL('../docs/components.md', import.meta.url), renderReference(registry));
