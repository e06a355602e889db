import { interval, map, type Observable, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Platform, ReplyEvent, ReplyPriority, Role } from '../../core/events.js';
import type { ChannelRole } from './limits.js';
import { type Delivery, type PacerOptions, paceReplies } from './pacer.js';
import type { ChannelStanding, ChatSender, OutgoingMessage, SendOutcome } from './sender.js';

/** Replies made from a letter: `a1` is viewer a's first, `m1` a moderator's; text = the letter code. */
function reply(code: string, extra: Partial<ReplyEvent> = {}): ReplyEvent {
  const viewer = code.slice(0, 1);
  const roles: Role[] = viewer === 'm' ? ['mod'] : [];
  return {
    kind: 'reply',
    platform: 'twitch',
    channel: 'chan',
    text: code,
    viewer: { id: viewer, login: viewer, roles },
    receivedAt: 0,
    ...extra,
  };
}

function withoutViewer({ viewer: _viewer, ...rest }: ReplyEvent): ReplyEvent {
  return rest;
}

/** A sender in virtual time: `perWindow` messages per `windowMs` frames, as the standing says. */
class VirtualSender implements ChatSender {
  readonly platform: Platform = 'twitch';
  readonly sent: OutgoingMessage[] = [];
  readonly standings: string[] = [];
  /** Scripted answers for the next sends (else `sent`). */
  readonly answers: SendOutcome[] = [];

  constructor(
    private role: ChannelRole = 'viewer',
    private readonly perWindow: (role: ChannelRole) => number = (role) => (role === 'viewer' ? 2 : 4),
    private readonly duplicateMs = 0,
  ) {}

  promote(role: ChannelRole): void {
    this.role = role;
  }

  standing(channel: string): ChannelStanding {
    this.standings.push(channel);
    return {
      role: this.role,
      limits: { perWindow: this.perWindow(this.role), windowMs: 10, maxLength: 500, duplicateMs: this.duplicateMs },
    };
  }

  afterSend: (() => void) | undefined;

  send(message: OutgoingMessage): SendOutcome {
    this.sent.push(message);
    const answer = this.answers.shift() ?? { kind: 'sent' };
    this.afterSend?.();
    return answer;
  }
}

const base = (scheduler: TestScheduler, sender: ChatSender, more: Partial<PacerOptions> = {}): PacerOptions => ({
  scheduler,
  senderFor: (p) => (p === sender.platform ? sender : undefined),
  queue: { max: 100, perViewer: 10 },
  maxAgeMs: 1000,
  long: 'split',
  maxParts: 3,
  standingTtlMs: 10_000,
  maxAttempts: 3,
  retryDelayMs: 5,
  ...more,
});

/** A delivery as a short code: `a1` sent, `!reason:a1` dropped, `?reason:a1` refused (retried: `?reason+`). */
const code = (d: Delivery): string => {
  switch (d.kind) {
    case 'sent':
      return d.text;
    case 'dropped':
      return `!${d.reason}:${d.reply.text}`;
    case 'refused':
      return `?${d.reason}${d.retry ? '+' : ''}:${d.reply.text}`;
    case 'standing':
      return `@${d.standing.role}`;
    case 'standing_failed':
      return '@failed';
  }
};

/**
 * A marble string with each group at the frame given (groups take their width in frames, so
 * writing the gaps by hand is error-prone): `at([0, 'ab'], [10, 'c|'])` = `(ab) 6ms (c|)`.
 */
function at(...steps: [number, string][]): string {
  let t = 0;
  let out = '';
  for (const [frame, chars] of steps) {
    if (frame < t) throw new Error(`frame ${frame} is before ${t}`);
    if (frame > t) out += ` ${frame - t}ms `;
    const token = chars.length > 1 ? `(${chars})` : chars;
    out += token;
    t = frame + token.length;
  }
  return out.trim();
}

function run(
  body: (h: { cold: TestScheduler['createColdObservable']; pace: (src: Observable<ReplyEvent>, s: ChatSender, more?: Partial<PacerOptions>) => Observable<string>; expect: TestScheduler['expectObservable']; scheduler: TestScheduler }) => void,
): void {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  scheduler.run(({ cold, expectObservable }) => {
    body({
      cold,
      expect: expectObservable,
      scheduler,
      pace: (src, s, more) => src.pipe(paceReplies(base(scheduler, s, more)), map(code)),
    });
  });
}

describe('paceReplies (virtual time)', () => {
  it('never: nothing sent, never completes', () => {
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('-'), new VirtualSender())).toBe('-');
    });
  });

  it('empty: completes at once', () => {
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('|'), new VirtualSender())).toBe('|');
    });
  });

  it('values under the limit go out as they come, after the standing is read once', () => {
    const sender = new VirtualSender();
    run(({ cold, pace, expect: e }) => {
      const src = cold('a 4ms b|', { a: reply('a1'), b: reply('b1') });
      e(pace(src, sender)).toBe(at([0, 'xy'], [5, 'z'], [6, '|']), { x: '@viewer', y: 'a1', z: 'b1' });
    });
    expect(sender.standings).toEqual(['chan']);
  });

  it('holds to the window: 2 per 10 ms as a viewer, 4 as a moderator (read from the platform)', () => {
    const five = { a: reply('a1'), b: reply('a2'), c: reply('a3'), d: reply('a4'), e: reply('a5') };
    const codes = { s: '@viewer', m: '@moderator', a: 'a1', b: 'a2', c: 'a3', d: 'a4', e: 'a5' };
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('(abcde|)', five), new VirtualSender('viewer'))).toBe(at([0, 'sab'], [10, 'cd'], [20, 'e|']), codes);
    });
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('(abcde|)', five), new VirtualSender('moderator'))).toBe(at([0, 'mabcd'], [10, 'e|']), codes);
    });
  });

  it('a refusal that never reached the platform (unsent: no quota, no sign-in) takes no slot of the window', () => {
    const quota: SendOutcome = { kind: 'refused', reason: 'quota_reserved', unsent: true };
    const four = { a: reply('a1'), b: reply('b1'), c: reply('c1'), d: reply('d1') };
    const codes = { s: '@viewer', a: '?quota_reserved:a1', x: '!refused:a1', b: '?quota_reserved:b1', y: '!refused:b1', c: 'c1', d: 'd1' };
    const unsent = new VirtualSender('viewer');
    unsent.answers.push(quota, quota);
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('(abcd|)', four), unsent)).toBe(at([0, 'saxbycd|']), codes);
    });
    // The same refusals from the platform itself count: c1 and d1 wait for the next window.
    const platform = new VirtualSender('viewer');
    platform.answers.push({ kind: 'refused', reason: 'msg_rejected' }, { kind: 'refused', reason: 'msg_rejected' });
    const codes2 = { s: '@viewer', a: '?msg_rejected:a1', x: '!refused:a1', b: '?msg_rejected:b1', y: '!refused:b1', c: 'c1', d: 'd1' };
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('(abcd|)', four), platform)).toBe(at([0, 'saxby'], [10, 'cd|']), codes2);
    });
  });

  it('is fair: a spamming viewer and two quiet ones take turns', () => {
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(abcdefg|)', {
        a: reply('a1'), b: reply('a2'), c: reply('a3'), d: reply('a4'), e: reply('b1'), f: reply('a5'), g: reply('c1'),
      });
      e(pace(src, new VirtualSender('viewer'))).toBe(at([0, 'sab'], [10, 'cd'], [20, 'ef'], [30, 'g|']), {
        s: '@viewer', a: 'a1', b: 'a2', c: 'a3', d: 'b1', e: 'c1', f: 'a4', g: 'a5',
      });
    });
  });

  it('puts high before normal before low; a moderator’s answer is high by default', () => {
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(abcd|)', {
        a: reply('a1'),
        b: { ...withoutViewer(reply('t1')), priority: 'low' as ReplyPriority },
        c: reply('a2'),
        d: reply('m1'),
      });
      e(pace(src, new VirtualSender('viewer', () => 1))).toBe(at([0, 'sa'], [10, 'b'], [20, 'c'], [30, 'd|']), {
        s: '@viewer', a: 'a1', b: 'm1', c: 'a2', d: 't1',
      });
    });
  });

  it('holds an identical text until the duplicate window passed, sending others meanwhile', () => {
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(abc|)', {
        a: reply('a1', { text: 'same' }),
        b: reply('b1', { text: 'same' }),
        c: reply('c1', { text: 'other' }),
      });
      const sender = new VirtualSender('moderator', () => 10, 20);
      e(pace(src, sender)).toBe(at([0, 'sab'], [20, 'c|']), { s: '@moderator', a: 'same', b: 'other', c: 'same' });
    });
  });

  it('drops with a reason: a viewer over their share, a full queue (the longest lane loses), stale replies', () => {
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(abcdef|)', {
        a: reply('a1'), b: reply('a2'), c: reply('a3'), d: reply('a4'), e: reply('b1'), f: reply('c1'),
      });
      e(pace(src, new VirtualSender('viewer', () => 1), { queue: { max: 3, perViewer: 2 } })).toBe(
        at([0, 'savq'], [10, 'b'], [20, 'e'], [30, 'f|']),
        { s: '@viewer', a: 'a1', v: '!viewer_queue_full:a4', q: '!queue_full:a3', b: 'a2', e: 'b1', f: 'c1' },
      );
    });
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(abc|)', { a: reply('a1'), b: reply('a2'), c: reply('a3') });
      e(pace(src, new VirtualSender('viewer', () => 1), { maxAgeMs: 15 })).toBe(at([0, 'sa'], [10, 'b'], [20, 'c|']), {
        s: '@viewer', a: 'a1', b: 'a2', c: '!stale:a3',
      });
    });
  });

  it('drops what it cannot send: an empty or command-only reply, a platform it has no sender for', () => {
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(ab|)', { a: reply('a1', { text: ' /' }), b: reply('b1', { platform: 'kick' }) });
      e(pace(src, new VirtualSender())).toBe('(ab|)', { a: '!empty: /', b: '!no_sender:b1' });
    });
  });

  it('never sends a command: /ban and .timeout lose their command start', () => {
    const sender = new VirtualSender();
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(ab|)', { a: reply('a1', { text: '\u200B /ban streamer' }), b: reply('b1', { text: ' .timeout x' }) });
      e(pace(src, sender)).toBe('(sab|)', { s: '@viewer', a: 'ban streamer', b: 'timeout x' });
    });
    expect(sender.sent.map((m) => m.text)).toEqual(['ban streamer', 'timeout x']);
  });

  it('a 429 puts the message back and waits as long as the platform says; a refusal is dropped with its reason', () => {
    const sender = new VirtualSender('moderator');
    sender.answers.push({ kind: 'refused', reason: 'http_429', retryAfterMs: 7 }, { kind: 'sent' }, { kind: 'refused', reason: 'msg_duplicate' });
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(ab|)', { a: reply('a1'), b: reply('b1') });
      e(pace(src, sender)).toBe(at([0, 'sr'], [7, 'abd|']), {
        s: '@moderator', r: '?http_429+:a1', a: 'a1', b: '?msg_duplicate:b1', d: '!refused:b1',
      });
    });
  });

  it('a rate-limit refusal makes it read the standing again (a bot no longer moderator)', () => {
    const sender = new VirtualSender('moderator');
    sender.answers.push({ kind: 'refused', reason: 'msg_ratelimit', retryAfterMs: 5, relimit: true });
    sender.afterSend = () => sender.promote('viewer');
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(a|)', { a: reply('a1') });
      e(pace(src, sender)).toBe(at([0, 'sr'], [5, 'ta|']), { s: '@moderator', r: '?msg_ratelimit+:a1', t: '@viewer', a: 'a1' });
    });
    expect(sender.standings).toHaveLength(2);
  });

  it('splits a long reply into parts sent back to back', () => {
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(ab|)', { a: reply('a1', { text: `${'x'.repeat(300)} ${'y'.repeat(300)}` }), b: reply('b1') });
      e(pace(src, new VirtualSender('moderator'))).toBe('(sxyb|)', { s: '@moderator', x: 'x'.repeat(300), y: 'y'.repeat(300), b: 'b1' });
    });
  });

  it('error: passes the source’s error on', () => {
    run(({ cold, pace, expect: e }) => {
      e(pace(cold<ReplyEvent>('#'), new VirtualSender())).toBe('#');
    });
  });

  it('an infinite source is paced at the limit, taken as far as asked', () => {
    run(({ pace, expect: e, scheduler }) => {
      const src = interval(1, scheduler).pipe(map((i) => reply(`a${i}`)));
      const paced = pace(src, new VirtualSender('viewer', () => 1), { queue: { max: 100, perViewer: 100 } });
      e(paced.pipe(take(4))).toBe(at([1, 'sa'], [11, 'b'], [21, 'c|']), { s: '@viewer', a: 'a0', b: 'a1', c: 'a2' });
    });
  });

  it('early unsubscribe: nothing is sent after it', () => {
    const sender = new VirtualSender('viewer', () => 1);
    run(({ cold, pace, expect: e }) => {
      const src = cold<ReplyEvent>('(abc|)', { a: reply('a1'), b: reply('b1'), c: reply('c1') });
      e(pace(src, sender), '^ 12ms !').toBe(at([0, 'sa'], [10, 'b']), { s: '@viewer', a: 'a1', b: 'b1' });
    });
    expect(sender.sent.map((m) => m.text)).toEqual(['a1', 'b1']);
  });

  it('keeps its state per subscription: two subscriptions have their own windows and queues', () => {
    run(({ cold, expect: e, scheduler }) => {
      const paced = paceReplies(base(scheduler, new VirtualSender('viewer', () => 1)));
      const src = cold<ReplyEvent>('(ab|)', { a: reply('a1'), b: reply('b1') });
      const timeline = at([0, 'sa'], [10, 'b|']);
      e(src.pipe(paced, map(code))).toBe(timeline, { s: '@viewer', a: 'a1', b: 'b1' });
      e(src.pipe(paced, map(code))).toBe(timeline, { s: '@viewer', a: 'a1', b: 'b1' });
    });
  });
});
