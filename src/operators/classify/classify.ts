/**
 * `classify`: tags each chat message with a category (`question`, `command`, `greeting`,
 * `emote_only`, `link` or `other`) and sends it to that category's port.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { type Category, compileClassifier } from './classifier.js';
import type { ClassifyConfig } from './config.js';

/** Collaborators of {@link classify}. */
export interface ClassifyDeps {
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
}

/** A chat event under construction. */
type Draft = { -readonly [K in keyof ChatEvent]: ChatEvent[K] };

/**
 * Sets `category` on each chat event (a new object; the input is not changed) and sends it to
 * the port of that category. Other events (commands, platform events…) go to the default
 * port only, unchanged.
 *
 * ```text
 * a: "!cv cutoff 0.7"   b: "what song is this"   c: "hi chat"   d: "Kappa" (an emote)
 * e: "what a play!"     f: "see clips.twitch.tv/x"
 * source:   -a-b-c-d-e-f-|
 * result:   -A-Q-G-E-O-L-|    A: command, Q: question, G: greeting, E: emote_only,
 *                             O: other, L: link (each with `category` set)
 * ```
 *
 * Priority, when a message fits several: `command` > `link` > `question` > `greeting` >
 * `emote_only` > `other`. Questions and greetings are found in English, Russian, Spanish,
 * German and Portuguese (see docs/classification.md for the rules and their edge cases).
 * Detection reads `text` (normalized when `normalize` ran before) and folds it itself: case
 * and diacritics only, as normalize's `folded` maps Cyrillic to Latin look-alikes. Emotes
 * (from `emotes` ranges), @mentions and links are left out of the words. The classifier is
 * stateless, so subscriptions share nothing. A malformed chat event (no text) is dropped and
 * counted as `error`.
 *
 * @param config The parsed {@link ClassifyConfig}.
 * @param deps Drop counter.
 * @see route, to send messages elsewhere by other fields.
 * @see parse_command, which turns the `command` port's messages into typed commands.
 */
export function classify(config: ClassifyConfig, deps: ClassifyDeps = {}): OperatorFunction<ChatflowEvent, Routed> {
  const drops = deps.drops ?? NO_DROPS;
  const classifier = compileClassifier({
    categories: config.categories,
    prefixes: typeof config.prefix === 'string' ? [config.prefix] : config.prefix,
    languages: config.languages,
    extraQuestionOpeners: config.extra_question_openers,
    extraGreetings: config.extra_greetings,
  });

  return (source) =>
    new Observable<Routed>((subscriber) =>
      source.subscribe({
        next: (event) => {
          if (event.kind !== 'chat') {
            subscriber.next({ port: '', event });
            return;
          }
          let category: Category;
          try {
            category = classifier(event);
          } catch {
            // Only a malformed event (no text, emotes not a list) gets here.
            drops.drop('error', false);
            return;
          }
          let out: ChatEvent = event;
          if (event.category !== category) {
            // Object.assign, then a plain store: faster than a spread on the hot path (see normalize).
            const draft: Draft = Object.assign({}, event);
            draft.category = category;
            out = draft;
          }
          subscriber.next({ port: category, event: out });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
