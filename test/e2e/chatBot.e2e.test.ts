/**
 * The chat bot as a streamer runs it, with real `chatflow` processes against the fake Twitch
 * (OAuth and Helix on one port; `POST /chat/messages` with Twitch's limits), the fake Twitch IRC
 * server and a real OSC receiver (liblo's `oscdump`): `chatflow auth twitch --bot` (the device
 * code approved in the fake by the bot account, as on twitch.tv/activate), then `chatflow run` of
 * examples/bot.yaml with its `chat` sink turned on. Viewers type in the IRC fake; the synth moves
 * at oscdump and the bot's answers arrive at Helix, from the bot, threaded to the command.
 *
 * The copy differs from the example in two places only, both asserted: the IRC source's `server`
 * (the fake's URL) and one `echo` text command whose reply is all viewer text (the injection path).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_CLIENT_ID, FAKE_STREAMER, FakeTwitchHelix } from '../fakes/twitchHelix.js';
import { FakeTwitchServer, privmsgLine } from '../fakes/twitchServer.js';
import { type OscDump, startOscDump } from '../integration/oscSupport.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/bot.yaml', import.meta.url));
const CHANNEL = FAKE_STREAMER.login;

/** examples/bot.yaml with the IRC source at `server` and an `echo` command; throws if the example moved. */
function testCopy(example: string, server: string): string {
  const source = '    type: twitch\n';
  const textCommands = '      so: { reply:';
  if (example.split(source).length !== 2 || example.split(textCommands).length !== 2) {
    throw new Error('examples/bot.yaml changed: update testCopy');
  }
  return example
    .replace(source, `${source}    server: "${server}"\n`)
    .replace(textCommands, `      echo: { reply: "{{ args }}" }\n${textCommands}`);
}

let helix: FakeTwitchHelix | undefined;
let irc: FakeTwitchServer | undefined;
let synth: OscDump | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await helix?.close();
  await irc?.close();
  await synth?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  helix = undefined;
  irc = undefined;
  synth = undefined;
  dir = undefined;
});

describe('chatflow auth twitch --bot, then chatflow run examples/bot.yaml with its chat sink on', () => {
  it('moves cutoff and confirms it in chat as the bot, threaded; answers a bad value and !discord; no reply starts with a command', async () => {
    helix = await FakeTwitchHelix.start();
    irc = await FakeTwitchServer.start();
    synth = await startOscDump();
    dir = await mkdtemp(join(tmpdir(), 'chatflow-bot-'));
    await writeFile(join(dir, 'bot.yaml'), testCopy(await readFile(EXAMPLE, 'utf8'), irc.url));
    const env = {
      CHATFLOW_TWITCH_CLIENT_ID: FAKE_CLIENT_ID,
      CHATFLOW_TWITCH_AUTH_URL: helix.endpoints.auth,
      CHATFLOW_TWITCH_HELIX_URL: helix.endpoints.helix,
      SYNTH_PORT: String(synth.port),
      CHAT_ENABLED: 'true',
      TWITCH_ENABLED: 'true',
      TWITCH_CHANNEL: CHANNEL,
      TWITCH_BOT: FAKE_BOT.login,
      DEMO_ENABLED: 'false',
    };
    const fake = helix;
    const dump = synth;
    const chat = irc;

    // 1. Sign the bot in: the code is approved by the bot account on the activation page.
    fake.scriptDevice({ outcome: 'wait', interval: 1 });
    const auth = chatflow(['auth', 'twitch', '--bot', 'bot.yaml'], { cwd: dir, env });
    child = auth.child;
    await until('the code is shown', () => /enter the code ([A-Z]+)/.test(auth.output()), { detail: auth.output });
    const code = /enter the code ([A-Z]+)/.exec(auth.output())?.[1] as string;
    expect(fake.approve(code, FAKE_BOT)).toBe(true);
    const signedIn = await auth.finished;
    expect(signedIn.code, signedIn.stdout + signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain(`Signed in as ${FAKE_BOT.login} (${FAKE_BOT.id}) for the bot account`);
    const stored = JSON.parse(await readFile(join(dir, '.chatflow', 'twitch-tokens.json'), 'utf8')) as {
      accounts: { bot?: { access_token: string; refresh_token: string } };
    };
    const secrets = [stored.accounts.bot?.access_token, stored.accounts.bot?.refresh_token].filter(
      (s): s is string => typeof s === 'string',
    );
    expect(secrets).toHaveLength(2);

    // 2. Run it; it joins the channel anonymously and speaks through Helix as the bot.
    const run = chatflow(['run', 'bot.yaml'], { cwd: dir, env });
    child = run.child;
    await pipelinesStarted([run]);
    await until('joined the channel', () => chat.live.some((c) => c.joined.has(CHANNEL)), { timeoutMs: 15_000, detail: run.output });
    await until('the default at the synth', () => dump.lines().includes('/cv/cutoff f 0.500000'), { detail: run.output });

    const roomId = FAKE_STREAMER.id;
    const say = (id: string, login: string, text: string, userId: string) =>
      chat.broadcast(CHANNEL, [privmsgLine(CHANNEL, { id, login, userId, roomId, text })]);
    const sent = () => fake.chatMessages.map((m) => m.message);

    say('7c1e0b1a-0001-4a57-9a55-cv-ok', 'ada', '!cv cutoff 0.7', '40000001');
    await until('cutoff 0.7 at the synth', () => dump.lines().includes('/cv/cutoff f 0.700000'), { detail: run.output });
    await until('the confirmation in chat', () => fake.chatMessages.length >= 1, { detail: run.output });
    expect(fake.chatMessages[0]).toMatchObject({
      broadcaster_id: FAKE_STREAMER.id,
      sender_id: FAKE_BOT.id,
      message: 'ada set cutoff to 0.7',
      reply_parent_message_id: '7c1e0b1a-0001-4a57-9a55-cv-ok',
    });

    say('7c1e0b1a-0002-4a57-9a55-cv-bad', 'bob', '!cv cutoff 7', '40000002');
    await until('the usage reply', () => fake.chatMessages.length >= 2, { detail: run.output });
    expect(fake.chatMessages[1]).toMatchObject({
      sender_id: FAKE_BOT.id,
      message: 'value takes a number 0–1 (usage: !cv <name> <value 0–1>)',
      reply_parent_message_id: '7c1e0b1a-0002-4a57-9a55-cv-bad',
    });

    say('7c1e0b1a-0003-4a57-9a55-discord', 'cy', '!discord', '40000003');
    await until('!discord answered', () => fake.chatMessages.length >= 3, { detail: run.output });
    expect(fake.chatMessages[2]).toMatchObject({
      sender_id: FAKE_BOT.id,
      message: 'Join the Discord: https://discord.gg/example',
      reply_parent_message_id: '7c1e0b1a-0003-4a57-9a55-discord',
    });

    // A viewer tries to make the bot run a moderator command through a text command's argument.
    say('7c1e0b1a-0004-4a57-9a55-ban', 'eve', '!echo /ban x', '40000004');
    say('7c1e0b1a-0005-4a57-9a55-timeout', 'fay', '!echo  .timeout x 600', '40000005');
    await until('both echoes answered', () => fake.chatMessages.length >= 5, { detail: run.output });
    expect(sent().slice(3).sort()).toEqual(['ban x', 'timeout x 600']);

    // The bad value never reached the synth: every value lies between the default and 0.7.
    const cutoff = dump.lines().filter((l) => l.startsWith('/cv/cutoff'));
    expect(cutoff.at(-1)).toBe('/cv/cutoff f 0.700000');
    for (const line of cutoff) expect(Number(line.split(' ')[2])).toBeLessThanOrEqual(0.7);

    // 3. Stop (the synth gets its safe default back); nothing refused, nothing sent with a command syntax, no token in any output.
    const finished = await stop(run);
    expect(finished.code, finished.stderr).toBe(0);
    expect(dump.lines().filter((l) => l.startsWith('/cv/cutoff')).at(-1)).toBe('/cv/cutoff f 0.500000');
    expect(fake.chatRefusals).toEqual([]);
    expect(fake.chatMessages).toHaveLength(5);
    for (const m of fake.chatMessages) {
      expect(m.sender_id).toBe(FAKE_BOT.id);
      expect(m.message).not.toMatch(/^\s*[/.\\]/);
    }
    for (const text of [signedIn.stdout + signedIn.stderr, finished.stdout + finished.stderr]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
