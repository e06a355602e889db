/**
 * `channel.chat.message` (twitch_events) and PRIVMSG (twitch, IRC) of the same message make the
 * same `chat` event, so a pipeline can switch its chat source without its operators noticing.
 */
import { describe, expect, it } from 'vitest';
import type { ChatEvent, PlatformEvent } from '../../src/core/events.js';
import { parseIrcLine } from '../../src/sources/twitch/client.js';
import { normalizeTwitchLine } from '../../src/sources/twitch/normalize.js';
import { normalizeEventSub } from '../../src/sources/twitchEvents/normalize.js';
import { notificationSamples } from '../fakes/twitchEventSubSamples.js';

const TS = 1_773_515_000_000;

function viaIrc(line: string): ChatEvent {
  const message = parseIrcLine(line);
  if (message === null) throw new Error('unparsable');
  const events: (ChatEvent | PlatformEvent)[] = [];
  normalizeTwitchLine(message, 3, () => TS, (e) => events.push(e));
  return events.find((e): e is ChatEvent => e.kind === 'chat') as ChatEvent;
}

function viaEventSub(sampleId: string): ChatEvent {
  const sample = notificationSamples().find((s) => s.id === sampleId);
  if (sample === undefined) throw new Error(sampleId);
  const out = normalizeEventSub(sample.type, sample.event, { messageId: 'x', receivedAt: 3, now: () => TS });
  if (out.outcome !== 'events') throw new Error(out.outcome);
  return out.events[0] as ChatEvent;
}

describe('the same chat message over EventSub and over IRC', () => {
  it('a moderator and subscriber with an emote', () => {
    const irc = viaIrc(
      `@badge-info=subscriber/16;badges=moderator/1,subscriber/12,sub-gifter/1;color=#00FF7F;display-name=Viewer32;emotes=25:13-17;first-msg=0;id=723e7e5f-666b-4e4f-b546-cf315cc8f11b;mod=1;room-id=1971641;subscriber=1;tmi-sent-ts=${TS};user-id=4145994 :viewer32!viewer32@viewer32.tmi.twitch.tv PRIVMSG #streamer :hi @streamer Kappa`,
    );
    expect(viaEventSub('channel.chat.message-emote-mention')).toEqual(irc);
  });

  it('a cheer with bits and a channel emote', () => {
    const irc = viaIrc(
      `@badge-info=;badges=bits/1000;bits=100;color=#1E90FF;display-name=NightOwl_GG;emotes=emotesv2_4c3b4ed516de493bbcd2df2f5d450f49:20-31;first-msg=0;id=1d7cbe97-f81b-4338-8246-c789f98afc42;mod=0;room-id=1971641;subscriber=0;tmi-sent-ts=${TS};user-id=132954738 :nightowl_gg!nightowl_gg@nightowl_gg.tmi.twitch.tv PRIVMSG #streamer :cheer100 great run! streamerHype`,
    );
    expect(viaEventSub('channel.chat.message-cheer')).toEqual(irc);
  });

  it('a reply without a color', () => {
    const irc = viaIrc(
      `@badge-info=;badges=;color=;display-name=viewer23;emotes=;first-msg=0;id=d4e9d6ac-7253-48ff-9a10-52535f763fae;mod=0;reply-parent-display-name=Viewer32;reply-parent-msg-body=hi\\s@streamer\\sKappa;reply-parent-msg-id=cc106a89-1814-419d-854c-f4f2f970aae7;reply-parent-user-id=4145994;reply-parent-user-login=viewer32;room-id=1971641;subscriber=0;tmi-sent-ts=${TS};user-id=49912639 :viewer23!viewer23@viewer23.tmi.twitch.tv PRIVMSG #streamer :@viewer32 welcome back!`,
    );
    expect(viaEventSub('channel.chat.message-reply')).toEqual(irc);
  });
});
