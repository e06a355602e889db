/**
 * `chatflow`: run | validate | graph | schema | migrate | reingest | tap | top | whatif | auth. Returns an exit code (src/cli/exitCodes.ts).
 */
import { readFileSync } from 'node:fs';
import { authCommand } from './cli/authCommand.js';
import type { CommandIo } from './cli/commandIo.js';
import { EXIT } from './cli/exitCodes.js';
import { graphCommand } from './cli/graphCommand.js';
import { migrateCommand } from './cli/migrateCommand.js';
import { type OptionSpecs, parseOptions } from './cli/parseOptions.js';
import { reingestCommand } from './cli/reingestCommand.js';
import { runCommand } from './cli/runCommand.js';
import { schemaCommand } from './cli/schemaCommand.js';
import { validateCommand } from './cli/validateCommand.js';
import { whatIfCommand } from './cli/whatIfCommand.js';
import { apiTarget } from './cli/apiClient.js';
import { tapCommand } from './cli/tapCommand.js';
import { topCommand } from './cli/topCommand.js';
import { TOP_SORTS, type TopSort } from './cli/topTable.js';
import { suggest } from './core/suggest.js';

interface Command {
  readonly summary: string;
  readonly usage: string;
  /** Stops cleanly on `io.shutdown` by itself; other commands are cut short with 130. */
  readonly stopsOnShutdown?: true;
  readonly options: OptionSpecs;
  readonly run: (
    positionals: readonly string[],
    values: Record<string, string | boolean | undefined>,
    io: CommandIo,
  ) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'Run a pipeline until SIGINT/SIGTERM (or until every source has ended).',
    usage: `chatflow run [file] [--quiet] [--strict]

  file      the pipeline (default: ./pipeline.yaml)
  --quiet   no live status line
  --strict  exit 74 if any event was lost (a full buffer, retries exhausted, the flush deadline…)

The last line says what the run lost, by node and reason ("Lost 12 events: history buffer_full 12."),
or "Nothing lost.".

Exit codes: 0 stopped cleanly (also by a signal during start-up: what had started is stopped; also when\nevents were lost, without --strict), 74 events were lost (--strict), 78 invalid pipeline (or server.listen\nin use, or a component refusing its config at start), 130 second signal (no flush), 70 internal error.`,
    options: { quiet: { type: 'boolean' }, strict: { type: 'boolean' } },
    stopsOnShutdown: true,
    run: (p, v, io) => runCommand(p[0] ?? 'pipeline.yaml', { quiet: v.quiet === true, strict: v.strict === true }, io),
  },
  validate: {
    summary: 'Check a pipeline and report every problem with its position.',
    usage: `chatflow validate [file] [--strict]

  --strict  treat warnings (orphan node, dead-end port, unused command, unsettable variable, …) as failures

Exit codes: 0 valid, 1 warnings with --strict, 78 errors.`,
    options: { strict: { type: 'boolean' } },
    run: (p, v, io) => validateCommand(p[0] ?? 'pipeline.yaml', { strict: v.strict === true }, io),
  },
  graph: {
    summary: 'Print the pipeline graph as Mermaid (default) or Graphviz dot.',
    usage: `chatflow graph [file] [--format mermaid|dot]

Exit codes: 0 printed, 78 invalid pipeline, 64 unknown format.`,
    options: { format: { type: 'string', default: 'mermaid' } },
    run: (p, v, io) => graphCommand(p[0] ?? 'pipeline.yaml', String(v.format), io),
  },
  schema: {
    summary: 'Print the JSON Schema of pipeline.yaml (for editors).',
    usage: `chatflow schema

Exit codes: 0.`,
    options: {},
    run: (_p, _v, io) => schemaCommand(io),
  },
  migrate: {
    summary: "Apply pending database migrations to the pipeline's PostgreSQL.",
    usage: `chatflow migrate [file] [--url URL] [--only NNN_name.sql]

  file      the pipeline whose resources.postgres.url is used (default: ./pipeline.yaml)
  --url     a PostgreSQL URL instead
  --only    apply one migration file

Exit codes: 0 migrated (or nothing to do), 78 invalid pipeline, 70 database unavailable or a migration failed.`,
    options: { url: { type: 'string' }, only: { type: 'string' } },
    run: (p, v, io) =>
      migrateCommand(
        p[0] ?? 'pipeline.yaml',
        { url: typeof v.url === 'string' ? v.url : undefined, only: typeof v.only === 'string' ? v.only : undefined },
        io,
      ),
  },
  reingest: {
    summary: "Write a postgres sink's dead-letter JSONL file into PostgreSQL (rows already stored are skipped).",
    usage: `chatflow reingest <file> [--pipeline FILE] [--url URL]

  file        the dead-letter file (.chatflow/dead-letters/<node>.jsonl)
  --pipeline  the pipeline whose resources.postgres.url is used (default: ./pipeline.yaml)
  --url       a PostgreSQL URL instead

Exit codes: 0 re-ingested, 64 no file given or the file cannot be read (nothing is started), 65 some lines\nwere malformed and skipped (each is named with its line number; the rest was stored), 78 invalid pipeline,\n70 database unavailable.`,
    options: { pipeline: { type: 'string', default: 'pipeline.yaml' }, url: { type: 'string' } },
    run: async (p, v, io) => {
      if (p[0] === undefined) {
        io.stderr.write('chatflow reingest: which file? (chatflow reingest <file>)\n');
        return EXIT.usage;
      }
      return reingestCommand(p[0], { pipeline: String(v.pipeline), url: typeof v.url === 'string' ? v.url : undefined }, io);
    },
  },
  tap: {
    summary: 'Stream the events leaving nodes of a running instance (pretty in a terminal, else JSON lines).',
    usage: `chatflow tap <node[.port]>… [--url URL] [--token T] [--match RE] [--rate N/s] [--sample F] [--json]

  node[.port]  what to watch: a node's default output, or one of its named ports (cmds.cv)
  --url        the instance (default: http://127.0.0.1:8080, its server.listen)
  --token      server.token, when set (default: $CHATFLOW_TOKEN)
  --match      only events whose text matches this regular expression
  --rate       at most N events per second (50/s); the rest are dropped and counted
  --sample     keep this fraction of events, evenly spread (0.1: every tenth)
  --json       JSON lines even in a terminal

A tap follows its node through reloads. Drops (over --rate, a terminal that fell behind, the tap's
full queue) are counted on stderr; the pipeline never waits for a tap.

Exit codes: 0 stopped with Ctrl-C, 64 no node given, an unknown node or port (with a did-you-mean) or a bad
option, 69 no instance answers at --url (or it stopped), 77 the instance refused the token.`,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      match: { type: 'string' },
      rate: { type: 'string' },
      sample: { type: 'string' },
      json: { type: 'boolean' },
    },
    stopsOnShutdown: true,
    run: async (p, v, io) => {
      if (p.length === 0) {
        io.stderr.write('chatflow tap: which node? (chatflow tap <node[.port]>…)\n');
        return EXIT.usage;
      }
      const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
      return tapCommand(
        p,
        { target: apiTarget(v, io.env), match: str('match'), rate: str('rate'), sample: str('sample'), json: v.json === true },
        io,
      );
    },
  },
  top: {
    summary: 'A live table of every node of a running instance: status, rates, drops, p99, buffers.',
    usage: `chatflow top [--url URL] [--token T] [--sort in|out|drops|p99] [--interval MS] [--once]

  --url       the instance (default: http://127.0.0.1:8080, its server.listen)
  --token     server.token, when set (default: $CHATFLOW_TOKEN)
  --sort      highest first by events in/s, out/s, drops or processing p99 (default: graph order)
  --interval  refresh period in ms (default: 1000); rates are over one period
  --once      print one table (after one period) and exit

Follows reloads: the table is re-read from /api/graph at every refresh.

Exit codes: 0 stopped with Ctrl-C (or --once printed), 64 bad option, 69 no instance answers at --url,
77 the instance refused the token.`,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      sort: { type: 'string' },
      interval: { type: 'string', default: '1000' },
      once: { type: 'boolean' },
    },
    stopsOnShutdown: true,
    run: async (_p, v, io) => {
      const sort = typeof v.sort === 'string' ? v.sort : undefined;
      if (sort !== undefined && !(TOP_SORTS as readonly string[]).includes(sort)) {
        const guess = suggest(sort, TOP_SORTS);
        io.stderr.write(`chatflow top: --sort is one of ${TOP_SORTS.join(', ')}.${guess ? ` Did you mean ${guess}?` : ''}\n`);
        return EXIT.usage;
      }
      const intervalMs = Number(v.interval);
      if (!(Number.isInteger(intervalMs) && intervalMs >= 100)) {
        io.stderr.write('chatflow top: --interval is a whole number of milliseconds, at least 100.\n');
        return EXIT.usage;
      }
      return topCommand(
        { target: apiTarget(v, io.env), sort: sort as TopSort | undefined, once: v.once === true, intervalMs },
        io,
      );
    },
  },
  whatif: {
    summary: 'Run a recorded show through a pipeline (or two, compared) in virtual time: what it would have done.',
    usage: `chatflow whatif <recording.jsonl> <pipeline.yaml> [other.yaml] [--json] [--source ID] [--settle 10s]

  recording  a JSONL recording, as the file sink writes it (what the replay source plays)
  pipeline   the pipeline to run it through; a second one is compared with the first (B − A)
  --json     the runs (and their difference) as JSON, for scripts
  --source   the source node the recording replaces (default: the first enabled source, else the
             first source; a disabled one is enabled for the run, as nothing connects)
  --settle   virtual time to run on after the last event, for windows and slews (default: 10s)

Prints the control changes per variable (times, values, a sparkline), the counts per node and the
drops by reason; for two pipelines, per variable the changes of each and their first divergence,
per node the count deltas, and the drop deltas by reason. Nothing connects anywhere: sinks only
capture what they would send. Times come from the recorded events, as replay plays them.

Exit codes: 0 done, 65 some lines were not events (each is named with its line number; the rest ran),
64 bad usage or an unreadable recording, 78 invalid pipeline or no such source.`,
    options: { json: { type: 'boolean' }, source: { type: 'string' }, settle: { type: 'string' } },
    run: async (p, v, io) => {
      if (p[0] === undefined) {
        io.stderr.write('chatflow whatif: which recording? (chatflow whatif show.jsonl pipeline.yaml [other.yaml])\n');
        return EXIT.usage;
      }
      const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
      return whatIfCommand(p[0], p.slice(1), { json: v.json === true, source: str('source'), settle: str('settle') }, io);
    },
  },
  auth: {
    summary: 'Sign a Twitch account in (Device Code Grant) with the scopes the pipeline needs, or --check what it lacks.',
    usage: `chatflow auth twitch [file] [--bot] [--check]

  file      the pipeline whose nodes say which scopes are needed (default: ./pipeline.yaml);
            tokens go to .chatflow/twitch-tokens.json beside it
  --bot     sign in the bot account (log in to twitch.tv as the bot first); default: the broadcaster
  --check   sign nothing in: validate the stored tokens and list the scopes the pipeline lacks

The client id comes from CHATFLOW_TWITCH_CLIENT_ID or resources.twitch.client_id (docs/twitch.md).

Exit codes: 0 signed in (--check: nothing lacking), 1 --check: an account or scope is lacking, 64 bad
usage (or no node needs that account), 69 Twitch unreachable or refused the request, 77 the code was
declined or expired, 78 invalid pipeline or no client id, 130 interrupted while waiting.`,
    options: { bot: { type: 'boolean' }, check: { type: 'boolean' } },
    stopsOnShutdown: true,
    run: (p, v, io) => authCommand(p[0], p[1] ?? 'pipeline.yaml', { bot: v.bot === true, check: v.check === true }, io),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `chatflow: live chat → RxJS → OSC, overlay, Redis, Postgres

Usage: chatflow <command> [options]  (chatflow <command> --help for more; chatflow --version)

${lines.join('\n')}
`;
}

/** The version in package.json, read when asked (the CLI runs from the sources, unbuilt). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`chatflow ${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = suggest(name.replace(/^-+/, ''), Object.keys(COMMANDS));
    const what = name.startsWith('-') ? 'option' : 'command';
    io.stderr.write(
      `chatflow: unknown ${what} "${name}".${guess ? ` Did you mean "chatflow ${guess}"?` : ''}\n\n${help()}`,
    );
    return EXIT.usage;
  }
  const parsed = parseOptions(rest, { ...command.options, help: { type: 'boolean', short: 'h' } });
  if (!parsed.ok) {
    io.stderr.write(`chatflow ${name}: ${parsed.message}\n(chatflow ${name} --help for usage)\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return EXIT.ok;
  }
  const values = parsed.values;
  const shutdown = io.shutdown;
  try {
    const running = command.run(parsed.positionals, values, io);
    if (command.stopsOnShutdown || !shutdown) return await running;
    const interrupted = new Promise<number>((resolveStop) => {
      if (shutdown.aborted) resolveStop(EXIT.interrupted);
      shutdown.addEventListener('abort', () => resolveStop(EXIT.interrupted), { once: true });
    });
    return await Promise.race([running, interrupted]);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    io.stderr.write(`chatflow ${name}: internal error: ${error.stack ?? error.message}\n`);
    return EXIT.internal;
  }
}
