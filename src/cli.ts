/**
 * `chatflow`: run | validate | graph | schema | migrate | reingest. Returns an exit code (src/cli/exitCodes.ts).
 */
import { readFileSync } from 'node:fs';
import type { CommandIo } from './cli/commandIo.js';
import { EXIT } from './cli/exitCodes.js';
import { graphCommand } from './cli/graphCommand.js';
import { migrateCommand } from './cli/migrateCommand.js';
import { type OptionSpecs, parseOptions } from './cli/parseOptions.js';
import { reingestCommand } from './cli/reingestCommand.js';
import { runCommand } from './cli/runCommand.js';
import { schemaCommand } from './cli/schemaCommand.js';
import { validateCommand } from './cli/validateCommand.js';
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
    usage: `chatflow run [file] [--quiet]

  file      the pipeline (default: ./pipeline.yaml)
  --quiet   no live status line

Exit codes: 0 stopped cleanly (also by a signal during start-up: what had started is stopped), 78 invalid\npipeline (or server.listen in use, or a component refusing its config at start), 130 second signal (no\nflush), 70 internal error.`,
    options: { quiet: { type: 'boolean' } },
    stopsOnShutdown: true,
    run: (p, v, io) => runCommand(p[0] ?? 'pipeline.yaml', { quiet: v.quiet === true }, io),
  },
  validate: {
    summary: 'Check a pipeline and report every problem with its position.',
    usage: `chatflow validate [file] [--strict]

  --strict  treat warnings (orphan node, dead-end port) as failures

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
