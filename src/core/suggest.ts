/**
 * "Did you mean …?" for config mistakes: the nearest candidate by edit distance, so a typo'd
 * key, type, node id, port or arg type points at what the user most likely meant. Shared by the
 * pipeline loader and by components that validate names inside their own config.
 */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
 * characters (optimal string alignment, the restricted Damerau–Levenshtein distance), so
 * `sede` → `seed` costs 1, not 2.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the swap case looks two rows back.
  let before: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (before[j - 2] as number) + 1);
      }
      row.push(best);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * The largest distance still worth suggesting for an input of this length. Short words get
 * one edit only: with two, `ab` would "mean" almost any other two-letter word.
 */
export function suggestionLimit(length: number): number {
  if (length <= 1) return 0;
  if (length <= 4) return 1;
  return Math.max(2, Math.floor(length / 3));
}

/**
 * The candidate `input` most likely meant, or undefined when none is close enough.
 *
 * A case-insensitive exact match wins outright (`Rate` → `rate`); otherwise the candidate with
 * the smallest {@link editDistance} (compared case-insensitively) within
 * {@link suggestionLimit}, the earliest one on a tie. `input` itself is never suggested.
 *
 * @param input What the user wrote.
 * @param candidates What would have been valid, in a stable order.
 */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  const limit = suggestionLimit(input.length);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const candidateLower = candidate.toLowerCase();
    if (candidateLower === lower) return candidate;
    // The distance is at least the difference in length: most candidates end here, cheaply.
    if (Math.abs(candidateLower.length - lower.length) > Math.min(limit, bestDistance)) continue;
    const distance = editDistance(lower, candidateLower);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
