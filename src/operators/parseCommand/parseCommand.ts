/**
 * `parse_command`: turns chat such as `!cv cutoff 0.7` into typed command events, one output
 * port per command, with viewer-readable replies for commands that do not parse.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Routed } from '../../core/component.js';
import type { OutcomeReporter } from '../../core/commandOutcomes.js';
import { type ChatEvent, type ChatflowEvent, type CommandArg, type CommandEvent, redemptionChat } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { lookup, matchPrefix, parseArg, permitted, skipSpaces, tokenEnd, trimEnd } from './args.js';
import { PARSE_COMMAND_PORTS, type ParseCommandConfig } from './config.js';
import { replyToChat } from '../../core/reply.js';
import { compileTable, renderReply } from './table.js';

/** Longest command or alias name; longer words are never looked up. */
const MAX_NAME = 32;

/** Collaborators of {@link parseCommand}. */
export interface ParseCommandDeps {
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /**
   * Current value of a control variable, for `{var.<name>}` in reply templates; undefined
   * when unknown (rendered `?`). Left out, every `{var.…}` renders `?`.
   */
  readonly variables?: (name: string) => number | undefined;
  /** Told of each redemption's command refused here (`COMMAND_OUTCOMES` in a pipeline). */
  readonly outcomes?: OutcomeReporter;
}

/**
 * Recognises commands in chat text and sends each as a typed {@link CommandEvent} to the port
 * named after the command; commands that do not parse, or that the author may not use, become a
 * {@link ReplyEvent} on `_invalid` (and count as a drop); everything else goes to `_unmatched`.
 *
 * ```text
 * commands: { cv: { args: [name, "value:number(0..1)"] } }
 * a: "!cv cutoff 0.7"   b: "hello"   c: "!CV cutoff 2"
 * source:   -a-b-c-|
 * result:   -x-u-i-|      x: cv {name: cutoff, value: 0.7}, u: _unmatched b,
 *                         i: _invalid "value takes a number 0–1 (usage: !cv <name> <value 0–1>)"
 * ```
 *
 * The command table is compiled once per node; a chat line costs a prefix check, one or two
 * map lookups and a scan of the words it needs, with no regular expression. Matching reads
 * `text` (normalized or not); command names are case-insensitive; words past the last arg are
 * ignored; backfilled history and the bot's own messages (`self`) never trigger a command. Whitespace includes Unicode spaces and
 * the invisible tag characters some chat clients append to dodge duplicate-message checks.
 *
 * A command with `reply` also sends a ReplyEvent to `_reply` after its command event.
 * `{count}` counts per subscription. Commands answered on `_invalid` are counted as drops
 * `missing_args`, `invalid_args` or `forbidden`; a malformed event is dropped as `error`. A
 * `variables` lookup that throws errors the stream (it is injected code, not chat).
 *
 * A channel-points `redemption` platform event that `twitch_events` mapped to a command
 * (`data.command`, e.g. `cv cutoff 0.8`) is parsed as that text sent by the redeemer (the
 * prefix may be left out), so it becomes the same command event; its chat carries the
 * `redemption`, and a refusal here (`missing_args`, `invalid_args`, `forbidden`,
 * `unknown_command`) is reported to `deps.outcomes` so the redemption is refunded.
 *
 * @param config Parsed config.
 * @param deps Drop counter and the `{var.…}` lookup.
 * @see control, which turns `cv` commands into control voltages.
 * @see vote, which turns `vote` commands into one value per window.
 */
export function parseCommand(
  config: ParseCommandConfig,
  deps: ParseCommandDeps = {},
): OperatorFunction<ChatflowEvent, Routed> {
  const drops = deps.drops ?? NO_DROPS;
  const variables = deps.variables;
  const outcomes = deps.outcomes;
  const table = compileTable(config, (path, message) => {
    throw new Error(`parse_command config at ${path.join('.')}: ${message}`);
  });
  const { commands, prefixes, size } = table;

  return (source) =>
    new Observable<Routed>((subscriber) => {
      // Per-subscription state: how often each command (by index) parsed.
      const counts = new Array<number>(size).fill(0);

      const unmatched = (event: ChatflowEvent): void => {
        subscriber.next({ port: PARSE_COMMAND_PORTS.unmatched, event });
      };

      const invalid = (chat: ChatEvent, text: string, reason: string): true => {
        drops.drop(reason, true);
        outcomes?.(chat, 'refused', reason);
        subscriber.next({ port: PARSE_COMMAND_PORTS.invalid, event: replyToChat(chat, text) });
        return true;
      };

      /** Sends a command (or why it is invalid); false when the chat is not a command. */
      const handle = (chat: ChatEvent): boolean => {
        const text = chat.text;
        const end = text.length;
        let pos = skipSpaces(text, 0, end);
        const prefixLength = matchPrefix(prefixes, text, pos);
        // A redemption's command text may leave the prefix out.
        // Backfilled history and the bot's own messages never run a command (a reply that
        // starts with the prefix must not answer itself in a loop).
        if ((prefixLength === 0 && chat.redemption === undefined) || chat.backfill === true || chat.self === true) {
          return false;
        }
        pos += prefixLength;
        let wordEnd = tokenEnd(text, pos, end);
        if (wordEnd === pos || wordEnd - pos > MAX_NAME) return false;
        let command = lookup(commands, text.slice(pos, wordEnd));
        if (!command) return false;
        pos = skipSpaces(text, wordEnd, end);

        if (command.subcommands && pos < end) {
          wordEnd = tokenEnd(text, pos, end);
          const sub = wordEnd - pos <= MAX_NAME ? lookup(command.subcommands, text.slice(pos, wordEnd)) : undefined;
          if (sub) {
            command = sub;
            pos = skipSpaces(text, wordEnd, end);
          }
        }
        if (command.roles && !permitted(command.roles, chat.author.roles)) {
          return invalid(chat, command.forbidden, 'forbidden');
        }

        const argsStart = pos;
        const args: Record<string, CommandArg> = {};
        for (const arg of command.args) {
          if (pos >= end) {
            if (arg.optional) break;
            return invalid(chat, command.usage, 'missing_args');
          }
          let value: CommandArg | undefined;
          if (arg.type === 'rest') {
            value = text.slice(pos, trimEnd(text, pos, end));
            pos = end;
          } else {
            wordEnd = tokenEnd(text, pos, end);
            value = parseArg(arg, text.slice(pos, wordEnd));
            pos = skipSpaces(text, wordEnd, end);
          }
          if (value === undefined) return invalid(chat, arg.complaint, 'invalid_args');
          args[arg.name] = value;
        }
        if (command.subcommand !== undefined) args.subcommand = command.subcommand;

        const count = (counts[command.index] ?? 0) + 1;
        counts[command.index] = count;
        const event: CommandEvent = {
          kind: 'command',
          name: command.port,
          args,
          chat,
          receivedAt: chat.receivedAt,
        };
        subscriber.next({ port: command.port, event });
        if (command.reply) {
          let rendered: string;
          try {
            rendered = renderReply(command.reply, chat, text, argsStart, args, count, variables);
          } catch (err) {
            // Only the injected `variables` lookup can throw here: a bug, not bad chat.
            subscriber.error(err);
            return true;
          }
          subscriber.next({ port: PARSE_COMMAND_PORTS.reply, event: replyToChat(chat, rendered) });
        }
        return true;
      };

      return source.subscribe({
        next: (event) => {
          try {
            if (event.kind === 'chat') {
              if (!handle(event)) unmatched(event);
            } else if (event.kind === 'platform' && event.type === 'redemption') {
              const chat = redemptionChat(event);
              if (chat === undefined) unmatched(event);
              else if (!handle(chat)) {
                // Passed on to `_unmatched` like any other event, but the redemption is refunded.
                outcomes?.(chat, 'refused', 'unknown_command');
                unmatched(event);
              }
            } else unmatched(event);
          } catch {
            // Only a malformed event (no text, no author) gets here; it must not stop parsing.
            drops.drop('error', false);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
