import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeOAuthNow } from '../../../test/fakes/fakeHttp.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { createLogger } from '../../core/logger.js';
import { KICK_AUTH } from '../../core/kickAuth.js';
import { YOUTUBE_AUTH } from '../../core/youtubeAuth.js';
import { defaultRegistry } from '../../components.js';
import { loadPipeline } from '../../pipelines/graph.js';
import { openKickAuth } from '../kick/openKickAuth.js';
import { userTokenFileIn } from '../userToken/tokenStore.js';
import { openYoutubeAuth } from './openYoutubeAuth.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

async function graphOf(resources: string) {
  const dir = await dirs.make('chatflow-openauth-');
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, `version: 1\n${resources}sources:\n  fake: { type: simulate, rate: 1/s }\nsinks:\n  out: { type: blackhole, inputs: [fake] }\n`);
  return { dir, graph: await loadPipeline(file, { registry: defaultRegistry(), env: {} }) };
}

function logger() {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => lines.push(c.toString()));
  return { lines, logger: createLogger({ level: 'debug', destination: out }) };
}

describe('openYoutubeAuth / openKickAuth', () => {
  it('provide nothing when the pipeline names neither platform and no client id is in the environment', async () => {
    const { dir, graph } = await graphOf('');
    const l = logger();
    expect((await openYoutubeAuth(graph, { baseDir: dir, env: {}, logger: l.logger, now: fakeOAuthNow })).provided).toEqual([]);
    expect((await openKickAuth(graph, { baseDir: dir, env: {}, logger: l.logger, now: fakeOAuthNow })).provided).toEqual([]);
  });

  it('provide the service from the environment alone; without a secret it is failed, saying what to set', async () => {
    const { dir, graph } = await graphOf('');
    const l = logger();
    const yt = await openYoutubeAuth(graph, { baseDir: dir, env: { CHATFLOW_YOUTUBE_CLIENT_ID: 'id' }, logger: l.logger, now: fakeOAuthNow });
    expect(yt.provided[0]?.key).toBe(YOUTUBE_AUTH);
    expect(yt.service?.currentStatus()).toMatchObject({ state: 'failed', reason: expect.stringContaining('CHATFLOW_YOUTUBE_CLIENT_SECRET') });
    const k = await openKickAuth(graph, { baseDir: dir, env: { CHATFLOW_KICK_CLIENT_ID: 'id' }, logger: l.logger, now: fakeOAuthNow });
    expect(k.provided[0]?.key).toBe(KICK_AUTH);
    expect(k.service?.currentStatus()).toMatchObject({ state: 'failed', reason: expect.stringContaining('CHATFLOW_KICK_CLIENT_SECRET') });
    expect(l.lines.filter((x) => x.includes('Token cannot be used; sign in again.'))).toHaveLength(2);
  });

  it('are `missing` with the command to run when nobody signed in, and `failed` on a broken token file', async () => {
    const { dir, graph } = await graphOf('resources:\n  kick: { client_id: id, client_secret: s }\n  youtube: { client_id: id, client_secret: s }\n');
    const l = logger();
    const k = await openKickAuth(graph, { baseDir: dir, env: {}, logger: l.logger, now: fakeOAuthNow });
    expect(k.service?.currentStatus()).toEqual({ state: 'missing', reason: 'No Kick account is signed in; run `chatflow auth kick`.' });
    expect(l.lines.filter((x) => x.includes('Kick sign-in missing; nothing can be sent there.') && x.includes('chatflow auth kick'))).toHaveLength(1);
    await mkdir(join(dir, '.chatflow'), { recursive: true });
    await writeFile(userTokenFileIn(dir, 'youtube'), '{"version": 2}');
    const yt = await openYoutubeAuth(graph, { baseDir: dir, env: {}, logger: l.logger, now: fakeOAuthNow });
    expect(yt.service?.currentStatus()).toMatchObject({ state: 'failed', reason: expect.stringContaining('chatflow auth youtube') });
  });
});
