/**
 * `chatflow run` reloading its pipeline file while chat flows, as a real process: a `twitch`
 * source on the fake IRC server, parse_command → throttle → control (with slew) → osc to a real
 * `oscdump`. The file is edited several times (a node added, a throttle rate changed, a
 * variable's range changed, an OSC variable removed, the YAML broken then fixed), and reloads
 * are also asked for by SIGHUP and `POST /api/reload`. Every chat message goes to PostgreSQL and
 * the variables to Redis (real servers), through sinks the edits leave alone.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTwitchServer, privmsgLine } from '../fakes/twitchServer.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';
import { startTestPostgres, startTestRedis } from '../support/servers.js';
import { tempDirs } from '../support/tempDirs.js';
import { freePort } from '../../src/resources/embedded.js';
import { type OscDump, startOscDump } from './oscSupport.js';

const TOKEN = 'reload-test-token';
const temp = tempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await temp.removeAll();
});

interface Shape {
  readonly redis: string;
  readonly postgres: string;
  readonly twitch: string;
  readonly osc: number;
  readonly listen: number;
  readonly rate: string;
  readonly resonanceRange: string;
  readonly drive: boolean;
  readonly echo: boolean;
}

function pipeline(s: Shape): string {
  return `version: 1
server: { listen: "127.0.0.1:${s.listen}", token: "\${CHATFLOW_TOKEN}" }
resources: { redis: { url: "${s.redis}" }, postgres: { url: "${s.postgres}" } }
sources:
  chat: { type: twitch, channels: [live], server: "${s.twitch}" }
operators:
  cmds:
    type: parse_command
    inputs: [chat]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
  slow: { type: throttle, inputs: [cmds.cv], rate: ${s.rate}, burst: 1000, per: global }
  cv:
    type: control
    inputs: [slow]
    variables:
      cutoff: { range: [0, 1], slew: 30ms, default: 0.5 }
      resonance: { range: ${s.resonanceRange}, default: 0.2 }
${s.drive ? '      drive: { range: [0, 1], default: 0.1 }\n' : ''}  stats: { type: sample_metrics, inputs: [chat, cmds], every: 200ms }
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:${s.osc}" }
  metrics: { type: metrics, inputs: [stats] }
  history: { type: postgres, inputs: [chat], kinds: [chat] }
  state: { type: redis_state, inputs: [cv] }
${s.echo ? '  echo: { type: file, inputs: [chat], path: echo.jsonl }\n' : ''}`;
}

/** The log lines (pino JSON on a non-terminal stderr) with `msg`. */
function logs(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(msg))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === msg);
}

const APPLIED = 'Pipeline file applied.';
const INVALID = 'Pipeline file is invalid; the running pipeline was kept.';

describe('chatflow run reloads its pipeline file', () => {
  it('keeps the Twitch connection and the OSC values through edits, a broken file, SIGHUP and POST /api/reload', async () => {
    const redisServer = await startTestRedis();
    cleanups.push(() => redisServer.destroy());
    const postgresServer = await startTestPostgres();
    cleanups.push(() => postgresServer.destroy());
    const twitch = await FakeTwitchServer.start();
    cleanups.push(() => twitch.close());
    const synth: OscDump = await startOscDump();
    cleanups.push(() => synth.stop());
    const dir = await temp.make('chatflow-reload-');
    const file = join(dir, 'pipeline.yaml');
    let shape: Shape = {
      redis: redisServer.url,
      postgres: postgresServer.url,
      twitch: twitch.url,
      osc: synth.port,
      listen: await freePort(),
      rate: '200/s',
      resonanceRange: '[0, 1]',
      drive: true,
      echo: false,
    };
    await writeFile(file, pipeline(shape));
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir, env: { CHATFLOW_TOKEN: TOKEN } });
    cleanups.push(async () => {
      if (run.child.exitCode === null) await stop(run);
    });
    await pipelinesStarted([run]);
    await until('the source joined #live', () => twitch.live.some((c) => c.joined.has('live')), {
      detail: () => run.output(),
    });

    // Chat flows the whole time: `!cv cutoff` values that are never a default.
    let sent = 0;
    const chat = setInterval(() => {
      sent += 1;
      const value = sent % 2 === 0 ? '0.7' : '0.9';
      twitch.broadcast('live', [privmsgLine('live', { id: `m${sent}`, text: `!cv cutoff ${value}` })]);
    }, 20);
    cleanups.push(async () => clearInterval(chat));
    const oscLines = () => synth.lines().length;
    const oscFlows = async (what: string) => {
      const before = oscLines();
      await until(`OSC keeps flowing ${what}`, () => oscLines() > before + 5, { detail: () => run.output() });
    };
    const applied = () => logs(run.output(), APPLIED).length;
    const edit = async (next: Partial<Shape>, what: string) => {
      const before = applied();
      shape = { ...shape, ...next };
      await writeFile(file, pipeline(shape));
      await until(what, () => applied() > before, { detail: () => run.output() });
      return logs(run.output(), APPLIED).at(-1) as Record<string, unknown>;
    };
    await oscFlows('at start');

    // 1. A node added.
    const added = await edit({ echo: true }, 'the file sink is added');
    expect(added).toMatchObject({ trigger: 'file', added: 1, removed: 0 });
    await until('the added sink writes', async () => {
      const { readFile } = await import('node:fs/promises');
      return (await readFile(join(dir, 'echo.jsonl'), 'utf8').catch(() => '')).includes('!cv cutoff');
    });
    // 2. A throttle rate changed.
    expect(await edit({ rate: '150/s' }, 'the throttle rate changes')).toMatchObject({ changed: 1, added: 0 });
    await oscFlows('after the throttle changed');
    // 3. A variable's range changed.
    expect(await edit({ resonanceRange: '[0, 2]' }, "resonance's range changes")).toMatchObject({ changed: 1 });
    await oscFlows('after the range changed');
    // 4. An OSC variable removed.
    expect(await edit({ drive: false }, 'drive is removed')).toMatchObject({ changed: 1 });
    await oscFlows('after drive was removed');

    // 5. The YAML broken: reported with its position; the graph keeps running.
    const invalidBefore = logs(run.output(), INVALID).length;
    await writeFile(file, `${pipeline(shape)}  broken: { type: console, inputs: [chat]\n`);
    await until('the broken file is reported', () => logs(run.output(), INVALID).length > invalidBefore, {
      detail: () => run.output(),
    });
    expect(run.output()).toMatch(/pipeline\.yaml:\d+:\d+/);
    const rejected = logs(run.output(), INVALID).at(-1) as { issues: { line: number; file: string }[] };
    expect(rejected.issues[0]?.line).toBeGreaterThan(0);
    const banner = await fetch(`http://127.0.0.1:${shape.listen}/api/reload`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(banner.status).toBe(200);
    expect(await banner.json()).toMatchObject({ configValid: false, last: { status: 'invalid' } });
    // …and by the metric, on /metrics (sample_metrics → metrics sink).
    const configValid = async () => {
      const text = await (
        await fetch(`http://127.0.0.1:${shape.listen}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      return /^chatflow_config_valid(?:\{[^}]*\})? (\d)$/m.exec(text)?.[1];
    };
    await until('/metrics says the file is invalid', async () => (await configValid()) === '0', {
      detail: () => run.output(),
    });
    await oscFlows('while the file is broken');
    // POST /api/reload on the broken file: 422 with the issues; without the token: 401.
    const refused = await fetch(`http://127.0.0.1:${shape.listen}/api/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
    const anonymous = await fetch(`http://127.0.0.1:${shape.listen}/api/reload`, { method: 'POST' });
    expect(anonymous.status).toBe(401);

    // 6. Fixed: applies (nothing changed against the running graph).
    expect(await edit({}, 'the fixed file applies')).toMatchObject({ added: 0, removed: 0, changed: 0 });
    await until('/metrics says the file is valid again', async () => (await configValid()) === '1');

    // 7. SIGHUP reloads (Linux here; the code is portable) and does not stop the run.
    if (process.platform !== 'win32') {
      const before = applied();
      run.child.kill('SIGHUP');
      await until('SIGHUP reloads', () => applied() > before, { detail: () => run.output() });
      expect(logs(run.output(), APPLIED).at(-1)).toMatchObject({ trigger: 'signal' });
      expect(run.child.exitCode).toBeNull();
    }
    // 8. POST /api/reload: the report.
    const response = await fetch(`http://127.0.0.1:${shape.listen}/api/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', trigger: 'api', report: { applied: true, changed: [] } });
    await oscFlows('after every reload');

    clearInterval(chat);
    const done = await stop(run);
    expect(done.code).toBe(0);

    // Every message sent was stored: none lost through the reloads (one row per message id).
    const db = new pg.Client({ connectionString: postgresServer.url });
    await db.connect();
    const stored = await db.query<{ message_id: string }>('SELECT message_id FROM chat_messages');
    await db.end();
    const ids = stored.rows.map((r) => r.message_id).sort();
    expect(ids).toHaveLength(sent);
    expect(ids).toEqual(Array.from({ length: sent }, (_, i) => `m${i + 1}`).sort());
    // Redis kept the variables through the reloads; drive, removed, is at its default.
    const redis = new Redis(redisServer.url);
    const variables = await redis.hgetall('chatflow:variables');
    await redis.quit();
    expect(JSON.parse(variables.drive ?? '{}')).toMatchObject({ value: 0.1 });
    expect(Object.keys(variables).sort()).toEqual(['cutoff', 'drive', 'resonance']);

    // The source was never reconnected: one connection, for the whole run.
    expect(twitch.connections).toHaveLength(1);
    // No default was repeated for a variable the edits left alone: cutoff's default (0.5) was
    // sent at start and at the stop only, drive's at start and once when it was removed.
    // Defaults, in order: none was repeated for a variable the edits left alone. cutoff's (0.5):
    // at start and at the stop only. resonance's: at start, once when its range changed (its
    // value no longer means the same), and at the stop. drive's: at start and once when it was
    // removed, not at the stop.
    const defaults = synth.lines().filter((l) => /^\/cv\/(cutoff f 0\.500000|resonance f 0\.200000|drive f 0\.100000)$/.test(l));
    expect(defaults).toEqual([
      '/cv/cutoff f 0.500000',
      '/cv/resonance f 0.200000',
      '/cv/drive f 0.100000',
      '/cv/resonance f 0.200000',
      '/cv/drive f 0.100000',
      '/cv/cutoff f 0.500000',
      '/cv/resonance f 0.200000',
    ]);
  }, 120_000);
});
