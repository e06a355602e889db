/** Small statistics for the benches: medians and spreads, growth slopes, a search for the highest passing rate. */

/** The value at quantile `q` (0..1) of `values`, interpolated between neighbours; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** How a set of rounds spread: median, quartiles, and the interquartile range. */
export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly iqr: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[], places = 2): Spread {
  const r = (n: number) => Math.round(n * 10 ** places) / 10 ** places;
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  return {
    median: r(median(values)),
    q1: r(q1),
    q3: r(q3),
    iqr: r(q3 - q1),
    min: r(quantile(values, 0)),
    max: r(quantile(values, 1)),
    n: values.length,
  };
}

/**
 * Whether paired differences say something: the median is outside the interquartile range's
 * half-width around zero, i.e. |median| > IQR / 2. With fewer than 4 pairs, never.
 */
export function aboveNoise(s: Spread): boolean {
  return s.n >= 4 && Math.abs(s.median) > s.iqr / 2;
}

/** Least-squares slope of `y` over `x` (units of y per unit of x); NaN with fewer than two points. */
export function slope(points: readonly { readonly x: number; readonly y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

export interface RateSearch {
  /** The highest rate that passed (0 when even `low` failed). */
  readonly rate: number;
  /** Every rate tried, in order, and whether it passed. */
  readonly trials: readonly { readonly rate: number; readonly passed: boolean }[];
}

/**
 * The highest rate at which `trial` passes: doubling from `low` until a trial fails or `high`
 * passes (halving instead while even `low` fails), then bisecting between the last pass and
 * the first failure until they are within `step`, or within `tolerance` (a share, 0.05 = 5%)
 * of the pass, whichever is wider. Rates are multiples of `step`. Assumes a rate that fails
 * makes every higher rate fail too.
 */
export async function highestPassingRate(
  trial: (rate: number) => Promise<boolean>,
  options: { readonly low: number; readonly high: number; readonly step: number; readonly tolerance?: number },
): Promise<RateSearch> {
  const trials: { rate: number; passed: boolean }[] = [];
  const attempt = async (rate: number) => {
    const passed = await trial(rate);
    trials.push({ rate, passed });
    return passed;
  };
  const snap = (rate: number) => Math.max(options.step, Math.round(rate / options.step) * options.step);
  let good = 0;
  let bad = Number.POSITIVE_INFINITY;
  if (await attempt(snap(options.low))) {
    good = snap(options.low);
    while (good < options.high) {
      const next = snap(Math.min(good * 2, options.high));
      if (await attempt(next)) good = next;
      else {
        bad = next;
        break;
      }
    }
    if (bad === Number.POSITIVE_INFINITY) return { rate: good, trials };
  } else {
    bad = snap(options.low);
    for (let rate = snap(bad / 2); rate < bad; rate = snap(rate / 2)) {
      if (await attempt(rate)) {
        good = rate;
        break;
      }
      bad = rate;
    }
    if (good === 0) return { rate: 0, trials };
  }
  const tolerance = options.tolerance ?? 0;
  while (bad - good > Math.max(options.step, good * tolerance)) {
    const mid = snap((good + bad) / 2);
    if (mid <= good || mid >= bad) break;
    if (await attempt(mid)) good = mid;
    else bad = mid;
  }
  return { rate: good, trials };
}

/**
 * The rates of the sustained runs, highest first: the search's rate `found`, the goal when it is
 * below (a run at exactly the goal says whether the goal holds), and `found` × each of `shares`
 * (snapped to `step`), without repeats, at most `tries`.
 */
export function sustainedRates(found: number, goal: number, step: number, shares: readonly number[], tries: number): number[] {
  const snap = (rate: number) => Math.round(rate / step) * step;
  const rates = [found, ...(goal < found ? [goal] : []), ...shares.map((share) => snap(found * share))].filter((r) => r > 0);
  return [...new Set(rates)].sort((a, b) => b - a).slice(0, tries);
}

/** (baseline − measured) / baseline, in percent to one decimal: what a change costs. */
export function costPercent(baseline: number, measured: number): number {
  return Math.round(((baseline - measured) / baseline) * 1000) / 10;
}
