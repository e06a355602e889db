import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_GOOGLE_CLIENT_ID, FAKE_GOOGLE_CLIENT_SECRET, FakeGoogle } from '../../../test/fakes/googleOAuth.js';
import { GoogleOAuth } from '../youtube/googleOAuth.js';
import { deviceFlow } from './deviceFlow.js';

let google: FakeGoogle;
beforeAll(async () => {
  google = await FakeGoogle.start();
});
afterAll(() => google.close());

const YOUTUBE = ['https://www.googleapis.com/auth/youtube'];

function client(secret = FAKE_GOOGLE_CLIENT_SECRET) {
  return new GoogleOAuth({ endpoints: { auth: google.authUrl, api: google.apiUrl }, clientId: FAKE_GOOGLE_CLIENT_ID, clientSecret: secret });
}

/** A flow in virtual time: the waits it asked for, and how it ended. */
async function flow(options: { signal?: AbortSignal; abortAfter?: number } = {}) {
  let t = 0;
  const waits: number[] = [];
  const shown: string[] = [];
  const stop = new AbortController();
  const result = await deviceFlow({
    client: client(),
    scopes: YOUTUBE,
    onCode: (start) => shown.push(`${start.verificationUrl} ${start.userCode}`),
    now: () => t,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
      if (options.abortAfter !== undefined && waits.length >= options.abortAfter) stop.abort();
    },
    signal: options.signal ?? stop.signal,
  });
  return { result, waits, shown };
}

describe('deviceFlow against the fake Google', () => {
  it('shows the code once, waits the interval before every poll, 5 s more after slow_down, and returns the grant', async () => {
    google.script({ pending: 3, slowDownAt: [2], interval: 5 });
    const r = await flow();
    expect(r.shown).toEqual(['https://www.google.com/device GQVQ-JKEC']);
    expect(r.waits).toEqual([5000, 5000, 10000, 10000]);
    expect(r.result.ok).toBe(true);
    if (r.result.ok) expect(r.result.grant.refreshToken).toEqual(expect.any(String));
  });

  it("ends `denied` on Google's access_denied and `expired` on its expired_token", async () => {
    google.script({ outcome: 'deny' });
    expect((await flow()).result).toEqual({ ok: false, reason: 'denied' });
    google.script({ outcome: 'expire' });
    expect((await flow()).result).toEqual({ ok: false, reason: 'expired' });
  });

  it('stops polling when no poll fits before the code dies, and when aborted', async () => {
    google.script({ pending: 1000, interval: 5, expiresIn: 20 });
    const late = await flow();
    expect(late.result).toEqual({ ok: false, reason: 'expired' });
    expect(late.waits).toEqual([5000, 5000, 5000, 5000]);
    google.script({ pending: 1000 });
    const polls = google.count('/token');
    const aborted = await flow({ abortAfter: 1 });
    expect(aborted.result).toEqual({ ok: false, reason: 'aborted' });
    expect(google.count('/token')).toBe(polls);
  });

  it('throws on an answer that is not part of the flow (a wrong client secret), naming Google\'s error', async () => {
    await expect(
      deviceFlow({ client: client('wrong'), scopes: YOUTUBE, onCode: () => {}, now: () => 0, sleep: async () => {} }),
    ).rejects.toThrow('Google answered 401: invalid_client');
  });
});
