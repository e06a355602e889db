/**
 * The moderator limit end to end, with real `chatflow` processes: the bot signs in with
 * `chatflow auth twitch --bot` (approved in the fake Twitch), the fake Helix lists it among the
 * channel's moderators (`GET /moderation/channels`), and `chatflow run` answers 40 viewers'
 * commands at once. Twitch allows a viewer bot 20 messages per 30 s and a moderator 100, and
 * the fake enforces both (`msg_ratelimit` past the limit): every answer arrives, none is
 * refused, and more than 20 arrive within one 30-second window, so the sink read the standing
 * from Twitch and used the moderator's limit.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_CLIENT_ID, FAKE_STREAMER, FakeTwitchHelix } from '../fakes/twitchHelix.js';
import { FakeTwitchServer, privmsgLine } from '../fakes/twitchServer.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';

const CHANNEL = FAKE_STREAMER.login;
const VIEWERS = 40;

const pipeline = (server: string) => `version: 1
sources:
  twitch: { type: twitch, channels: ["${CHANNEL}"], server: "${server}", bot_login: "${FAKE_BOT.login}" }
operators:
  bot:
    type: text_commands
    inputs: [twitch]
    commands:
      echo: { reply: "{{ user }} said {{ args }}" }
sinks:
  chat: { type: chat, inputs: [bot] }
`;

/** The most messages whose times fall within one window of `windowMs`. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i += 1) {
    while ((sorted[i] as number) - (sorted[j] as number) >= windowMs) j += 1;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

let helix: FakeTwitchHelix | undefined;
let irc: FakeTwitchServer | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await helix?.close();
  await irc?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  helix = undefined;
  irc = undefined;
  dir = undefined;
});

describe('a bot that is a moderator, per Twitch', () => {
  it('answers 40 viewers at once at the moderator limit: more than 20 within 30 s, none refused', async () => {
    helix = await FakeTwitchHelix.start();
    irc = await FakeTwitchServer.start();
    dir = await mkdtemp(join(tmpdir(), 'chatflow-mod-'));
    await writeFile(join(dir, 'bot.yaml'), pipeline(irc.url));
    const env = {
      CHATFLOW_TWITCH_CLIENT_ID: FAKE_CLIENT_ID,
      CHATFLOW_TWITCH_AUTH_URL: helix.endpoints.auth,
      CHATFLOW_TWITCH_HELIX_URL: helix.endpoints.helix,
    };
    const fake = helix;
    const chat = irc;

    fake.scriptDevice({ outcome: 'wait', interval: 1 });
    const auth = chatflow(['auth', 'twitch', '--bot', 'bot.yaml'], { cwd: dir, env });
    child = auth.child;
    await until('the code is shown', () => /enter the code ([A-Z]+)/.test(auth.output()), { detail: auth.output });
    expect(fake.approve(/enter the code ([A-Z]+)/.exec(auth.output())?.[1] as string, FAKE_BOT)).toBe(true);
    const signedIn = await auth.finished;
    expect(signedIn.code, signedIn.stdout + signedIn.stderr).toBe(0);

    // The streamer made the bot a moderator (`/mod thebot`): Helix lists the channel for it.
    fake.moderators.set(FAKE_STREAMER.id, new Set([FAKE_BOT.id]));
    const run = chatflow(['run', 'bot.yaml'], { cwd: dir, env });
    child = run.child;
    await pipelinesStarted([run]);
    await until('joined the channel', () => chat.live.some((c) => c.joined.has(CHANNEL)), { timeoutMs: 15_000, detail: run.output });

    chat.broadcast(
      CHANNEL,
      Array.from({ length: VIEWERS }, (_, i) =>
        privmsgLine(CHANNEL, { id: `5b0c0000-0000-4000-8000-${String(i).padStart(12, '0')}`, login: `viewer${i}`, userId: String(50_000_000 + i), roomId: FAKE_STREAMER.id, text: `!echo hello ${i}` }),
      ),
    );
    await until('every viewer answered', () => fake.chatMessages.length === VIEWERS, { timeoutMs: 60_000, detail: run.output });

    expect(fake.chatRefusals).toEqual([]);
    expect(new Set(fake.chatMessages.map((m) => m.message))).toEqual(new Set(Array.from({ length: VIEWERS }, (_, i) => `viewer${i} said hello ${i}`)));
    expect(fake.chatMessages.every((m) => m.sender_id === FAKE_BOT.id)).toBe(true);
    // More than a viewer bot may send in 30 s went out, and the fake, enforcing it, refused none.
    expect(busiestWindow(fake.chatMessages.map((m) => m.at), 30_000)).toBeGreaterThan(20);
    // The standing came from Twitch.
    const standing = run
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"Chat standing read."'))
      .map((line) => JSON.parse(line) as { role: string; per30s: number });
    expect(standing[0]).toMatchObject({ role: 'moderator', per30s: 100 });

    const finished = await stop(run);
    expect(finished.code, finished.stderr).toBe(0);
  }, 120_000);
});
