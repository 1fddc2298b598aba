/**
 * One plugin's worker thread, and the budget of each call: a call that has no answer within
 * `callMs` terminates the worker (a loop that never yields cannot be interrupted any other way),
 * as does a worker that runs past its heap (`resourceLimits`, V8 stops it: ERR_WORKER_OUT_OF_MEMORY).
 * Every call in flight then fails, and the next call starts a fresh worker. A call that throws
 * fails alone. The node never waits on a plugin longer than `callMs` per call (plus a fresh
 * worker's start, bounded by `startMs`).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { PluginCallError, type PluginFailure } from "./errors.ts";

export type PluginBudget = {
  /** Time of one call, from the moment it is posted to the worker. */
  callMs: number;
  /** The worker's old-generation heap (MB). */
  memoryMb: number;
  /** Time for a fresh worker to import the plugin. */
  startMs: number;
};

type Pending = { resolve: (value: unknown) => void; reject: (error: PluginCallError) => void; timer: NodeJS.Timeout };

/** The sources run as .ts; the packages' bundle has it as plugin-worker.js beside its chunks (packaging/src/bundle.ts). */
const WORKER = [path.join(import.meta.dirname, "worker.ts"), path.join(import.meta.dirname, "plugin-worker.js")].find((file) => existsSync(file)) ?? path.join(import.meta.dirname, "worker.ts");

export class PluginWorker {
  readonly #entry: string;
  readonly #network: boolean;
  readonly #budget: PluginBudget;
  readonly #onRestart: (why: PluginFailure) => void;
  #worker: Worker | undefined;
  #ready: Promise<Worker> | undefined;
  #pending = new Map<number, Pending>();
  #next = 0;
  #closed = false;

  constructor(p: { entry: string; network: boolean; budget: PluginBudget; onRestart?: (why: PluginFailure) => void }) {
    this.#entry = p.entry;
    this.#network = p.network;
    this.#budget = p.budget;
    this.#onRestart = p.onRestart ?? (() => {});
  }

  /** Starts the worker (imports the plugin); rejects with the import's error. */
  start(): Promise<Worker> {
    if (this.#closed) return Promise.reject(new PluginCallError("crash", "the plugin host is closed"));
    this.#ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(WORKER, {
        workerData: { entry: this.#entry, network: this.#network },
        env: {},
        argv: [],
        stdout: false,
        stderr: false,
        resourceLimits: { maxOldGenerationSizeMb: this.#budget.memoryMb, maxYoungGenerationSizeMb: Math.max(1, Math.min(16, this.#budget.memoryMb / 4)), stackSizeMb: 4 },
      });
      worker.unref();
      this.#worker = worker;
      const timer = setTimeout(() => fail("timeout", `the plugin did not start within ${this.#budget.startMs} ms`), this.#budget.startMs);
      const fail = (why: PluginFailure, message: string) => {
        clearTimeout(timer);
        this.#drop(worker, why, message);
        reject(new PluginCallError(why, message));
      };
      worker.once("message", (m: { ready: boolean; error?: string }) => {
        clearTimeout(timer);
        if (!m.ready) return fail("error", m.error ?? "the plugin did not load");
        worker.on("message", (r: { id: number; ok: boolean; output?: unknown; error?: string }) => this.#settle(r));
        resolve(worker);
      });
      worker.on("error", (error: Error & { code?: string }) => {
        const why: PluginFailure = error.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "crash";
        fail(why, why === "memory" ? `the plugin ran out of its ${this.#budget.memoryMb} MB heap` : `the plugin's worker failed: ${error.message}`);
      });
      worker.on("exit", (code) => fail("crash", `the plugin's worker exited (code ${code})`));
    });
    return this.#ready;
  }

  /** Calls `hook` with `input` in the worker, within the time budget. */
  async call(hook: string, input: unknown): Promise<unknown> {
    const worker = await this.start();
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#drop(worker, "timeout", `${hook} took more than ${this.#budget.callMs} ms`), this.#budget.callMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        worker.postMessage({ id, hook, input });
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new PluginCallError("error", `the input of ${hook} cannot be sent: ${(error as Error).message}`));
      }
    });
  }

  #settle(r: { id: number; ok: boolean; output?: unknown; error?: string }): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.ok) p.resolve(r.output);
    else p.reject(new PluginCallError("error", r.error ?? "the plugin failed"));
  }

  /** Stops `worker` (if still the current one) and fails every call in flight on it. */
  #drop(worker: Worker, why: PluginFailure, message: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#ready = undefined;
    void worker.terminate();
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new PluginCallError(why, message));
      this.#pending.delete(id);
    }
    if (!this.#closed) this.#onRestart(why);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker) {
      this.#drop(worker, "crash", "the node is stopping");
      await worker.terminate();
    }
  }
}
