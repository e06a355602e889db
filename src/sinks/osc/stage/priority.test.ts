import { describe, expect, it } from 'vitest';
import { type PriorityDeps, raiseThreadPriority, STAGE_NICE, STAGE_RT_PRIORITY } from './priority.js';

/** Fake thread scheduling: records what was asked, allows what it is told to. */
function fake(allow: { realtime: boolean; nice: boolean }, platform: NodeJS.Platform = 'linux') {
  const asked: string[] = [];
  const deps: PriorityDeps = {
    platform,
    threadId: () => 4242,
    realtime: (tid, priority) => {
      asked.push(`fifo ${priority} ${tid}`);
      return allow.realtime;
    },
    nice: (tid, nice) => {
      asked.push(`nice ${nice} ${tid}`);
      if (!allow.nice) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    },
  };
  return { deps, asked };
}

describe('raiseThreadPriority (the output stage thread)', () => {
  it('asks for real-time SCHED_FIFO first, and stops there when allowed', () => {
    const { deps, asked } = fake({ realtime: true, nice: true });
    expect(raiseThreadPriority(deps)).toEqual({ tid: 4242, priority: { policy: 'realtime', priority: STAGE_RT_PRIORITY } });
    expect(asked).toEqual([`fifo ${STAGE_RT_PRIORITY} 4242`]);
  });

  it('falls back to nice −10 when real-time is refused', () => {
    const { deps, asked } = fake({ realtime: false, nice: true });
    expect(raiseThreadPriority(deps)).toEqual({ tid: 4242, priority: { policy: 'nice', nice: STAGE_NICE } });
    expect(asked).toEqual([`fifo ${STAGE_RT_PRIORITY} 4242`, `nice ${STAGE_NICE} 4242`]);
  });

  it('stays normal when neither is allowed, without throwing', () => {
    const { deps } = fake({ realtime: false, nice: false });
    expect(raiseThreadPriority(deps)).toEqual({ tid: 4242, priority: { policy: 'normal' } });
  });

  it('tries nothing off Linux, or when the thread id cannot be read', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const { deps, asked } = fake({ realtime: true, nice: true }, platform);
      expect(raiseThreadPriority(deps).priority).toEqual({ policy: 'normal' });
      expect(asked).toEqual([]);
    }
    const { deps, asked } = fake({ realtime: true, nice: true });
    expect(raiseThreadPriority({ ...deps, threadId: () => undefined }).priority).toEqual({ policy: 'normal' });
    expect(asked).toEqual([]);
  });
});
