/**
 * Writes pipeline.schema.json and docs/components.md from the registry, and
 * pipeline.test.schema.json and the test file reference in docs/testing.md from the test file
 * schema (`npm run gen`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { defaultRegistry } from '../src/components.js';
import { renderPipelineSchema, renderReference } from '../src/pipelines/reference.js';
import { renderTestSchema, withTestReference } from '../src/testing/reference.js';

const registry = defaultRegistry();
await writeFile(new URL('../pipeline.schema.json', import.meta.url), renderPipelineSchema(registry));
await writeFile(new URL('../docs/components.md', import.meta.url), renderReference(registry));
await writeFile(new URL('../pipeline.test.schema.json', import.meta.url), renderTestSchema());
const testing = new URL('../docs/testing.md', import.meta.url);
await writeFile(testing, withTestReference(await readFile(testing, 'utf8')));
