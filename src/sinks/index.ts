import type { SinkDefinition } from '../core/component.js';
import { blackholeComponent } from './blackhole.js';
import { consoleComponent } from './console.js';
import { fileComponent } from './file.js';
import { metricsComponent } from './metrics.js';
import { oscComponent } from './osc.js';
import { overlayComponent } from './overlay.js';
import { postgresComponent } from './postgres.js';
import { redisStateComponent } from './redisState.js';

/** Every sink, alphabetically. */
export const sinkComponents: readonly SinkDefinition[] = [
  blackholeComponent,
  consoleComponent,
  fileComponent,
  metricsComponent,
  oscComponent,
  overlayComponent,
  postgresComponent,
  redisStateComponent,
];
