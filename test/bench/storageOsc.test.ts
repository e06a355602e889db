import { describe, expect, it } from 'vitest';
import { difference, type RunFigures, variantFigures } from '../../bench/storageOsc.js';

const run = (p99: number, waiting: number | null, running: number, cpu: number, others: number | null): RunFigures => ({
  atUdpSend: { p99Ms: 0 },
  atReceiverProcess: { p99Ms: p99 },
  mainThreadWaitingForCorePercent: waiting,
  mainThreadRunningPercent: running,
  processCpuPercent: cpu,
  othersCpuPercent: others,
});

describe("storage-osc's figures", () => {
  it("takes each figure's median over a variant's rounds, and on − off for each: what the difference is made of", () => {
    const off = variantFigures([run(1.1, 10, 20, 30, 40), run(1.3, 14, 22, 34, 44), run(1.2, 12, 21, 32, 42)]);
    const on = variantFigures([run(1.9, 25, 26, 45, 80), run(1.7, 21, 24, 41, 70), run(1.8, 23, 25, 43, 75)]);
    expect(off).toEqual({
      p99AtReceiverMs: 1.2,
      p99AtUdpSendMs: 0,
      mainThreadWaitingForCorePercent: 12,
      mainThreadRunningPercent: 21,
      processCpuPercent: 32,
      othersCpuPercent: 42,
    });
    expect(difference(on, off)).toEqual({
      p99AtReceiverMs: 0.6,
      p99AtUdpSendMs: 0,
      mainThreadWaitingForCorePercent: 11,
      mainThreadRunningPercent: 4,
      processCpuPercent: 11,
      othersCpuPercent: 33,
    });
  });

  it('says null where a figure was not measured (off Linux), in the variant and in the difference', () => {
    const off = variantFigures([run(1, null, 20, 30, null), run(1, null, 20, 30, null)]);
    const on = variantFigures([run(2, 5, 20, 30, 40)]);
    expect(off).toMatchObject({ mainThreadWaitingForCorePercent: null, othersCpuPercent: null, p99AtReceiverMs: 1 });
    expect(difference(on, off)).toMatchObject({ mainThreadWaitingForCorePercent: null, othersCpuPercent: null, p99AtReceiverMs: 1 });
  });
});
