import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { platformEvent } from '../../core/events.js';
import { silentLogger } from '../../core/logger.js';
import { RedemptionSettler, RewardCommands } from './redemptions.js';

describe('RewardCommands', () => {
  const rewards = new RewardCommands({ 'Filter sweep': 'cv cutoff {input}', 'reward-id-2': 'cv resonance {input}', Panic: 'cv panic' });

  it('maps by title in any case, or by id; {input} is the viewer text on one line', () => {
    expect(rewards.commandFor('x', 'FILTER SWEEP', ' 0.8 ')).toBe('cv cutoff 0.8');
    expect(rewards.commandFor('reward-id-2', 'Renamed later', '0.3')).toBe('cv resonance 0.3');
    expect(rewards.commandFor('x', 'Filter sweep', '0.8\n!cv panic')).toBe('cv cutoff 0.8 !cv panic');
    expect(rewards.commandFor('x', 'Panic', 'ignored')).toBe('cv panic');
    expect(rewards.commandFor('x', 'Hydrate', '')).toBeUndefined();
  });
});

describe('RedemptionSettler', () => {
  const author = { id: '1', login: 'v', displayName: 'v', roles: [], badges: {} };
  const redemption = (id: string, rewardId = 'rw') => platformEvent('twitch', 'redemption', id, 'chan', author, 0, { rewardId, broadcasterId: 'b1' }, 0);

  function settler(answer: (status: string) => Promise<unknown> = async () => undefined) {
    const calls: [string, string, string[], string][] = [];
    const drops: string[] = [];
    const scheduler = new VirtualTimeScheduler();
    const s = new RedemptionSettler(
      {
        updateRedemptionStatusByIds: (b, r, ids, status) => {
          calls.push([b, r, ids, status]);
          return answer(status);
        },
      },
      { scheduler, timeoutMs: 30_000, logger: silentLogger(), metrics: { drop: (reason) => void drops.push(reason) }, state: { unmanageable: new Set() } },
    );
    return { s, calls, drops, scheduler };
  }
  const ref = (id: string, rewardId = 'rw') => ({ id, rewardId, broadcasterId: 'b1' });

  it('settles each tracked redemption once: applied → FULFILLED, refused → CANCELED; untracked outcomes are ignored', () => {
    const { s, calls } = settler();
    s.track(redemption('a'));
    s.track(redemption('b'));
    s.outcome({ redemption: ref('a'), outcome: 'applied', reason: 'applied' });
    s.outcome({ redemption: ref('b'), outcome: 'refused', reason: 'paused' });
    s.outcome({ redemption: ref('a'), outcome: 'refused', reason: 'throttled' });
    s.outcome({ redemption: ref('z'), outcome: 'applied', reason: 'applied' });
    expect(calls).toEqual([
      ['b1', 'rw', ['a'], 'FULFILLED'],
      ['b1', 'rw', ['b'], 'CANCELED'],
    ]);
    expect(s.pending).toBe(0);
  });

  it('refunds after the timeout when no outcome came; stop forgets what is pending', () => {
    const { s, calls, scheduler } = settler();
    s.track(redemption('a'));
    scheduler.flush();
    expect(calls).toEqual([['b1', 'rw', ['a'], 'CANCELED']]);
    const second = settler();
    second.s.track(redemption('b'));
    second.s.stop();
    second.scheduler.flush();
    expect(second.calls).toEqual([]);
  });

  it('a 403 marks the reward not manageable once; a 404 or another error are not', async () => {
    const failing = (code: number) => async () => {
      throw Object.assign(new Error('helix'), { statusCode: code });
    };
    const forbidden = settler(failing(403));
    forbidden.s.track(redemption('a'));
    forbidden.s.outcome({ redemption: ref('a'), outcome: 'applied', reason: 'applied' });
    await new Promise((r) => setTimeout(r, 0));
    forbidden.s.track(redemption('b'));
    forbidden.s.outcome({ redemption: ref('b'), outcome: 'applied', reason: 'applied' });
    expect(forbidden.calls).toHaveLength(1);
    expect(forbidden.drops).toEqual(['reward_not_manageable', 'reward_not_manageable']);

    const gone = settler(failing(404));
    gone.s.track(redemption('a'));
    gone.s.outcome({ redemption: ref('a'), outcome: 'applied', reason: 'applied' });
    await new Promise((r) => setTimeout(r, 0));
    expect(gone.drops).toEqual([]);

    const broken = settler(failing(500));
    broken.s.track(redemption('a'));
    broken.s.outcome({ redemption: ref('a'), outcome: 'applied', reason: 'applied' });
    await new Promise((r) => setTimeout(r, 0));
    expect(broken.drops).toEqual(['settle_failed']);
  });
});
