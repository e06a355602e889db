/**
 * What `validate` can tell, from the config alone, of the commands that flow between nodes:
 * their names and the args whose values the config fixes (a vote's `fixed_key`, an `enum`
 * arg). Operators describe what they emit and what they would drop; the pipeline checks
 * (`pipelines/commandWarnings.ts`) follow the graph and warn where a command can never apply,
 * such as a vote on a variable `control` does not declare.
 */

/** A place in one node's config: the node id and the path below it. */
export interface FlowOrigin {
  readonly node: string;
  readonly path: readonly (string | number)[];
}

/** A value the config fixes, with where it is written. */
export interface KnownValue {
  readonly value: string;
  readonly origin: FlowOrigin;
  /** What the author may have meant instead, said with any warning about the value. */
  readonly hint?: string;
}

/** One kind of command event that may reach a node. */
export interface CommandShape {
  readonly name: string;
  /**
   * Every arg the command carries: the only values it can hold when the config fixes them, or
   * `'any'` when chat decides.
   */
  readonly args: Readonly<Record<string, readonly KnownValue[] | 'any'>>;
  /** Where the command is defined (a parse_command entry, a vote node). */
  readonly origin: FlowOrigin;
  /** The node that makes it also answers it (a `reply` template): a use of its own. */
  readonly replied?: boolean;
}

/** A command that can never do what it is for, said where it is written. */
export interface FlowWarning {
  /** `undeclared_variable`, `unknown_command`, `missing_arg`, `unsettable_variable`. */
  readonly rule: string;
  readonly origin: FlowOrigin;
  readonly message: string;
}

/** An operator's part in the command checks; an operator without it passes on nothing known. */
export interface CommandFlowHooks<C> {
  /**
   * The commands that may leave `port` (`''` is the default output) of node `node`, given
   * those that may arrive.
   */
  readonly emits?: (config: C, arriving: readonly CommandShape[], port: string, node: string) => readonly CommandShape[];
  /** What the node can tell of the commands that may arrive: those it could never apply. */
  readonly check?: (config: C, arriving: readonly CommandShape[], node: string) => readonly FlowWarning[];
  /**
   * The command names this node applies (a command that ends here doing its job, rather than
   * being passed on or dropped): what `unused_command` looks for downstream of where a command
   * is made, and what its did-you-mean picks from.
   */
  readonly uses?: (config: C) => readonly string[];
  /**
   * Like `check`, but called only when `arriving` is every command that can reach the node (no
   * source or operator upstream passes on commands validate cannot know, such as a replayed
   * recording's): what nothing arriving can do, such as a variable no command sets.
   */
  readonly checkComplete?: (config: C, arriving: readonly CommandShape[], node: string) => readonly FlowWarning[];
}

/** For operators that pass commands on unchanged (or drop some): what arrives may leave. */
export const PASSES_COMMANDS: CommandFlowHooks<unknown> = { emits: (_config, arriving) => arriving };
