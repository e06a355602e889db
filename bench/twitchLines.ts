/** The PRIVMSG lines of the `twitch-throughput` benchmark. */

/** A mix of what real chat looks like: plain, subscribers with emotes, mods, emoji, /me, replies, VIPs. */
export function benchLine(channel: string, run: number): (n: number) => string {
  const common = (n: number, user: number) =>
    `client-nonce=5f4dcc3b5aa765d61d8327deb882cf99;flags=;id=bench-${run}-${n};returning-chatter=0;room-id=11148817;tmi-sent-ts=${1_700_000_000_000 + n};turbo=0;user-id=${40_000_000 + user}`;
  const who = (user: number) => `v${user}!v${user}@v${user}.tmi.twitch.tv PRIVMSG #${channel} :`;
  return (n) => {
    const user = (n * 7919) % 5000;
    switch (n % 10) {
      case 0:
      case 1:
      case 2:
        return `@badge-info=;badges=;color=#1E90FF;display-name=Viewer${user};emotes=;first-msg=0;mod=0;subscriber=0;${common(n, user)};user-type= :${who(user)}hello there, how is the stream going today?`;
      case 3:
      case 4:
        return `@badge-info=subscriber/22;badges=subscriber/12,premium/1;color=#8A2BE2;display-name=Sub${user};emotes=25:0-4,12-16;first-msg=0;mod=0;subscriber=1;${common(n, user)};user-type= :${who(user)}Kappa hello Kappa`;
      case 5:
        return `@badge-info=subscriber/5;badges=moderator/1,subscriber/3;color=#00FF7F;display-name=Mod${user};emotes=;first-msg=0;mod=1;subscriber=1;${common(n, user)};user-type=mod :${who(user)}!cv cutoff 0.7`;
      case 6:
        return `@badge-info=;badges=;color=;display-name=Emoji${user};emotes=25:0-4,8-12;first-msg=0;mod=0;subscriber=0;${common(n, user)};user-type= :${who(user)}Kappa 😂 Kappa`;
      case 7:
        return `@badge-info=;badges=vip/1;color=#FF69B4;display-name=Vip\\s${user};emotes=;first-msg=0;mod=0;subscriber=0;vip=1;${common(n, user)};user-type= :${who(user)}\u0001ACTION dances to the beat\u0001`;
      case 8:
        return `@badge-info=;badges=;color=#DAA520;display-name=Reply${user};emotes=;first-msg=0;mod=0;reply-parent-display-name=Someone;reply-parent-msg-body=what\\sa\\splay!;reply-parent-msg-id=6b13e51b-7ecb-43b5-ba5b-2bb5288df696;reply-parent-user-id=37940952;reply-parent-user-login=someone;subscriber=0;${common(n, user)};user-type= :${who(user)}@Someone agreed`;
      default:
        return `@badge-info=;badges=glhf-pledge/1;color=#FF4500;display-name=New${user};emotes=;first-msg=1;mod=0;subscriber=0;${common(n, user)};user-type= :${who(user)}first time here, hi everyone!`;
    }
  };
}

