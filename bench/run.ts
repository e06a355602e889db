/**
 * `npm run bench [name…]`: runs the benchmarks (all by default, the 10-minute soak last) and
 * writes each one's figures to bench/results/<name>.json with the machine they ran on and the
 * load it carried meanwhile. What each measures: bench/README.md.
 */
import { backpressure } from './backpressure.js';
import { chatReplies } from './chatReplies.js';
import { configLoad } from './configLoad.js';
import { controlPath } from './controlPath.js';
import { controlTiming } from './controlTiming.js';
import { diskBufferBench } from './diskBuffer.js';
import { engineOverhead } from './engineOverhead.js';
import { eventsubBench } from './eventsub.js';
import { moderateBench } from './moderate.js';
import { fullGraph } from './fullGraph.js';
import { gcShare } from './gcShare.js';
import { hotPath } from './hotPath.js';
import { kickThroughput } from './kickThroughput.js';
import { metricsCost } from './metricsCost.js';
import { oscLatency } from './oscLatency.js';
import { overlayFanout } from './overlayFanout.js';
import { redisOutage } from './redisOutage.js';
import { reloadBench } from './reload.js';
import { soak } from './soak.js';
import { postgresThread } from './postgresThread.js';
import { storage } from './storage.js';
import { storageOsc } from './storageOsc.js';
import { twitchRecovery } from './twitchRecovery.js';
import { twitchThroughput } from './twitchThroughput.js';
import { virtualTime } from './virtualTime.js';
import { whatIfBench } from './whatIf.js';
import { measuringLoad } from './results.js';
import { rerun, rerunArgs, startOptions } from './startOptions.js';

const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  backpressure,
  'chat-replies': chatReplies,
  'config-load': configLoad,
  'engine-overhead': engineOverhead,
  'control-path': controlPath,
  'control-timing': controlTiming,
  'disk-buffer': diskBufferBench,
  moderate: moderateBench,
  eventsub: eventsubBench,
  'twitch-throughput': twitchThroughput,
  'twitch-recovery': twitchRecovery,
  'kick-throughput': kickThroughput,
  'osc-latency': oscLatency,
  'overlay-fanout': overlayFanout,
  'postgres-thread': postgresThread,
  storage,
  'storage-osc': storageOsc,
  'redis-outage': redisOutage,
  'full-graph': fullGraph,
  'metrics-cost': metricsCost,
  'gc-share': gcShare,
  'hot-path': hotPath,
  reload: reloadBench,
  'virtual-time': virtualTime,
  whatif: whatIfBench,
  // Ten minutes (CHATFLOW_SOAK_SECONDS): last, so the short benches report first.
  soak,
};

// The graphs most benches run are in this process: with `npm start`'s node options, as shipped.
const again = rerunArgs(await startOptions(new URL('../package.json', import.meta.url)), process.execArgv, process.argv);
if (again !== undefined) process.exit(await rerun(again));

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
  process.exit(64);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
  process.stdout.write(`${name}: running…\n`);
  const figures = await measuringLoad(BENCHMARKS[name] as () => Promise<Record<string, unknown>>);
  process.stdout.write(`${name}: ${JSON.stringify(figures)}\n`);
}
