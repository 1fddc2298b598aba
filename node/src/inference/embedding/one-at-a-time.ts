/**
 * Runs work one call after another on an ONNX session: its intra-op threads are sized for one run,
 * and a long caller interleaves with others at its own awaits instead of piling runs up in memory.
 * A failed call does not stop the ones queued behind it.
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => {});
    return result;
  };
}
