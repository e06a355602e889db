import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { collectComponent, twitchReaderComponent } from '../../../test/support/twitchAuthComponents.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { createLogger } from '../../core/logger.js';
import { buildRegistry } from '../../core/registry.js';
import { loadPipeline } from '../../pipelines/graph.js';
import { NO_CLIENT_ID, openTwitchAuth } from './openTwitchAuth.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());
const registry = buildRegistry([twitchReaderComponent], [], [collectComponent(new Map())]);

async function open(resources: string, types = '[channel.follow]', tokenFile?: string) {
  const dir = await dirs.make('chatflow-open-twauth-');
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, `version: 1\n${resources}sources:\n  r: { type: twitch_reader, types: ${types} }\nsinks:\n  k: { type: collect, inputs: [r] }\n`);
  if (tokenFile !== undefined) {
    mkdirSync(join(dir, '.chatflow'));
    writeFileSync(join(dir, '.chatflow', 'twitch-tokens.json'), tokenFile);
  }
  let log = '';
  const out = new PassThrough();
  out.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const graph = await loadPipeline(file, { registry, env: {} });
  const opened = await openTwitchAuth(graph, { baseDir: dir, env: {}, logger: createLogger({ destination: out }), now: () => 0 });
  opened.close();
  return { opened, log: () => log };
}

describe('openTwitchAuth', () => {
  it('provides nothing when no node needs a Twitch account and resources.twitch is not set', async () => {
    const { opened } = await open('', '[]');
    expect(opened.provided).toEqual([]);
    expect(opened.service).toBeUndefined();
  });

  it('provides the service with resources.twitch alone, for a node a reload adds later', async () => {
    const { opened } = await open('resources:\n  twitch: { client_id: abc }\n', '[]');
    expect(opened.provided).toHaveLength(1);
    expect(opened.service?.currentStatus('broadcaster').state).toBe('missing');
  });

  it('without a client id, provides a service whose accounts fail with what to set, and logs it once', async () => {
    const { opened, log } = await open('');
    expect(opened.provided).toHaveLength(1);
    expect(opened.service?.currentStatus('broadcaster')).toEqual({ state: 'failed', reason: NO_CLIENT_ID });
    expect(opened.service?.currentStatus('bot')).toEqual({ state: 'failed', reason: NO_CLIENT_ID });
    expect(log().split('\n').filter((l) => l.includes('Twitch sign-in is not usable.'))).toHaveLength(1);
  });

  it('fails the accounts for a Helix URL twurple cannot reach, and for a token file it did not write', async () => {
    const badUrl = await open('resources:\n  twitch: { client_id: abc, helix_url: "https://example.com/helix" }\n');
    expect(badUrl.opened.service?.currentStatus('broadcaster')).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('resources.twitch.helix_url'),
    });
    const badFile = await open('resources:\n  twitch: { client_id: abc }\n', undefined, '{"version":2}');
    expect(badFile.opened.service?.currentStatus('broadcaster')).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('is not a token file chatflow wrote'),
    });
  });

  it('with a client id and no token file, says which account to sign in', async () => {
    const { opened } = await open('resources:\n  twitch: { client_id: abc }\n');
    expect(opened.service?.currentStatus('broadcaster')).toMatchObject({
      state: 'missing',
      reason: expect.stringContaining('`chatflow auth twitch`'),
    });
  });
});
