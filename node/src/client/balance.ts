/**
 * Which node takes a request: power of two choices (Mitzenmacher) weighted by capacity. Two
 * candidates drawn at random, the one with fewer outstanding requests per slot wins. Random
 * draws keep several clients from all piling onto the same "least loaded" node at once, and the
 * weight lets a node with 4 parallel sequences take twice the work of one with 2.
 */

export type LoadView = {
  /** Requests this client sent it that have not finished. */
  outstanding: number;
  /** Parallel generations it advertises (/health `scheduler.limit`); at least 1. */
  capacity: number;
};

/** Outstanding work per slot, counting the request about to be placed. */
export const loadScore = (e: LoadView) => (e.outstanding + 1) / Math.max(1, e.capacity);

/**
 * `candidates` in the order to try them: the power-of-two winner first, then the others by
 * increasing load (where a refused or failed request goes next).
 */
export function orderByLoad<E extends LoadView>(candidates: readonly E[], random: () => number = Math.random): E[] {
  if (candidates.length <= 1) return [...candidates];
  const i = Math.floor(random() * candidates.length);
  let j = Math.floor(random() * (candidates.length - 1));
  if (j >= i) j += 1;
  const [a, b] = [candidates[i]!, candidates[j]!];
  const first = loadScore(b) < loadScore(a) ? b : a;
  const rest = candidates.filter((e) => e !== first).sort((x, y) => loadScore(x) - loadScore(y));
  return [first, ...rest];
}
