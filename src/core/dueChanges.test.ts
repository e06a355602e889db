import { describe, expect, it } from 'vitest';
import { DueChanges } from './dueChanges.js';
import type { ControlEvent } from './events.js';

const change = (value: number): ControlEvent => ({ kind: 'control', variable: 'cutoff', value, previous: 0, origin: 'command', ts: 500, receivedAt: 0 });

describe('DueChanges', () => {
  it('delivers announcements and withdrawals with their node, and knows announced events until withdrawn', () => {
    const hub = new DueChanges();
    const heard: string[] = [];
    const stop = hub.listen({
      due: (node, c, dueAt) => heard.push(`due ${node} ${c.value}@${dueAt}`),
      withdrawn: (node, c) => heard.push(`withdrawn ${node} ${c.value}`),
    });
    const a = change(0.1);
    const b = change(0.2);
    hub.announcer('cv').announce(a, 500);
    hub.announcer('cv2').announce(b, 1000);
    expect([hub.isAnnounced(a), hub.isAnnounced(b), hub.isAnnounced(change(0.1))]).toEqual([true, true, false]);
    hub.announcer('cv').withdraw(a);
    // Withdrawn once: a second withdrawal (or one of an event never announced) says nothing.
    hub.announcer('cv').withdraw(a);
    hub.announcer('cv').withdraw(change(0.3));
    expect(hub.isAnnounced(a)).toBe(false);
    stop();
    hub.announcer('cv').announce(change(0.4), 1500);
    expect(heard).toEqual(['due cv 0.1@500', 'due cv2 0.2@1000', 'withdrawn cv 0.1']);
  });
});
