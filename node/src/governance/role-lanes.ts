/**
 * One apply in flight per role, the roles side by side: a parameters change never waits behind a
 * model download. The newest adoption of a role aborts the one it replaces and starts only once
 * that one has settled, so two applies of one role never overlap (two generation models loading
 * at once could need twice the memory).
 */
import type { Role } from "@ns-llm/contracts";

export type LaneTask<T> = { key: string; item: T };

type Lane<T> = LaneTask<T> & { controller: AbortController };

export class RoleLanes<T> {
  #stop: AbortSignal;
  /** The task each role runs (or waits to run), until it settles or is aborted. */
  #current = new Map<Role, Lane<T>>();
  /** The end of each role's chain of tasks, aborted ones included: the next task starts after it. */
  #tail = new Map<Role, Promise<void>>();

  /** `stop` aborts every task, running or waiting. */
  constructor(stop: AbortSignal) {
    this.#stop = stop;
  }

  /** The task `role` runs or waits to run, unless it was aborted. */
  current(role: Role): LaneTask<T> | undefined {
    const lane = this.#current.get(role);
    return lane && { key: lane.key, item: lane.item };
  }

  /** Every role's current task. */
  all(): Array<LaneTask<T> & { role: Role }> {
    return [...this.#current].map(([role, lane]) => ({ role, key: lane.key, item: lane.item }));
  }

  /** Aborts `role`'s current task with `reason`; it is no longer current, its chain waits for it to settle. */
  abort(role: Role, reason: unknown): LaneTask<T> | undefined {
    const lane = this.#current.get(role);
    if (!lane) return undefined;
    this.#current.delete(role);
    lane.controller.abort(reason);
    return { key: lane.key, item: lane.item };
  }

  /**
   * Runs `run` for `role` once the role's previous task has settled; `run` gets a signal that
   * aborts on `abort(role)` and on stop. It should not throw (a rejection is swallowed).
   */
  start(role: Role, key: string, item: T, run: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    const lane: Lane<T> = { key, item, controller };
    const signal = AbortSignal.any([controller.signal, this.#stop]);
    const previous = this.#tail.get(role);
    const done = (async () => {
      await previous;
      if (!signal.aborted) await run(signal);
    })()
      .catch(() => {})
      .finally(() => {
        if (this.#current.get(role) === lane) this.#current.delete(role);
        if (this.#tail.get(role) === done) this.#tail.delete(role);
      });
    this.#current.set(role, lane);
    this.#tail.set(role, done);
  }

  /** Resolves when every task started so far has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.#tail.values()]);
  }
}
