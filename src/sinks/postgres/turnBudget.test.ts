import { describe, expect, it } from 'vitest';
import { BEHIND_EVENTS, MIN_TURN_MS, TurnBudget } from './turnBudget.js';

/** Posts `slices` slices, each taking `sliceMs`, yielding when the budget is spent; a turn away takes `awayMs(turn)`. Returns slices per turn. */
async function post(slices: number, sliceMs: number, awayMs: (turn: number) => number, batchEvents = 5000): Promise<number[]> {
  let now = 0;
  const budget = TurnBudget.forBatch(() => now, batchEvents);
  const perTurn = [0];
  for (let i = 0; i < slices; i++) {
    if (i > 0 && budget.spent) {
      await budget.next(async () => {
        now += awayMs(perTurn.length);
      });
      perTurn.push(0);
    }
    now += sliceMs;
    perTurn[perTurn.length - 1] = (perTurn.at(-1) ?? 0) + 1;
  }
  return perTurn;
}

describe('TurnBudget', () => {
  it('holds a loop that comes back at once for the least time: a quarter millisecond per turn', async () => {
    expect(await post(32, 0.0625, () => 0)).toEqual(Array.from({ length: 8 }, () => 4));
    expect(MIN_TURN_MS).toBe(0.25);
  });

  it('holds a busy loop for a quarter of the time the rest of it took', async () => {
    // The loop is away 20 ms each turn: each turn after the first posts 5 ms of slices.
    expect(await post(40, 0.25, () => 20)).toEqual([1, 20, 19]);
  });

  it('holds a busy loop for as long as the rest of it took when the batch is as large as a backlog makes them', async () => {
    expect(await post(50, 1, () => 20, BEHIND_EVENTS)).toEqual([1, 20, 20, 9]);
    expect(await post(50, 1, () => 20, BEHIND_EVENTS - 1)).toEqual([1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4]);
  });

  it('follows the loop: a turn after a short absence is short again', async () => {
    const away = [0, 40, 0, 0];
    expect(await post(14, 1, (turn) => away[turn] ?? 0)).toEqual([1, 10, 1, 1, 1]);
  });
});
