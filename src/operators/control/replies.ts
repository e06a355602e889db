/**
 * `control`'s answers in chat (`reply`): why a viewer's command was refused (paused, locked, no
 * such variable, out of range) and, when asked for, a confirmation of what it set. Each is a
 * `{{ }}` template, its fields checked when the config is validated.
 */
import { z } from 'zod';
import type { CommandEvent, ReplyEvent } from '../../core/events.js';
import { formatReplyNumber, replyToChat } from '../../core/reply.js';
import { checkTemplateFields, compileTemplate, type Template } from '../../core/template.js';

/** The fields a control reply may use. */
export const CONTROL_REPLY_FIELDS = ['user', 'login', 'variable', 'value', 'variables', 'reason'] as const;

const template = (describe: string) =>
  z
    .string()
    .min(1)
    .max(500)
    .superRefine((text, ctx) => {
      for (const message of checkTemplateFields(text, CONTROL_REPLY_FIELDS, 'reply field')) ctx.addIssue({ code: 'custom', message });
    })
    .describe(describe);

export const ControlReplies = z
  .strictObject({
    applied: template('Sent when a command sets a variable (off when left out): `{{ user }} set {{ variable }} to {{ value }}`.').optional(),
    paused: template('Sent when viewer control is paused.').default('@{{ user }}, the mods paused the synth for now.'),
    locked: template('Sent when the variable is locked.').default('@{{ user }}, {{ variable }} is locked right now.'),
    unknown_variable: template('Sent when the command names no declared variable.').default(
      '@{{ user }}, there is no {{ variable }}; try {{ variables }}.',
    ),
    out_of_range: template('Sent when the value lies outside the variable\'s input range (`out_of_range: refuse`).').default(
      '@{{ user }}, {{ value }} is out of range for {{ variable }}.',
    ),
  })
  .describe(
    'Answers in chat, on port `_reply` (for the `chat` sink), for commands from chat (never for votes). Fields: `{{ user }}` (display name), `{{ login }}`, `{{ variable }}`, `{{ value }}` (as typed for a refusal; the new value, in output units, for `applied`), `{{ variables }}` (the declared ones), `{{ reason }}` (the drop reason).',
  );
export type ControlReplies = z.output<typeof ControlReplies>;

/** What `control` tells of a command it applied or refused, for {@link replyMaker}. */
export interface Answer {
  readonly outcome: 'applied' | 'paused' | 'locked' | 'unknown_variable' | 'out_of_range';
  readonly variable: string | undefined;
  readonly value: number | undefined;
}

/** The reply port. */
export const CONTROL_REPLY_PORT = '_reply';

/** Builds the reply for an answer, or undefined when none is configured for it. */
export function replyMaker(replies: ControlReplies, declared: readonly string[]): (event: CommandEvent, answer: Answer) => ReplyEvent | undefined {
  const templates: Partial<Record<Answer['outcome'], Template>> = {
    paused: compileTemplate(replies.paused),
    locked: compileTemplate(replies.locked),
    unknown_variable: compileTemplate(replies.unknown_variable),
    out_of_range: compileTemplate(replies.out_of_range),
    ...(replies.applied === undefined ? {} : { applied: compileTemplate(replies.applied) }),
  };
  const variables = declared.join(', ');
  return (event, answer) => {
    const render = templates[answer.outcome];
    if (render === undefined) return undefined;
    const author = event.chat.author;
    const text = render({
      user: author.displayName,
      login: author.login,
      variable: answer.variable ?? '',
      value: answer.value === undefined ? '' : formatReplyNumber(answer.value),
      variables,
      reason: answer.outcome,
    });
    return replyToChat(event.chat, text);
  };
}

