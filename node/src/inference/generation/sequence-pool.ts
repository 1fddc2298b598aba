/**
 * A fixed set of context sequences shared by the requests: a request takes a free one or waits
 * for one in arrival order (FIFO), and gives it back when it is done. A waiting request whose
 * signal aborts leaves the queue at once.
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

  /** A free item, after waiting for one if needed; undefined when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const item = this.#waiting.length === 0 ? this.#free.shift() : undefined;
    if (item !== undefined) return Promise.resolve(item);
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

  /** Gives an item back: to the longest-waiting request, else to the free list. */
  release(item: T): void {
    const waiter = this.#waiting.shift();
    if (!waiter) {
      this.#free.push(item);
      return;
    }
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.resolve(item);
  }
}
