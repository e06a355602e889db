import { buildRegistry, type Registry } from './core/registry.js';
import { operatorComponents } from './operators/index.js';
import { sinkComponents } from './sinks/index.js';
import { sourceComponents } from './sources/index.js';

/** The registry of every component chatflow ships. */
export function defaultRegistry(): Registry {
  return buildRegistry(sourceComponents, operatorComponents, sinkComponents);
}
