import type { SinkDefinition } from '../core/component.js';
import { blackholeComponent } from './blackhole.js';
import { chatComponent } from './chat/index.js';
import { consoleComponent } from './console.js';
import { fileComponent } from './file.js';
import { metricsComponent } from './metrics/index.js';
import { oscComponent } from './osc/index.js';
import { overlayComponent } from './overlay/index.js';
import { postgresComponent } from './postgres/index.js';
import { redisStateComponent } from './redisState.js';

/** Every sink, alphabetically. */
export const sinkComponents: readonly SinkDefinition[] = [
  blackholeComponent,
  chatComponent,
  consoleComponent,
  fileComponent,
  metricsComponent,
  oscComponent,
  overlayComponent,
  postgresComponent,
  redisStateComponent,
];
