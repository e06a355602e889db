/** The `simulate` source: the registry's record, and what other code may use. */
export type { ChatGenerator, ChatGeneratorOptions } from './simulate.js';
export { createChatGenerator, SimulateConfig, SimulateMix, simulate, simulateComponent } from './simulate.js';
