import type { OperatorDefinition } from '../core/component.js';
import { classifyComponent } from './classify/index.js';
import { controlComponent } from './control/index.js';
import { cooldownComponent } from './cooldown/index.js';
import { dedupeComponent } from './dedupe.js';
import { filterComponent } from './filter.js';
import { moderateComponent } from './moderate/index.js';
import { normalizeComponent } from './normalize.js';
import { parseCommandComponent } from './parseCommand/index.js';
import { routeComponent } from './route.js';
import { sampleMetricsComponent } from './sampleMetrics/index.js';
import { textCommandsComponent } from './textCommands/index.js';
import { throttleComponent } from './throttle/index.js';
import { timerComponent } from './timer.js';
import { voteComponent } from './vote.js';

/** Every operator, alphabetically by type. */
export const operatorComponents: readonly OperatorDefinition[] = [
  classifyComponent,
  controlComponent,
  cooldownComponent,
  dedupeComponent,
  filterComponent,
  moderateComponent,
  normalizeComponent,
  parseCommandComponent,
  routeComponent,
  sampleMetricsComponent,
  textCommandsComponent,
  throttleComponent,
  timerComponent,
  voteComponent,
];
