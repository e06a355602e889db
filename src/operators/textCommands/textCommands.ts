/**
 * `text_commands`: custom commands answered with a templated reply (`!discord`, `!synth`,
 * `!hug`), per-command cooldowns and roles, counters, and `!help`.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChatEvent, ChatflowEvent, ReplyEvent, Role } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { replyToChat, withoutCommandStart } from '../../core/reply.js';
import { isExempt } from '../shared/limits.js';
import { MAX_TEMPLATE, type TextCommandsConfig } from './config.js';
import { type CounterStore, LocalCounterStore } from './counters.js';
import { compileReply, type ReplyPart, renderReply, usesCount } from './template.js';

/** Collaborators of {@link textCommands}. */
export interface TextCommandsDeps {
  /** Clock of the cooldowns; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /** Makes the counter store of one subscription; default a {@link LocalCounterStore} of its own. */
  readonly counters?: () => CounterStore;
  /**
   * Where the variables' current values are kept (the node's `ctx.state` in a pipeline, so a
   * restart still knows them); default one map per subscription.
   */
  readonly variables?: Map<string, number>;
  /** Told once per subscription when the counter store fails (a log line in a pipeline). */
  readonly onStoreError?: (err: unknown) => void;
}

interface Compiled {
  readonly name: string;
  readonly parts: readonly ReplyPart[];
  /** Undefined: everyone. */
  readonly roles: ReadonlySet<Role> | undefined;
  readonly cooldownMs: number;
  readonly userCooldownMs: number;
  /** The counter to count (undefined when the reply shows no count), and by how much. */
  readonly counter: string | undefined;
  readonly step: number;
  readonly help: boolean;
}

/** Most viewers remembered for `user_cooldown` before the expired ones are forgotten. */
const MAX_USERS = 10_000;

/**
 * Answers custom commands with their rendered reply: one {@link ReplyEvent} per answered
 * command, replying to the command's chat message, in arrival order.
 *
 * ```text
 * commands: { discord: { reply: "discord.gg/x", cooldown: 30s } }
 * a: "!discord"   b: "hello"
 * source:   -a-b-a 30s a|
 * result:   -r---- 30s r|      r: "discord.gg/x" (the second a is cooling)
 * ```
 *
 * The reply's `{{ }}` fields were checked when the config was validated. `{{ var.x }}` reads
 * the latest `control` event for `x` that reached the node (its inputs may include the control
 * node); `{{ count }}` counts the command's counter up (or only reads it, `increments: false`)
 * in the counter store, and with an asynchronous store (Redis) the reply waits for the answer,
 * still in arrival order; a store that fails renders `?`. `!help` lists the commands the
 * viewer's roles allow, then `help.also`.
 *
 * Never answered, each counted as a drop: the bot's own messages (`own_message`), anything that
 * is not one of the commands (`not_a_command`, which includes backfilled history and other
 * events), a command the author's roles do not allow (`forbidden`), a command still cooling
 * (`cooling`; `exempt_roles` skip cooldowns), a malformed event (`error`). Control events are
 * read, not dropped. A rendered reply never starts with `/`, `.`, whitespace or the prefix (a
 * viewer's `{{ args.0 }}` cannot make the bot run a chat command, or answer itself), and is cut
 * at 500 characters.
 *
 * @param config Parsed config.
 * @param deps Scheduler, drop counter, counter store and variable map.
 * @see parseCommand, whose `reply` templates answer the commands that drive the synth.
 * @see timer, which posts messages on a schedule.
 */
export function textCommands(config: TextCommandsConfig, deps: TextCommandsDeps = {}): OperatorFunction<ChatflowEvent, ReplyEvent> {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const drops = deps.drops ?? NO_DROPS;
  const prefix = config.prefix;
  const exempt = new Set<Role>(config.exempt_roles);
  const table = compileTable(config);
  const also = config.help.also;

  return (source) =>
    new Observable<ReplyEvent>((subscriber) => {
      // Per-subscription state: cooldowns, the counter store, replies waiting for a count.
      const store = deps.counters?.() ?? new LocalCounterStore();
      const variables = deps.variables ?? new Map<string, number>();
      const channelUntil = new Map<string, number>();
      const userUntil = new Map<string, number>();
      const pending: { build: (count: number | undefined) => ReplyEvent; count: number | undefined; ready: boolean }[] = [];
      let sourceDone = false;
      let storeFailed = false;

      const flush = (): void => {
        while (pending.length > 0 && (pending[0] as (typeof pending)[number]).ready) {
          const entry = pending.shift() as (typeof pending)[number];
          subscriber.next(entry.build(entry.count));
        }
        if (sourceDone && pending.length === 0) subscriber.complete();
      };

      const helpList = (roles: readonly Role[]): string => {
        const names: string[] = [];
        for (const command of table.list) {
          if (permitted(command.roles, roles)) names.push(prefix + command.name);
        }
        return [...names, ...also].join(' ');
      };

      const answer = (chat: ChatEvent, command: Compiled, words: readonly string[]): void => {
        const commands = command.help ? helpList(chat.author.roles) : undefined;
        const build = (count: number | undefined) =>
          replyToChat(chat, guard(renderReply(command.parts, { chat, words, count, variables, ...(commands === undefined ? {} : { commands }) }), prefix));
        if (command.counter === undefined) {
          pending.push({ build, count: undefined, ready: true });
          flush();
          return;
        }
        const counted = store.add(command.counter, command.step);
        if (typeof counted === 'number') {
          pending.push({ build, count: counted, ready: true });
          flush();
          return;
        }
        const entry: (typeof pending)[number] = { build, count: undefined, ready: false };
        pending.push(entry);
        counted.then(
          (value) => {
            entry.count = value;
            entry.ready = true;
            flush();
          },
          (err: unknown) => {
            if (!storeFailed) deps.onStoreError?.(err);
            storeFailed = true;
            entry.ready = true;
            flush();
          },
        );
      };

      const onChat = (chat: ChatEvent) => {
        if (chat.self === true) return drops.drop('own_message', true);
        const text = chat.text.trimStart();
        if (chat.backfill === true || !text.startsWith(prefix)) return drops.drop('not_a_command', true);
        const words = text.slice(prefix.length, prefix.length + MAX_TEMPLATE).split(/\s+/);
        const command = table.byWord.get((words[0] ?? '').toLowerCase());
        if (command === undefined) return drops.drop('not_a_command', true);
        if (!permitted(command.roles, chat.author.roles)) return drops.drop('forbidden', true);
        if (!isExempt(chat, exempt)) {
          const now = scheduler.now();
          const channelKey = `${command.name}\u001f${chat.platform}\u001f${chat.channel}`;
          const userKey = `${channelKey}\u001f${chat.author.login}`;
          if ((channelUntil.get(channelKey) ?? 0) > now || (userUntil.get(userKey) ?? 0) > now) {
            return drops.drop('cooling', true);
          }
          if (command.cooldownMs > 0) channelUntil.set(channelKey, now + command.cooldownMs);
          if (command.userCooldownMs > 0) {
            if (userUntil.size >= MAX_USERS) for (const [k, until] of userUntil) if (until <= now) userUntil.delete(k);
            userUntil.set(userKey, now + command.userCooldownMs);
          }
        }
        answer(chat, command, words.slice(1).filter((w) => w !== ''));
      };

      const subscription = source.subscribe({
        next: (event) => {
          try {
            if (event.kind === 'chat') onChat(event);
            else if (event.kind === 'control') variables.set(event.variable, event.value);
            else drops.drop('not_a_command', true);
          } catch {
            // Only a malformed event (no text, no author) gets here; it must not stop the node.
            drops.drop('error', false);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          flush();
        },
      });
      return () => {
        subscription.unsubscribe();
        store.close();
        if (pending.length > 0) drops.drop('aborted', false, pending.length);
        pending.length = 0;
      };
    });
}

interface Table {
  /** Lower-case name or alias → command. */
  readonly byWord: ReadonlyMap<string, Compiled>;
  /** The commands `!help` lists, in config order (help itself left out). */
  readonly list: readonly Compiled[];
}

function compileTable(config: TextCommandsConfig): Table {
  const byWord = new Map<string, Compiled>();
  const list: Compiled[] = [];
  const fail = (message: string) => {
    throw new Error(`text_commands config: ${message}`);
  };
  for (const [name, spec] of Object.entries(config.commands)) {
    const parts = compileReply(spec.reply, fail);
    const command: Compiled = {
      name,
      parts,
      roles: spec.roles ? new Set<Role>(['broadcaster', ...spec.roles]) : undefined,
      cooldownMs: spec.cooldown,
      userCooldownMs: spec.user_cooldown,
      counter: usesCount(parts) ? (spec.counter ?? name) : undefined,
      step: spec.increments ? 1 : 0,
      help: false,
    };
    list.push(command);
    byWord.set(name, command);
    for (const alias of spec.aliases) byWord.set(alias, command);
  }
  const help = config.help;
  if (help.command !== null) {
    const parts = compileReply(help.reply, fail);
    byWord.set(help.command, {
      name: help.command,
      parts,
      roles: undefined,
      cooldownMs: help.cooldown,
      userCooldownMs: 0,
      counter: usesCount(parts) ? help.command : undefined,
      step: 1,
      help: true,
    });
  }
  return { byWord, list };
}

function permitted(allowed: ReadonlySet<Role> | undefined, roles: readonly Role[]): boolean {
  if (allowed === undefined) return true;
  for (const role of roles) if (allowed.has(role)) return true;
  return false;
}

/**
 * Keeps a reply from being a chat command: nothing a platform reads as one at its start (the
 * chat sink's guard, {@link withoutCommandStart}: `/ban`, `.timeout`, behind spaces or invisible
 * characters), nor the prefix (the bot answering itself); at most {@link MAX_TEMPLATE} characters.
 */
export function guard(text: string, prefix: string): string {
  let out = text;
  for (;;) {
    const trimmed = withoutCommandStart(out);
    const next = trimmed.startsWith(prefix) ? trimmed.slice(prefix.length) : trimmed;
    if (next === out) break;
    out = next;
  }
  return out.length > MAX_TEMPLATE ? out.slice(0, MAX_TEMPLATE) : out;
}

