/**
 * The bot of examples/bot.yaml end to end, in virtual time on the real runtime and operators:
 * a viewer's `!cv cutoff 0.7` moves the synth and the bot confirms it; `!cv cutoff 7` gets the
 * invalid reply; the bot's own message never moves anything; text commands answer; the timer
 * posts only after enough chat. Replies are what the example's console sink prints.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { chatEvent } from '../../src/testing/events.js';
import { type CapturedOutput, runVirtual, type VirtualInput } from '../../src/testing/virtualRun.js';

const BOT = fileURLToPath(new URL('../../examples/bot.yaml', import.meta.url));
const graph = () =>
  loadPipeline(BOT, {
    registry: defaultRegistry(),
    env: { TWITCH_ENABLED: 'true', TWITCH_CHANNEL: 'test', TWITCH_BOT: 'thebot', DEMO_ENABLED: 'false' },
  });
const say = (at: number, login: string, text: string): VirtualInput => ({ at, source: 'twitch', event: chatEvent({ login, text }, at) });
const replies = (outputs: readonly CapturedOutput[]) =>
  outputs.filter((o) => o.sink === 'replies').map((o) => ({ at: o.at, line: String(o.output.line) }));
const cutoff = (outputs: readonly CapturedOutput[]) =>
  outputs.filter((o) => o.sink === 'synth' && o.output.address === '/cv/cutoff').map((o) => o.output.value);

describe('examples/bot.yaml in virtual time', () => {
  it('moves the synth and confirms it; answers an out-of-range value with the usage', async () => {
    const result = await runVirtual({ graph: graph(), inputs: [say(1000, 'ada', '!cv cutoff 0.7'), say(2000, 'bob', '!cv cutoff 7')], settleMs: 1000 });
    expect(cutoff(result.outputs)).toContain(0.7);
    expect(replies(result.outputs)).toEqual([
      { at: 1000, line: '[twitch] #test ↩ ada set cutoff to 0.7' },
      { at: 2000, line: '[twitch] #test ↩ value takes a number 0–1 (usage: !cv <name> <value 0–1>)' },
    ]);
  });

  it("never runs the bot's own message as a command", async () => {
    // As the twitch source marks it (bot_login: thebot).
    const own = (at: number, text: string): VirtualInput => ({ at, source: 'twitch', event: { ...chatEvent({ login: 'thebot', text }, at), self: true } });
    const result = await runVirtual({ graph: graph(), inputs: [own(1000, '!cv cutoff 0.9'), own(1500, '!discord')], settleMs: 1000 });
    expect(cutoff(result.outputs)).not.toContain(0.9);
    expect(replies(result.outputs)).toEqual([]);
  });

  it('answers text commands with variables, counters and the help list', async () => {
    const result = await runVirtual({
      graph: graph(),
      inputs: [say(1000, 'ada', '!cv cutoff 0.7'), say(2000, 'bob', '!synth'), say(3000, 'cy', '!hug @bob'), say(4000, 'dee', '!hug @cy'), say(5000, 'eve', '!help')],
      settleMs: 1000,
    });
    expect(replies(result.outputs).map((r) => r.line)).toEqual([
      '[twitch] #test ↩ ada set cutoff to 0.7',
      '[twitch] #test ↩ cutoff 0.7, resonance 0.2',
      '[twitch] #test ↩ cy hugs @bob! (1 hugs so far)',
      '[twitch] #test ↩ dee hugs @cy! (2 hugs so far)',
      '[twitch] #test ↩ Commands: !discord !synth !hug !cv <name> <value 0–1>',
    ]);
  });

  it('posts a timed message only after 10 lines since the last one', async () => {
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => say(from + i * 1000, `v${i}`, `hello ${i}`));
    // 9 lines before the first tick (10 min): nothing; 19 by the second (20 min): the first
    // message; 2 since it by the third (30 min): nothing.
    const inputs = [...lines(1000, 9), ...lines(700_000, 10), ...lines(1_300_000, 2)];
    const result = await runVirtual({ graph: graph(), inputs, until: 1_900_000 });
    expect(replies(result.outputs)).toEqual([{ at: 1_200_000, line: '[twitch] #test ↩ Type !help to see what moves the synth.' }]);
  });
});
