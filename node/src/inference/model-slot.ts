/**
 * A model slot holds the engine a role serves now and lets the follower swap it atomically: a
 * request leases the engine it starts on and keeps it to the end; after a swap, new leases get
 * the new engine and the old one is disposed once its last lease is released.
 */

/** What is known about the manifest an engine was loaded from (absent for a bare model file). */
export type LoadedManifest = {
  cid: string | undefined;
  name: string;
  version: number | undefined;
  digest: string | undefined;
};

export type Disposable = { dispose(): Promise<void> };

export type Lease<E> = {
  engine: E;
  manifest: LoadedManifest;
  /** Must be called exactly once, when the request is done with the engine. */
  release(): void;
};

type Entry<E> = { engine: E; manifest: LoadedManifest; leases: number; retired: boolean };

export class ModelSlot<E extends Disposable> {
  #current: Entry<E> | undefined;
  #draining = new Set<Entry<E>>();
  #onDisposeError: (error: unknown) => void;

  constructor(onDisposeError: (error: unknown) => void = () => {}) {
    this.#onDisposeError = onDisposeError;
  }

  /** The manifest served now, or undefined when the slot is empty. */
  get manifest(): LoadedManifest | undefined {
    return this.#current?.manifest;
  }

  get ready(): boolean {
    return this.#current !== undefined;
  }

  /** Engines swapped out whose requests are still running. */
  get draining(): number {
    return this.#draining.size;
  }

  /** Leases the current engine, or returns undefined when the slot is empty. */
  acquire(): Lease<E> | undefined {
    const entry = this.#current;
    if (!entry) return undefined;
    entry.leases++;
    let released = false;
    return {
      engine: entry.engine,
      manifest: entry.manifest,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.#disposeIfIdle(entry);
      },
    };
  }

  /** Makes `engine` current at once; the previous one is disposed after its last lease. */
  swap(engine: E, manifest: LoadedManifest): void {
    const previous = this.#current;
    this.#current = { engine, manifest, leases: 0, retired: false };
    if (previous) this.#retire(previous);
  }

  /** Empties the slot (the engine is disposed after its last lease). */
  clear(): void {
    const previous = this.#current;
    this.#current = undefined;
    if (previous) this.#retire(previous);
  }

  /** Empties the slot and waits until every engine it held is disposed. */
  async close(): Promise<void> {
    this.clear();
    while (this.#draining.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  #retire(entry: Entry<E>): void {
    entry.retired = true;
    this.#draining.add(entry);
    this.#disposeIfIdle(entry);
  }

  #disposeIfIdle(entry: Entry<E>): void {
    if (!entry.retired || entry.leases > 0) return;
    entry.engine
      .dispose()
      .catch(this.#onDisposeError)
      .finally(() => this.#draining.delete(entry));
  }
}
