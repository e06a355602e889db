/**
 * Polls `check` every 100 ms until it holds; throws naming `what` (and `detail()`, such as a
 * process's output) if it never does within `timeoutMs`. A wait, not a timing assertion.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; detail?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}${options.detail ? `\n${options.detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls `check` every 5 ms until it holds, for tests of sockets in this process; throws after
 * `ms`. A wait, not a timing assertion.
 */
export async function soon(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
