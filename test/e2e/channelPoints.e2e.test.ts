/**
 * Channel points as a streamer sets them up, with real `chatflow` processes against the one
 * fake Twitch (OAuth, Helix and the EventSub socket on one port) and a real OSC receiver
 * (liblo's `oscdump`): `chatflow auth twitch examples/channel-points.yaml` (the device code is
 * approved in the fake, as on twitch.tv/activate), then `chatflow run` of the same, unchanged
 * file with the stored token: a "Filter sweep" redemption with input 0.8 moves cutoff and is
 * FULFILLED, a second one inside the throttle window is CANCELED; `--check` finds nothing lacking.
 * The endpoints come from the test-only environment overrides (docs/twitch.md "Testing").
 */
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEventSub } from '../fakes/twitchEventSub.js';
import { FAKE_CLIENT_ID, FAKE_STREAMER } from '../fakes/twitchHelix.js';
import { type OscDump, startOscDump } from '../integration/oscSupport.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/channel-points.yaml', import.meta.url));
const REWARD = { id: 'b3c6a1f0-reward-filter-sweep', title: 'Filter sweep', cost: 200, prompt: 'Cutoff from 0 to 1' };

/** viewer32 redeems "Filter sweep" with `input`, as Twitch sends it. */
function redemption(id: string, input: string): Record<string, unknown> {
  return {
    id,
    broadcaster_user_id: FAKE_STREAMER.id,
    broadcaster_user_login: FAKE_STREAMER.login,
    broadcaster_user_name: FAKE_STREAMER.display_name,
    user_id: '4145994',
    user_login: 'viewer32',
    user_name: 'Viewer32',
    user_input: input,
    status: 'unfulfilled',
    reward: REWARD,
    redeemed_at: new Date().toISOString(),
  };
}

let twitch: FakeEventSub | undefined;
let synth: OscDump | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await twitch?.stop();
  await synth?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  twitch = undefined;
  synth = undefined;
  dir = undefined;
});

describe('chatflow auth twitch, then chatflow run examples/channel-points.yaml', () => {
  it('signs in, moves cutoff with a redemption and fulfils it, refunds the second, and --check finds nothing lacking', async () => {
    twitch = await FakeEventSub.start();
    synth = await startOscDump();
    dir = await mkdtemp(join(tmpdir(), 'chatflow-channel-points-'));
    // The example itself, copied so that its `.chatflow/` (the token file) lands in a scratch dir.
    await copyFile(EXAMPLE, join(dir, 'channel-points.yaml'));
    const env = {
      CHATFLOW_TWITCH_CLIENT_ID: FAKE_CLIENT_ID,
      CHATFLOW_TWITCH_AUTH_URL: twitch.helix.endpoints.auth,
      CHATFLOW_TWITCH_HELIX_URL: twitch.helix.endpoints.helix,
      SYNTH_PORT: String(synth.port),
    };
    const helix = twitch.helix;
    const dump = synth;

    // 1. Sign in: the command prints a code and waits; the streamer approves it on the activation page.
    helix.scriptDevice({ outcome: 'wait', interval: 1 });
    const auth = chatflow(['auth', 'twitch', 'channel-points.yaml'], { cwd: dir, env });
    child = auth.child;
    await until('the code is shown', () => /enter the code ([A-Z]+)/.test(auth.output()), { detail: auth.output });
    const code = /enter the code ([A-Z]+)/.exec(auth.output())?.[1] as string;
    expect(helix.approve(code)).toBe(true);
    const signedIn = await auth.finished;
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain('Scopes requested (for twitch): channel:manage:redemptions\n');
    expect(signedIn.stdout).toContain(`Signed in as streamer (${FAKE_STREAMER.id}) for the broadcaster account, with 1 scope(s).`);
    const stored = JSON.parse(await readFile(join(dir, '.chatflow', 'twitch-tokens.json'), 'utf8')) as {
      accounts: { broadcaster?: { access_token: string; refresh_token: string } };
    };
    const { access_token: accessToken, refresh_token: refreshToken } = stored.accounts.broadcaster ?? {};
    const secrets = [accessToken, refreshToken].filter((s): s is string => typeof s === 'string');
    expect(secrets).toHaveLength(2);

    // 2. Run the same file with the stored token.
    const run = chatflow(['run', 'channel-points.yaml'], { cwd: dir, env });
    child = run.child;
    await pipelinesStarted([run]);
    await until('subscribed to redemptions', () => twitch?.enabled().length === 2, { timeoutMs: 15_000, detail: run.output });
    await until('the default at the synth', () => dump.lines().includes('/cv/cutoff f 0.500000'), { detail: run.output });

    twitch.notify('channel.channel_points_custom_reward_redemption.add', redemption('r-1', '0.8'));
    await until('cutoff 0.8 at the synth', () => dump.lines().includes('/cv/cutoff f 0.800000'), { detail: run.output });
    await until('r-1 settled', () => helix.patches.length === 1, { detail: run.output });
    expect(helix.patches[0]).toEqual({ ids: ['r-1'], rewardId: REWARD.id, status: 'FULFILLED', answer: 200 });
    expect(helix.redemptions.get('r-1')?.status).toBe('FULFILLED');

    twitch.notify('channel.channel_points_custom_reward_redemption.add', redemption('r-2', '0.3'));
    await until('r-2 settled', () => helix.patches.length === 2, { detail: run.output });
    expect(helix.patches[1]).toEqual({ ids: ['r-2'], rewardId: REWARD.id, status: 'CANCELED', answer: 200 });
    expect(helix.redemptions.get('r-2')?.status).toBe('CANCELED');
    // Never towards 0.3: every step lies between the default and 0.8.
    const cutoff = dump.lines().filter((l) => l.startsWith('/cv/cutoff'));
    expect(cutoff.at(-1)).toBe('/cv/cutoff f 0.800000');
    for (const line of cutoff) expect(Number(line.split(' ')[2])).toBeGreaterThanOrEqual(0.5);

    // 3. --check, while it runs: nothing lacking.
    const check = await chatflow(['auth', 'twitch', '--check', 'channel-points.yaml'], { cwd: dir, env }).finished;
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^broadcaster: streamer \(1971641\), token valid for 3h 5\dm; has every scope the pipeline needs \(1\)\.\n$/);

    const finished = await stop(run);
    expect(finished.code, finished.stderr).toBe(0);
    for (const text of [signedIn.stdout + signedIn.stderr, check.stdout + check.stderr, finished.stdout + finished.stderr]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
