import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../src/components.js';
import { renderPipelineSchema, renderReference } from '../src/pipelines/reference.js';

describe('generated files', () => {
  const registry = defaultRegistry();

  it('pipeline.schema.json is up to date (run `npm run gen`)', async () => {
    const committed = await readFile(new URL('../pipeline.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderPipelineSchema(registry));
  });

  it('docs/components.md is up to date (run `npm run gen`)', async () => {
    const committed = await readFile(new URL('../docs/components.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderReference(registry));
  });
});
