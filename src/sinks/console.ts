/**
 * `console`: one readable line per event on stdout, rate-limited, with chat-provided text made
 * harmless for the terminal.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { defineSink, type Sink } from '../core/component.js';
import { SinkWriteError, toError } from '../core/errors.js';
import type { Author, ChatflowEvent, HistogramSummary } from '../core/events.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { checkTemplate, compileTemplate, type Template } from '../core/template.js';
import { type Rate, rate } from '../core/units.js';

export const ConsoleConfig = z
  .strictObject({
    max_lines: rate()
      .prefault('20/s')
      .describe(
        'Most lines printed per period, as `N/period` (bursts up to N). Lines beyond it are dropped (counted as `rate_limited`) and summed up as one "… N more" line at most once per second.',
      ),
    format: z
      .string()
      .min(1)
      .superRefine((template, ctx) => {
        for (const message of checkTemplate(template)) ctx.addIssue({ code: 'custom', message });
      })
      .optional()
      .describe(
        'A `{{ path }}` template per event (`"{{ author.login }}: {{ text }}"`) instead of the built-in line. Substituted values are stripped of control characters and escape sequences.',
      ),
  })
  .describe('Readable lines on stdout, for watching a pipeline work.');
export type ConsoleConfig = z.output<typeof ConsoleConfig>;

/** Collaborators of {@link ConsoleSink}. */
export interface ConsoleDeps {
  /** Where lines go; default `process.stdout`. */
  readonly out?: NodeJS.WritableStream;
  /** Clock of the rate limit and timer of the "… N more" line; default {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where `rate_limited` drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
}

/** How often, at most, suppressed lines are summed up. */
const SUMMARY_EVERY_MS = 1000;

/**
 * Prints each event as one line: `[twitch] #chan user: text`, `cutoff = 0.70 (← user via
 * command)`, …; or through the `format` template. Lines beyond `max_lines` are counted as
 * intentional drops (`rate_limited`) and announced as "… N more". `write` returns at once
 * unless the output pushes back, then it waits for `drain`.
 *
 * @see formatLine, sanitize
 */
export class ConsoleSink implements Sink<ChatflowEvent> {
  readonly #id: string;
  readonly #out: NodeJS.WritableStream;
  readonly #scheduler: SchedulerLike;
  readonly #drops: DropCounter;
  readonly #format: (event: ChatflowEvent) => string;
  readonly #capacity: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #lastRefill: number;
  #suppressed = 0;
  #summary: Subscription | undefined;
  #broken: Error | undefined;
  readonly #onError = (err: Error) => {
    this.#broken = err;
  };

  constructor(id: string, config: ConsoleConfig, deps: ConsoleDeps = {}) {
    this.#id = id;
    this.#out = deps.out ?? process.stdout;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#drops = deps.drops ?? NO_DROPS;
    const template: Template | undefined = config.format ? compileTemplate(config.format, sanitize) : undefined;
    this.#format = template ?? formatLine;
    const limit: Rate = config.max_lines;
    this.#capacity = Math.max(1, limit.count);
    this.#refillPerMs = limit.count / limit.periodMs;
    this.#tokens = this.#capacity;
    this.#lastRefill = this.#scheduler.now();
  }

  async start(): Promise<void> {
    this.#out.on('error', this.#onError);
  }

  write(batch: readonly ChatflowEvent[]): void | Promise<void> {
    if (this.#broken) {
      throw new SinkWriteError(this.#id, 'The console output is closed.', { cause: this.#broken });
    }
    const now = this.#scheduler.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#lastRefill) * this.#refillPerMs);
    this.#lastRefill = now;
    let text = '';
    let suppressed = 0;
    for (const event of batch) {
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        text += `${this.#format(event)}\n`;
      } else {
        suppressed += 1;
      }
    }
    if (suppressed > 0) {
      this.#drops.drop('rate_limited', true, suppressed);
      this.#suppressed += suppressed;
      this.#summary ??= this.#scheduler.schedule(() => {
        this.#summary = undefined;
        this.#printSummary();
      }, SUMMARY_EVERY_MS);
    }
    if (text === '' || this.#out.write(text)) return;
    return this.#drained();
  }

  /** Prints a pending "… N more" at once. */
  async flush(): Promise<void> {
    this.#summary?.unsubscribe();
    this.#summary = undefined;
    this.#printSummary();
  }

  async stop(): Promise<void> {
    this.#summary?.unsubscribe();
    this.#summary = undefined;
    this.#out.removeListener('error', this.#onError);
  }

  #printSummary(): void {
    if (this.#suppressed === 0 || this.#broken) return;
    this.#out.write(`… ${this.#suppressed} more\n`);
    this.#suppressed = 0;
  }

  /** Waits for the output's `drain`; fails if it errors or closes first. */
  #drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const out = this.#out;
      const settle = (err?: unknown) => {
        out.removeListener('drain', onDrain);
        out.removeListener('error', onFail);
        out.removeListener('close', onFail);
        if (err === undefined) resolve();
        else reject(new SinkWriteError(this.#id, 'The console output is closed.', { cause: toError(err) }));
      };
      const onDrain = () => settle();
      const onFail = (err?: unknown) => settle(err ?? new Error('closed'));
      out.once('drain', onDrain);
      out.once('error', onFail);
      out.once('close', onFail);
    });
  }
}

/**
 * The built-in line of an event. Chat-provided parts (names, text, arguments, reasons) are
 * {@link sanitize}d.
 */
export function formatLine(event: ChatflowEvent): string {
  switch (event.kind) {
    case 'chat': {
      const where = `[${event.platform}] #${sanitize(event.channel)}`;
      const text = sanitize(event.text);
      return event.action ? `${where} * ${name(event.author)} ${text}` : `${where} ${name(event.author)}: ${text}`;
    }
    case 'command': {
      const args = Object.entries(event.args)
        .map(([k, v]) => `${sanitize(k)}=${sanitize(String(v))}`)
        .join(' ');
      const chat = event.chat;
      return `[${chat.platform}] #${sanitize(chat.channel)} ${name(chat.author)} → ${sanitize(event.name)}${args ? ` ${args}` : ''}`;
    }
    case 'control': {
      const who = event.by ? `← ${sanitize(event.by.login)} via ${event.origin}` : `via ${event.origin}`;
      return `${sanitize(event.variable)} = ${event.value.toFixed(2)} (${who})`;
    }
    case 'moderation': {
      const chat = event.chat;
      const reasons = event.reasons.length > 0 ? `${event.reasons.map(sanitize).join(', ')}; ` : '';
      return `[${chat.platform}] #${sanitize(chat.channel)} ${event.verdict} ${name(chat.author)} (${reasons}${event.points} points): ${sanitize(chat.text)}`;
    }
    case 'platform': {
      const by = event.author ? ` by ${name(event.author)}` : '';
      const data = Object.entries(event.data)
        .map(([k, v]) => `${sanitize(k)}=${sanitize(String(v))}`)
        .join(', ');
      return `[${event.platform}] #${sanitize(event.channel)} ${event.type}${by}${data ? ` (${data})` : ''}`;
    }
    case 'reply':
      return `[${event.platform}] #${sanitize(event.channel)} ↩ ${sanitize(event.text)}`;
    case 'metric': {
      const labels = Object.entries(event.labels)
        .map(([k, v]) => `${sanitize(k)}=${sanitize(v)}`)
        .join(',');
      const head = `${sanitize(event.name)}${labels ? `{${labels}}` : ''}`;
      if (event.summary) return `${head} ${summaryText(event.summary)}`;
      return `${head} = ${event.value === undefined ? '?' : round(event.value)}`;
    }
    case 'alert':
      return `alert ${sanitize(event.rule)} ${event.severity} ${event.state}: ${sanitize(event.message)} (${round(event.value)} vs ${round(event.threshold)})`;
  }
}

function name(author: Author): string {
  return sanitize(author.displayName || author.login);
}

function summaryText(s: HistogramSummary): string {
  return `n=${s.count} p50=${round(s.p50)} p95=${round(s.p95)} p99=${round(s.p99)} max=${round(s.max)}`;
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/**
 * Makes untrusted text safe to print on a terminal: drops ANSI/VT escape sequences (CSI, OSC,
 * DCS, …), C0 and C1 control characters and bidirectional overrides; turns tabs and line breaks
 * into spaces, so an event stays one line. Returns `text` itself when there is nothing to do.
 */
export function sanitize(text: string): string {
  const n = text.length;
  let i = 0;
  while (i < n && !isSpecial(text.charCodeAt(i))) i += 1;
  if (i === n) return text;
  let out = text.slice(0, i);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isSpecial(c)) {
      const from = i;
      while (i < n && !isSpecial(text.charCodeAt(i))) i += 1;
      out += text.slice(from, i);
    } else if (c === 0x1b || c === 0x9b || c === 0x9d || c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) {
      i = skipEscape(text, i);
    } else {
      if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) out += ' ';
      i += 1;
    }
  }
  return out;
}

/** C0, DEL, C1, bidi embeddings/overrides/isolates, and the Unicode line separators. */
function isSpecial(c: number): boolean {
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) ||
    c === 0x2028 ||
    c === 0x2029
  );
}

/** The index just past the escape sequence that starts at `i` (ESC or an 8-bit introducer). */
function skipEscape(text: string, i: number): number {
  const n = text.length;
  let c = text.charCodeAt(i);
  let j = i + 1;
  if (c === 0x1b) {
    if (j >= n) return j;
    const next = text.charCodeAt(j);
    if (next === 0x5b) c = 0x9b; // ESC [  → CSI
    else if (next === 0x5d) c = 0x9d; // ESC ]  → OSC
    else if (next === 0x50 || next === 0x58 || next === 0x5e || next === 0x5f) c = 0x90; // DCS SOS PM APC
    else {
      // nF (ESC, intermediates, final) or a two-byte Fp/Fe/Fs sequence.
      while (j < n && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j += 1;
      return j < n && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x7e ? j + 1 : j;
    }
    j += 1;
  }
  if (c === 0x9b) {
    while (j < n && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x3f) j += 1; // parameters
    while (j < n && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j += 1; // intermediates
    return j < n && text.charCodeAt(j) >= 0x40 && text.charCodeAt(j) <= 0x7e ? j + 1 : j; // final
  }
  // A control string (OSC, DCS, SOS, PM, APC): up to BEL, ST (ESC \ or 0x9c), or the end.
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 0x07 || d === 0x9c) return j + 1;
    if (d === 0x1b) return j + 1 < n && text.charCodeAt(j + 1) === 0x5c ? j + 2 : j + 1;
    j += 1;
  }
  return j;
}

export const consoleComponent = defineSink({
  type: 'console',
  summary: 'Prints one readable line per event to stdout, rate-limited.',
  description:
    'Chat, commands, control changes, moderation verdicts, platform events, replies and metrics each get a compact line. Chat-provided text is stripped of control characters and terminal escape sequences, so a message cannot move the cursor, recolour or retitle the terminal. Logs go to stderr, so stdout stays readable.',
  config: ConsoleConfig,
  driver: { bufferMax: 1000, whenFull: 'drop_oldest', batchMax: 100, batchTimeoutMs: 0 },
  examples: [
    'max_lines: 20/s',
    'max_lines: 5/s\nformat: "{{ platform }} {{ author.login }}: {{ text }}"',
    'format: "{{ variable }} -> {{ value }}"',
  ],
  create: (config, ctx) =>
    new ConsoleSink(ctx.id, config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      ...(ctx.resources.stdout ? { out: ctx.resources.stdout } : {}),
    }),
  // The real sink (rate limit and "… N more" included) printing into a stream that keeps lines.
  preview: (config, ctx, emit) => {
    const sink = new ConsoleSink(ctx.id, config, { scheduler: ctx.scheduler, drops: ctx.metrics, out: lineCatcher(emit) });
    void sink.start();
    return { write: (batch) => sink.write(batch), stop: () => sink.flush().then(() => sink.stop()) };
  },
});

/**
 * What the sink needs of its output, handing each line written to `emit` as `{ line }`: it
 * never pushes back and never fails, so no stream machinery is needed.
 */
function lineCatcher(emit: (output: { line: string }) => void): NodeJS.WritableStream {
  const out = {
    write(chunk: string | Uint8Array): boolean {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      let from = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', from)) {
        if (end > from) emit({ line: text.slice(from, end) });
        from = end + 1;
      }
      if (from < text.length) emit({ line: text.slice(from) });
      return true;
    },
    on: () => out,
    once: () => out,
    removeListener: () => out,
  };
  return out as unknown as NodeJS.WritableStream;
}
