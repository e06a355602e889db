/**
 * The dashboard's "Polls, predictions, hype train" panel: the latest of each per channel, as the
 * `metrics` sink holds them (from `twitch_events`). Titles and names come from Twitch viewers:
 * set with `textContent` only.
 */
import type { ChannelActivityView } from '../src/server/dashboardWire.js';
import { byId, element } from './dashboardPanels.js';

/** One line of an activity: what, how much, and its share (0–1) for the bar. */
export interface ActivityRow {
  readonly label: string;
  readonly value: string;
  readonly share: number;
}

/** What the panel shows of one activity. */
export interface ActivityLines {
  readonly heading: string;
  readonly state: string;
  readonly rows: readonly ActivityRow[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const share = (part: number, whole: number): number => (whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 0);
const percent = (part: number, whole: number): string => `${Math.round(share(part, whole) * 100)}%`;

/** The heading, state and rows of a poll, a prediction or a hype train. */
export function activityLines(a: ChannelActivityView): ActivityLines {
  const phase = text(a.data.phase);
  switch (a.type) {
    case 'poll': {
      const total = a.items.reduce((n, c) => n + num(c.votes), 0);
      return {
        heading: `Poll: ${text(a.data.title)}`,
        state: phase === 'end' ? `ended (${text(a.data.status) || 'completed'})` : 'open',
        rows: a.items.map((c) => ({ label: text(c.title), value: `${num(c.votes)} votes, ${percent(num(c.votes), total)}`, share: share(num(c.votes), total) })),
      };
    }
    case 'prediction': {
      const total = a.items.reduce((n, o) => n + num(o.channelPoints), 0);
      const winner = a.data.winningOutcomeId;
      return {
        heading: `Prediction: ${text(a.data.title)}`,
        state: phase === 'end' ? text(a.data.status) || 'ended' : phase === 'lock' ? 'locked' : 'open',
        rows: a.items.map((o) => ({
          label: `${o.id !== undefined && o.id === winner ? '✓ ' : ''}${text(o.title)}`,
          value: `${num(o.channelPoints)} points, ${num(o.users)} viewers, ${percent(num(o.channelPoints), total)}`,
          share: share(num(o.channelPoints), total),
        })),
      };
    }
    case 'hype_train': {
      const level = num(a.data.level);
      const goal = num(a.data.goal);
      const progress = num(a.data.progress);
      const rows: ActivityRow[] =
        phase === 'end' ? [] : [{ label: `Level ${level + 1}`, value: `${progress} / ${goal}`, share: share(progress, goal) }];
      const top = Math.max(1, ...a.items.map((c) => num(c.total)));
      for (const c of a.items) {
        rows.push({ label: `${text(c.displayName) || text(c.login)} (${text(c.type)})`, value: String(num(c.total)), share: share(num(c.total), top) });
      }
      return { heading: `Hype train: level ${level}`, state: phase === 'end' ? `ended, total ${num(a.data.total)}` : `total ${num(a.data.total)}`, rows };
    }
  }
}

const ORDER: Readonly<Record<ChannelActivityView['type'], number>> = { poll: 0, prediction: 1, hype_train: 2 };

export class ChannelPanel {
  show(activities: readonly ChannelActivityView[]): void {
    const sorted = [...activities].sort((x, y) => x.channel.localeCompare(y.channel) || ORDER[x.type] - ORDER[y.type]);
    byId('channel').replaceChildren(
      ...sorted.map((a) => {
        const lines = activityLines(a);
        const li = element('li');
        li.dataset.activity = a.type;
        li.append(element('span', 'main grow', lines.heading), element('span', 'meta', `#${a.channel} · ${lines.state}`));
        for (const row of lines.rows) {
          const line = element('div', 'text activity-row');
          const bar = element('span', 'bar');
          bar.style.width = `${Math.round(row.share * 100)}%`;
          line.append(element('span', 'grow', row.label), element('span', 'value', row.value), bar);
          li.append(line);
        }
        return li;
      }),
    );
    byId('channel-none').hidden = activities.length > 0;
  }
}
