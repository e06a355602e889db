import type { SinkDefinition } from '../core/component.js';
import { blackholeComponent } from './blackhole.js';
import { consoleComponent } from './console.js';
import { fileComponent } from './file.js';

/** Every sink, alphabetically. */
export const sinkComponents: readonly SinkDefinition[] = [blackholeComponent, consoleComponent, fileComponent];
