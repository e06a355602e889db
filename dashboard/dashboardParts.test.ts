import { describe, expect, it } from 'vitest';
import { partLines } from './dashboardParts.js';

const clock = (ts: number) => `T${ts}`;

describe('partLines', () => {
  it('says when a backing-off platform sends again, and why it waits', () => {
    expect(partLines({ name: 'kick', state: 'backing_off', detail: 'http_429: Too Many Attempts.', until: 31_000, queued: 3, sent: 2, dropped: 0 }, 5_500, clock)).toEqual({
      label: 'backing off',
      cls: 'warn',
      counts: 'queue 3 · sent 2 · dropped 0',
      why: 'until T31000 (in 26 s) — http_429: Too Many Attempts.',
    });
  });

  it('shows a signed-out platform in red with what to run, and YouTube’s quota of sending', () => {
    expect(
      partLines({ name: 'youtube', state: 'signed_out', detail: 'run `chatflow auth youtube`', queued: 0, sent: 0, dropped: 4, gauges: { quota_used: 40, quota_left: 4960 } }, 0, clock),
    ).toEqual({ label: 'signed out', cls: 'bad', counts: 'queue 0 · sent 0 · dropped 4 · quota 40 used, 4960 left today', why: 'run `chatflow auth youtube`' });
  });

  it('says nothing more of a platform that works than its standing', () => {
    expect(partLines({ name: 'twitch', state: 'ok', detail: 'moderator, 100 per 30 s', queued: 0, sent: 9, dropped: 0 }, 0, clock)).toMatchObject({ label: 'ok', cls: 'ok', why: 'moderator, 100 per 30 s' });
    expect(partLines({ name: 'twitch', state: 'idle', queued: 0, sent: 0, dropped: 0 }, 0, clock)).toMatchObject({ label: 'idle', why: '' });
  });
});
