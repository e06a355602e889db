/**
 * End to end in virtual time (the real runtime, parse_command, control, and the chat sink's
 * preview: its real pacer, guard and fitting with a sender that accepts): `!cv cutoff 0.7`
 * moves the synth and the bot confirms it in chat; `!cv cutoff 7` gets the invalid reply; a
 * viewer's `/ban` cannot become a command.
 */
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../components.js';
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { buildGraph } from '../../pipelines/graph.js';
import { loadText } from '../../pipelines/load.js';
import { chatEvent } from '../../testing/events.js';
import { runVirtual, type VirtualInput } from '../../testing/virtualRun.js';

const PIPELINE = `
version: 1
sources:
  twitch: { type: simulate }
operators:
  cmds:
    type: parse_command
    inputs: [twitch]
    commands:
      cv: { args: [name, "value:number(0..1)"], reply: "@{user} {args.name} set to {args.value}" }
      echo: { args: ["text:rest"], reply: "{args}" }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
sinks:
  synth: { type: osc, inputs: [cv] }
  bot: { type: chat, inputs: [cmds._reply, cmds._invalid] }
`;

function graph(): PipelineGraph {
  const result = buildGraph(loadText(PIPELINE, { file: 'test.yaml', env: {} }), defaultRegistry());
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

const chat = (at: number, login: string, text: string): VirtualInput => ({ at, event: chatEvent({ login, text, channel: 'streamer' }, at) });

describe('chat sink end to end (virtual time)', () => {
  it('!cv cutoff 0.7 moves the synth and is confirmed in chat; !cv cutoff 7 gets the invalid reply', async () => {
    const result = await runVirtual({
      graph: graph(),
      inputs: [chat(1000, 'ada', '!cv cutoff 0.7'), chat(2000, 'bob', '!cv cutoff 7'), chat(3000, 'eve', '!echo /ban streamer')],
      settleMs: 1000,
    });
    const osc = result.outputs.filter((o) => o.sink === 'synth' && o.output.address === '/cv/cutoff');
    expect(osc.map((o) => [o.at, o.output.value])).toContainEqual([1000, 0.7]);
    const said = result.outputs.filter((o) => o.sink === 'bot').map((o): Record<string, unknown> => ({ at: o.at, ...o.output }));
    expect(said).toHaveLength(3);
    expect(said[0]).toMatchObject({ at: 1000, platform: 'twitch', channel: 'streamer', text: '@ada cutoff set to 0.7', reply_to: expect.any(String) });
    expect(said[1]).toMatchObject({ at: 2000, channel: 'streamer' });
    expect(String(said[1]?.text)).toMatch(/0–1|0\.\.1|range|usage/i);
    expect(said[2]).toMatchObject({ at: 3000 });
    expect(String(said[2]?.text)).not.toMatch(/^[\s./\\]/u);
    expect(String(said[2]?.text)).toContain('ban streamer');
  });
});
