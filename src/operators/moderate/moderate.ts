/**
 * `moderate`: chat moderation as an operator. Rules catch messages (banned words and regexes,
 * links, caps, symbols, zalgo, emotes, length, repetition, copypasta), escalation turns repeat
 * offenders' points into harsher verdicts, flood protection switches to strict limits during a
 * spike of first-time chatters, and moderators can `!permit` links and `!nuke` phrases.
 * See docs/moderation.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Routed } from '../../core/component.js';
import { PipelineError } from '../../core/errors.js';
import type { ChatEvent, ChatflowEvent, ModerationEvent, Role, Verdict } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { GenerationMap } from '../shared/limits.js';
import { findLink } from '../shared/links.js';
import { codePointLength, foldText } from '../shared/text.js';
import { ActiveNukes, parseModCommand, RecentMessages } from './commands.js';
import { MODERATE_PORTS, type ModerateConfig, SHADOW_REASON } from './config.js';
import { addPoints, escalated, type Points } from './escalation.js';
import { type FloodConfig, SpikeDetector } from './flood.js';
import { CopypastaIndex, newRepeatHistory, type RepeatHistory, recordRepeat, textHash } from './repeat.js';
import { isExemptChat, type RuleBase, roleMask, ruleBase, scaled, scaledCount, severer } from './rule.js';
import { isZalgo, measureShape, tooManyCapsIn, tooManySymbolsIn } from './shape.js';
import { oneAsLFolded, visualFolded } from './variants.js';
import { compileWords, parseWordFile, type WordMatcher } from './words.js';

const NUKE_REASON = 'nuke';
const NUKE_REASONS: readonly string[] = [NUKE_REASON];
const NUKE_COUNTER = `moderated_${NUKE_REASON}`;
const VERDICT_COUNTERS: Readonly<Record<Verdict, string>> = {
  allow: 'verdict_allow',
  flag: 'verdict_flag',
  delete: 'verdict_delete',
  timeout: 'verdict_timeout',
  ban: 'verdict_ban',
};

/** Where `moderate` counts: drops, counts by reason and verdict, and the strict-mode gauge. */
export interface ModerationMetrics extends DropCounter {
  count(name: string, n?: number): void;
  gauge(name: string, value: number): void;
}

const NO_METRICS: ModerationMetrics = { ...NO_DROPS, count: () => {}, gauge: () => {} };

/** Collaborators of {@link moderate}. */
export interface ModerateDeps {
  /** Clock and the strict-mode timer; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** The node's metrics in a pipeline. */
  readonly metrics?: ModerationMetrics;
  /** Strict mode, nukes and permits are logged here at info. */
  readonly logger?: Logger;
  /** Directory `words.file` is relative to (the pipeline file's). */
  readonly baseDir?: string;
}

interface RegexRule extends RuleBase {
  readonly regex: RegExp;
  readonly onFolded: boolean;
}

/** The per-author state of one subscription. */
interface UserState {
  readonly points: Points;
  repeats: RepeatHistory | undefined;
}

/** Reads `words.file`; a failure refuses the config (exit 78 at start). */
function loadWords(config: ModerateConfig, baseDir: string): readonly string[] {
  const words = config.words;
  if (!words) return [];
  if (words.file === undefined) return words.list;
  const path = resolve(baseDir, words.file);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PipelineError('ERR_CONFIG_IO', 'config', `moderate: cannot read words.file ${path}`, { cause: err });
  }
  return [...words.list, ...parseWordFile(content)];
}

/**
 * Moderates chat: each chat message either passes on `clean`, unchanged, or gets a
 * {@link ModerationEvent} (verdict, reasons, points) on `flagged`. Every other event passes on
 * `clean`.
 *
 * ```text
 * words: { list: [badword] }, links: block
 * a: "hello"   b: "b4dw0rd"   c: "see example dot com"
 * source:   -a-b-c-|
 * result:   -x-y-z-|    x: clean a, y: flagged delete [banned_word], z: flagged delete [links]
 * ```
 *
 * Text rules match `folded` (put `normalize` first; without it the text is folded here), zalgo
 * and length look at `originalText`. The verdict is the severest of every rule that caught the
 * message and of escalation. State (authors, permits, copies, nukes, strict mode) is per
 * subscription and bounded; time is read from the scheduler only.
 *
 * Counts: `moderated_<reason>` for each reason of each verdict, `verdict_<verdict>`, `shadowed`
 * (shadow mode), `strict_mode_on` / `strict_mode_off` and the `strict_mode` gauge. Moderator
 * commands are consumed and dropped as `mod_command`; a malformed event is dropped as `error`.
 *
 * @param config The parsed {@link ModerateConfig}.
 * @param deps Scheduler, metrics, logger and the base directory for `words.file`.
 * @see normalize
 */
export function moderate(config: ModerateConfig, deps: ModerateDeps = {}): OperatorFunction<ChatflowEvent, Routed> {
  const { scheduler = asyncScheduler, metrics = NO_METRICS, logger, baseDir = process.cwd() } = deps;

  // ----- compiled once per node -----
  const words = config.words;
  const wordMatcher: WordMatcher | undefined = words ? compileWords(loadWords(config, baseDir)) : undefined;
  const wordsRule = words ? ruleBase('banned_word', words) : undefined;
  const regexRules: readonly RegexRule[] = config.regex.map((r) => ({
    ...ruleBase(r.name, r),
    regex: new RegExp(r.pattern, r.flags),
    onFolded: r.on === 'folded',
  }));
  const maxInput = config.regex_max_input;
  const links = config.links;
  const linksRule = links ? ruleBase('links', links) : undefined;
  const allowedHosts = links ? links.allow.map((d) => foldText(d.trim()).replace(/^\*?\./, '')) : [];
  const permitRoles: ReadonlySet<Role> = new Set(links?.permit.roles ?? []);
  const caps = config.caps;
  const capsRule = caps ? ruleBase('caps', caps) : undefined;
  const symbols = config.symbols;
  const symbolsRule = symbols ? ruleBase('symbols', symbols) : undefined;
  const zalgo = config.zalgo;
  const zalgoRule = zalgo ? ruleBase('zalgo', zalgo) : undefined;
  const emotes = config.emotes;
  const emotesRule = emotes ? ruleBase('emotes', emotes) : undefined;
  const length = config.length;
  const lengthRule = length ? ruleBase('length', length) : undefined;
  const repetition = config.repetition;
  const repetitionRule = repetition ? ruleBase('repetition', repetition) : undefined;
  const copypasta = config.copypasta;
  const copypastaRule = copypasta ? ruleBase('copypasta', copypasta) : undefined;
  const escalation = config.escalation;
  const firstTime = config.first_time;
  const flood = config.flood;
  const nuke = config.nuke;
  const nukeRoles: ReadonlySet<Role> = new Set(nuke?.roles ?? []);
  const nukeExempt: ReadonlySet<Role> = new Set(nuke?.exempt ?? []);
  const nukeExemptMask = roleMask(nuke?.exempt ?? []);
  const textRules = wordMatcher !== undefined || links !== undefined || regexRules.length > 0 || nuke !== undefined;
  const needsUser = repetition !== undefined || escalation !== undefined || firstTime?.unseen === true;
  /**
   * How long an author's state matters after their last message: repeats for their window,
   * points until ten half-lives have taken them under 0.1 %. Remembering who was seen (for
   * `first_time.unseen`) matters for as long as memory allows.
   */
  const userAgeMs =
    firstTime?.unseen === true
      ? Number.POSITIVE_INFINITY
      : Math.max(repetition?.window ?? 0, escalation ? 10 * escalation.half_life : 0);
  const commandNames = { permit: links?.permit.command, nuke: nuke?.command };
  const hasCommands = links !== undefined || nuke !== undefined;
  const prefix = config.command_prefix;
  const { shadow, on_flag: onFlag } = config;

  return (source) =>
    new Observable<Routed>((subscriber) => {
      // ----- per-subscription state -----
      const startedAt = scheduler.now();
      /** Authors per platform, keyed by login (the event's own string: no key is built). */
      const users = new Map<string, GenerationMap<UserState>>();
      const permits = new GenerationMap<number>(1000);
      let permitCount = 0;
      const copies = copypasta
        ? new CopypastaIndex(copypasta.max_recent, copypasta.window, copypasta.similarity)
        : undefined;
      const spikes = flood ? new SpikeDetector(flood.first_timers, flood.window) : undefined;
      const nukes = nuke ? new ActiveNukes(nuke.max_active) : undefined;
      const recent = nuke ? new RecentMessages(nuke.max_recent) : undefined;
      let strict = false;
      let strictUntil = 0;
      let strictTimer: Subscription | undefined;

      // The decision being made (one message at a time).
      const reasons: string[] = [];
      let verdict: Verdict = 'allow';
      let points = 0;
      let mask = 0;
      const applies = (rule: RuleBase | undefined): rule is RuleBase =>
        rule !== undefined && (rule.exemptMask & mask) === 0;
      const caught = (rule: RuleBase): void => {
        reasons.push(rule.reason);
        metrics.count(rule.counter);
        verdict = severer(verdict, rule.action);
        points += rule.points;
      };

      const clean = (event: ChatflowEvent): void => subscriber.next({ port: MODERATE_PORTS.clean, event });

      /** Sends a decision to `flagged` and counts it; true when the chat may still pass. */
      const report = (chat: ChatEvent, decided: Verdict, why: readonly string[], total: number): boolean => {
        metrics.count(VERDICT_COUNTERS[decided]);
        if (shadow) metrics.count('shadowed');
        const event: ModerationEvent = {
          kind: 'moderation',
          verdict: shadow ? 'allow' : decided,
          reasons: shadow ? [...why, SHADOW_REASON, `would_${decided}`] : why.slice(),
          points: Math.round(total * 100) / 100,
          chat,
          receivedAt: chat.receivedAt,
        };
        subscriber.next({ port: MODERATE_PORTS.flagged, event });
        return shadow || (decided === 'flag' && onFlag === 'pass');
      };

      /** At the end of strict mode's duration: off, or on for the rest when a spike extended it. */
      const strictTick = (): void => {
        const left = strictUntil - scheduler.now();
        if (left > 0) {
          strictTimer = scheduler.schedule(strictTick, left);
          return;
        }
        strict = false;
        strictTimer = undefined;
        metrics.count('strict_mode_off');
        metrics.gauge('strict_mode', 0);
        logger?.info({}, 'Strict mode off.');
      };

      const strictOn = (f: FloodConfig, now: number): void => {
        strictUntil = now + f.duration;
        if (strict) return;
        strict = true;
        strictTimer = scheduler.schedule(strictTick, f.duration);
        metrics.count('strict_mode_on');
        metrics.gauge('strict_mode', 1);
        logger?.info(
          { firstTimers: f.first_timers, windowMs: f.window, durationMs: f.duration },
          'Strict mode on: a spike of first-time chatters.',
        );
      };

      /** Handles a moderator command; true when `chat` was one (and is consumed). */
      const command = (chat: ChatEvent, now: number): boolean => {
        const cmd = parseModCommand(chat.text, prefix, commandNames);
        if (cmd === undefined) return false;
        if (cmd.kind === 'permit') {
          if (!isExemptChat(chat, permitRoles) || !links) return false;
          permits.expire(now, links.permit.duration);
          permits.set(`${chat.platform}:${cmd.login}`, now + links.permit.duration, now);
          permitCount++;
          logger?.info(
            { permit: { login: cmd.login, platform: chat.platform, durationMs: links.permit.duration } },
            'Links permitted.',
          );
        } else if (cmd.kind === 'nuke') {
          if (!nuke || !nukes || !recent || !isExemptChat(chat, nukeRoles)) return false;
          const durationMs = Math.min(cmd.durationMs ?? nuke.duration, nuke.max_duration);
          const matcher = nukes.add(cmd.phrase, now + durationMs);
          let removed = 0;
          for (const r of recent.since(now - nuke.lookback)) {
            if (r.nuked || isExemptChat(r.chat, nukeExempt)) continue;
            if (!r.texts.some((t) => matcher.match(t) !== undefined)) continue;
            r.nuked = true;
            removed++;
            metrics.count(NUKE_COUNTER);
            report(r.chat, 'delete', NUKE_REASONS, 0);
          }
          logger?.info({ nuke: { phrase: cmd.phrase, durationMs, removed } }, 'Nuke started.');
        } else if (!isExemptChat(chat, permitRoles) && !isExemptChat(chat, nukeRoles)) {
          return false;
        }
        metrics.drop('mod_command', true);
        return true;
      };

      /** The state of the author of `chat`, created when new (`created` tells). */
      let created = false;
      const userOf = (chat: ChatEvent, now: number): UserState => {
        let byLogin = users.get(chat.platform);
        if (byLogin === undefined) {
          byLogin = new GenerationMap<UserState>(config.max_users);
          users.set(chat.platform, byLogin);
        }
        const login = chat.author.login;
        byLogin.expire(now, userAgeMs);
        let state = byLogin.touch(login, now);
        created = state === undefined;
        if (state === undefined) {
          state = { points: { points: 0, at: now }, repeats: undefined };
          byLogin.set(login, state, now);
        }
        return state;
      };

      const handle = (chat: ChatEvent): void => {
        const now = scheduler.now();
        const text = chat.text;
        // History replayed at connect never triggers a command (a nuke from an hour ago).
        if (hasCommands && chat.backfill !== true && text.startsWith(prefix) && command(chat, now)) return;

        const original = chat.originalText ?? text;
        const folded = chat.folded ?? foldText(text);
        mask = roleMask(chat.author.roles);

        // Who: state, first time, strictness.
        const state = needsUser ? userOf(chat, now) : undefined;
        const first =
          chat.firstMessage === true ||
          (firstTime?.unseen === true && created && state !== undefined && now - startedAt >= firstTime.warmup);
        if (first && flood && chat.backfill !== true && spikes?.arrive(now) === true) strictOn(flood, now);
        let strictness = first && firstTime ? firstTime.multiplier : 1;
        if (strict && flood && flood.multiplier < strictness) strictness = flood.multiplier;

        // Texts for the text rules: folded, plus the tricks folding cannot undo.
        let texts: string[] | undefined;
        if (textRules) {
          const visual = visualFolded(original);
          const ones = oneAsLFolded(text);
          texts = [folded];
          if (visual !== undefined) texts.push(visual);
          if (ones !== undefined) texts.push(ones);
        }

        reasons.length = 0;
        verdict = 'allow';
        points = 0;

        if (applies(lengthRule) && length) {
          const max = scaledCount(length.max, strictness);
          if (original.length > max && codePointLength(original) > max) caught(lengthRule);
        }
        if (applies(emotesRule) && emotes && chat.emotes.length > scaledCount(emotes.max, strictness, 0)) {
          caught(emotesRule);
        }
        const capsOn = applies(capsRule) && caps !== undefined;
        const symbolsOn = applies(symbolsRule) && symbols !== undefined;
        if (capsOn || symbolsOn) {
          const shape = measureShape(text);
          if (capsOn && caps && tooManyCapsIn(shape, scaled(caps.max_ratio, strictness), caps.min_letters)) {
            caught(capsRule as RuleBase);
          }
          if (symbolsOn && symbols && tooManySymbolsIn(shape, scaled(symbols.max_ratio, strictness), symbols.min_length)) {
            caught(symbolsRule as RuleBase);
          }
        }
        if (
          applies(zalgoRule) &&
          zalgo &&
          isZalgo(
            original,
            scaled(zalgo.max_marks_per_char, strictness),
            scaledCount(zalgo.max_stack, strictness),
            zalgo.min_marks,
          )
        ) {
          caught(zalgoRule);
        }
        if (texts !== undefined) {
          if (applies(linksRule) && links && !permitted(chat, now)) {
            for (const t of texts) {
              if (findLink(t, allowedHosts, links.obfuscated) !== undefined) {
                caught(linksRule);
                break;
              }
            }
          }
          if (applies(wordsRule) && wordMatcher) {
            for (const t of texts) {
              if (wordMatcher.match(t) !== undefined) {
                caught(wordsRule);
                break;
              }
            }
          }
          for (const rule of regexRules) {
            if (!applies(rule)) continue;
            if (rule.onFolded) {
              for (const t of texts) {
                if (rule.regex.test(t.length > maxInput ? t.slice(0, maxInput) : t)) {
                  caught(rule);
                  break;
                }
              }
            } else if (rule.regex.test(text.length > maxInput ? text.slice(0, maxInput) : text)) {
              caught(rule);
            }
          }
          if (nukes && nukes.size > 0 && (nukeExemptMask & mask) === 0 && nukes.matches(texts, now)) {
            reasons.push(NUKE_REASON);
            metrics.count(NUKE_COUNTER);
            verdict = severer(verdict, 'delete');
          }
        }
        if (
          applies(repetitionRule) &&
          repetition &&
          state &&
          !(repetition.ignore_commands && text.startsWith(prefix))
        ) {
          state.repeats ??= newRepeatHistory();
          const same = recordRepeat(state.repeats, textHash(folded), now, repetition.window, repetition.count);
          if (same >= scaledCount(repetition.count, strictness, 2)) caught(repetitionRule);
        }
        if (
          applies(copypastaRule) &&
          copypasta &&
          copies &&
          folded.length >= copypasta.min_length &&
          copies.check(folded, `${chat.platform}:${chat.author.login}`, now, scaledCount(copypasta.users, strictness, 2))
        ) {
          caught(copypastaRule);
        }

        let passes = true;
        if (reasons.length > 0) {
          if (escalation && state && points > 0) {
            points = addPoints(state.points, points, now, escalation.half_life);
            verdict = severer(verdict, escalated(points, escalation, strictness));
          }
          passes = report(chat, verdict, reasons, points);
        }
        if (passes) {
          if (recent && texts) recent.add(chat, texts, now);
          clean(chat);
        }
      };

      /** Whether the author of `chat` holds a link permit at `now`. */
      const permitted = (chat: ChatEvent, now: number): boolean => {
        if (permitCount === 0) return false;
        const until = permits.get(`${chat.platform}:${chat.author.login}`);
        return until !== undefined && until > now;
      };

      const subscription = source.subscribe({
        next: (event) => {
          if (event.kind !== 'chat') {
            clean(event);
            return;
          }
          try {
            handle(event);
          } catch {
            // Only a malformed event (no text, no author) gets here; it must not stop moderation.
            metrics.drop('error', false);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });

      return () => {
        subscription.unsubscribe();
        strictTimer?.unsubscribe();
      };
    });
}
