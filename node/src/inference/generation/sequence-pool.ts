/**
 * A fixed set of context sequences shared by the requests: a request takes a free one (the one
 * that suits it best) or waits for one in arrival order (FIFO), and gives it back when it is done.
 * A waiting request whose signal aborts leaves the queue at once.
 */
export class SequencePool<T> {
  #free: T[];
  #waiting: Array<{ resolve: (item: T | undefined) => void; signal: AbortSignal | undefined; onAbort: () => void }> = [];
  #capacity: number;

  constructor(items: readonly T[]) {
    this.#free = [...items];
    this.#capacity = items.length;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Items taken and not given back. */
  get busy(): number {
    return this.#capacity - this.#free.length;
  }

  /** Requests waiting for an item. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A free item, after waiting for one if needed; undefined when `signal` aborts first. Among free
   * items, the one `score` rates highest (the first of equals); a waiter takes whichever comes back.
   */
  acquire(signal?: AbortSignal, score?: (item: T) => number): Promise<T | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.#waiting.length === 0 && this.#free.length > 0) {
      let best = 0;
      if (score) {
        let bestScore = -Infinity;
        this.#free.forEach((item, i) => {
          const s = score(item);
          if (s > bestScore) [best, bestScore] = [i, s];
        });
      }
      return Promise.resolve(this.#free.splice(best, 1)[0]);
    }
    return new Promise((resolve) => {
      const waiter = {
        resolve,
        signal,
        onAbort: () => {
          const index = this.#waiting.indexOf(waiter);
          if (index >= 0) this.#waiting.splice(index, 1);
          resolve(undefined);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Takes, without waiting, the free items that `filter` accepts (they are busy until released). */
  takeFree(filter: (item: T) => boolean): T[] {
    const taken = this.#free.filter(filter);
    this.#free = this.#free.filter((item) => !taken.includes(item));
    return taken;
  }

  /**
   * Gives an item back: to the longest-waiting request, else to the free list; once `settling`
   * settles when given (the item stays busy until then).
   */
  release(item: T, settling?: Promise<unknown>): void {
    if (settling) {
      const release = () => this.release(item);
      void settling.then(release, release);
      return;
    }
    const waiter = this.#waiting.shift();
    if (!waiter) {
      this.#free.push(item);
      return;
    }
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.resolve(item);
  }
}
