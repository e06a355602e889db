import { describe, expect, it } from 'vitest';
import type { ChannelActivityView } from '../src/server/dashboardWire.js';
import { activityLines } from './dashboardChannel.js';

const view = (type: ChannelActivityView['type'], data: ChannelActivityView['data'], items: ChannelActivityView['items']): ChannelActivityView => ({
  type,
  platform: 'twitch',
  channel: 'streamer',
  data,
  items,
  ts: 0,
});

describe('activityLines', () => {
  it('a poll: votes and shares per choice; ended with its status', () => {
    const lines = activityLines(view('poll', { phase: 'end', title: 'Which boss next?', status: 'completed' }, [{ title: 'Dragon', votes: 31 }, { title: 'Golem', votes: 14 }]));
    expect(lines.heading).toBe('Poll: Which boss next?');
    expect(lines.state).toBe('ended (completed)');
    expect(lines.rows.map((r) => [r.label, r.value])).toEqual([
      ['Dragon', '31 votes, 69%'],
      ['Golem', '14 votes, 31%'],
    ]);
    expect(activityLines(view('poll', { phase: 'begin', title: 'x' }, [{ title: 'a' }])).rows).toEqual([{ label: 'a', value: '0 votes, 0%', share: 0 }]);
  });

  it('a prediction: points per outcome, the winner marked, locked and resolved states', () => {
    const items = [
      { id: 'y', title: 'Yes', users: 5, channelPoints: 2800 },
      { id: 'n', title: 'No', users: 2, channelPoints: 700 },
    ];
    expect(activityLines(view('prediction', { phase: 'lock', title: 'Win?' }, items)).state).toBe('locked');
    const end = activityLines(view('prediction', { phase: 'end', title: 'Win?', status: 'resolved', winningOutcomeId: 'y' }, items));
    expect(end.state).toBe('resolved');
    expect(end.rows.map((r) => r.label)).toEqual(['✓ Yes', 'No']);
    expect(end.rows[0]?.value).toBe('2800 points, 5 viewers, 80%');
  });

  it('a hype train: progress toward the next level, then the top contributions', () => {
    const lines = activityLines(
      view('hype_train', { phase: 'progress', level: 2, total: 4700, progress: 700, goal: 5200 }, [{ displayName: 'NightOwl_GG', type: 'bits', total: 600 }]),
    );
    expect(lines.heading).toBe('Hype train: level 2');
    expect(lines.rows.map((r) => [r.label, r.value])).toEqual([
      ['Level 3', '700 / 5200'],
      ['NightOwl_GG (bits)', '600'],
    ]);
    expect(activityLines(view('hype_train', { phase: 'end', level: 3, total: 6900 }, [])).state).toBe('ended, total 6900');
  });
});
