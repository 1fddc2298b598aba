/**
 * The generation scheduler: at most `maxConcurrent` generations run at once (default: the engine's
 * capacity, its sequences), the others wait in a bounded FIFO queue; a full queue refuses at once
 * (the API answers 429 with Retry-After). Each request has a deadline that covers its wait and its
 * run; its task gets an AbortSignal that fires when the client goes away, the deadline passes or
 * the scheduler shuts down, and the reason says which. Ending a task frees its slot for the next
 * waiting request at once. The limits may be a function (the governed ones): then every admission
 * decision reads them afresh, so a vote takes effect with the next request.
 */
import type { SchedulerStats } from "@ns-llm/contracts";
import { NsLlmError } from "../errors.ts";

export type SchedulerLimits = {
  /** Generations at once; default: `capacity()` (the engine's sequences), at least 1. */
  maxConcurrent?: number;
  /** Requests allowed to wait; one more is refused with QueueFullError. */
  maxQueue: number;
  /** Deadline of one request, waiting included (ms). */
  timeoutMs: number;
  /** Longest prompt accepted, in tokens. */
  maxPromptTokens: number;
  /** Most tokens one request may generate (also capped by the governed `maxTokens`). */
  maxOutputTokens: number;
};

export const DEFAULT_SCHEDULER_LIMITS: SchedulerLimits = {
  maxQueue: 32,
  timeoutMs: 120_000,
  maxPromptTokens: 4096,
  maxOutputTokens: 1024,
};

/** The generation queue is full; retry after `retryAfterSeconds`. */
export class QueueFullError extends NsLlmError<"queue_full"> {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, queue: "generation" | "embedding" = "generation") {
    super("queue_full", `the ${queue} queue is full`, { transient: true, hint: `retry in ${retryAfterSeconds} s` });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request's deadline passed (while waiting, or while running: then it is the abort reason). */
export class RequestTimeoutError extends NsLlmError<"timeout"> {
  constructor(timeoutMs: number, waiting = false) {
    super("timeout", `the request took longer than ${timeoutMs} ms${waiting ? " waiting for a free generation slot" : ""}`, { transient: true });
  }
}

/** The scheduler is shutting down: no new work, waiting work refused, running work aborted. */
export class SchedulerClosedError extends NsLlmError<"shutting_down"> {
  constructor() {
    super("shutting_down", "the node is shutting down", { transient: true, hint: "retry on another node, or once it is back" });
  }
}

/** The client went away (the abort reason the API gives when a connection closes). */
export class ClientGoneError extends NsLlmError<"client_closed"> {
  constructor() {
    super("client_closed", "the client closed the connection");
  }
}

export type { SchedulerStats };

export type Scheduler = {
  /** The limits in force now. */
  readonly limits: Readonly<SchedulerLimits>;
  /**
   * Runs `task` when a slot is free. Rejects with QueueFullError at once when the queue is full,
   * RequestTimeoutError when the deadline passes while waiting, SchedulerClosedError after close,
   * or `signal.reason` when the caller aborts while waiting.
   */
  run<T>(task: (signal: AbortSignal) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  stats(): SchedulerStats;
  /** Seconds a refused client should wait: the mean run time times the queue ahead, per slot. */
  retryAfterSeconds(): number;
  /** Starts waiting requests if the limit grew (call after a model swap). */
  pump(): void;
  /** Refuses new work and aborts waiting work; running tasks get `abortRunning()` or finish. */
  close(): void;
  /** Aborts every running task with `reason` (default SchedulerClosedError). */
  abortRunning(reason?: Error): void;
  /** Resolves when nothing runs any more. */
  idle(): Promise<void>;
};

type Waiter = { start: () => void; fail: (error: unknown) => void };

export type CreateSchedulerParameters = {
  /** Fixed limits, or a function read at each decision (the governed limits). */
  limits?: Partial<SchedulerLimits> | (() => Partial<SchedulerLimits>);
  /** The engine's current capacity (0 when no model is loaded). */
  capacity?: () => number;
};

export function createScheduler({ limits: given = {}, capacity = () => 1 }: CreateSchedulerParameters = {}): Scheduler {
  const read = typeof given === "function" ? given : () => given;
  const current = (): SchedulerLimits => ({ ...DEFAULT_SCHEDULER_LIMITS, ...read() });
  const queue: Waiter[] = [];
  const running = new Set<AbortController>();
  const idleWaiters: Array<() => void> = [];
  let closed = false;
  let meanRunMs = 5_000; // a guess until the first run ends

  const limit = () => Math.max(1, current().maxConcurrent ?? capacity());

  function pump(): void {
    while (queue.length > 0 && running.size < limit()) queue.shift()!.start();
  }

  function finished(controller: AbortController, ms: number): void {
    running.delete(controller);
    meanRunMs = meanRunMs * 0.8 + ms * 0.2;
    pump();
    if (running.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function retryAfterSeconds(): number {
    const ahead = queue.length + 1;
    return Math.min(60, Math.max(1, Math.ceil((meanRunMs * ahead) / limit() / 1000)));
  }

  function run<T>(task: (signal: AbortSignal) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const caller = options.signal;
    if (closed) return Promise.reject(new SchedulerClosedError());
    if (caller?.aborted) return Promise.reject(caller.reason);
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      let waiter: Waiter | undefined;
      let started = false;
      const { timeoutMs, maxQueue } = current();
      const deadline = setTimeout(() => {
        if (started) controller.abort(new RequestTimeoutError(timeoutMs));
        else dequeue(new RequestTimeoutError(timeoutMs, true));
      }, timeoutMs);
      const onCallerAbort = () => {
        if (started) controller.abort(caller!.reason);
        else dequeue(caller!.reason);
      };
      caller?.addEventListener("abort", onCallerAbort, { once: true });
      const cleanup = () => {
        clearTimeout(deadline);
        caller?.removeEventListener("abort", onCallerAbort);
      };
      const dequeue = (error: unknown) => {
        const i = waiter ? queue.indexOf(waiter) : -1;
        if (i >= 0) queue.splice(i, 1);
        cleanup();
        reject(error);
      };
      const start = () => {
        started = true;
        running.add(controller);
        const began = performance.now();
        task(controller.signal).then(
          (value) => {
            cleanup();
            finished(controller, performance.now() - began);
            resolve(value);
          },
          (error: unknown) => {
            cleanup();
            finished(controller, performance.now() - began);
            reject(error);
          },
        );
      };
      if (running.size < limit() && queue.length === 0) return start();
      if (queue.length >= maxQueue) {
        cleanup();
        return reject(new QueueFullError(retryAfterSeconds()));
      }
      waiter = { start, fail: dequeue };
      queue.push(waiter);
    });
  }

  return {
    get limits() {
      return current();
    },
    run,
    stats: () => ({ active: running.size, queued: queue.length, limit: limit(), maxQueue: current().maxQueue }),
    retryAfterSeconds,
    pump,
    close() {
      closed = true;
      for (const w of queue.splice(0)) w.fail(new SchedulerClosedError());
    },
    abortRunning(reason = new SchedulerClosedError()) {
      for (const c of running) c.abort(reason);
    },
    idle() {
      return running.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/**
 * Tokens a request may generate: what it asked for (else the governed default), never more than the
 * node's limit, the governed maximum, or what is left of the context after the prompt.
 */
export function clampOutputTokens(parameters: {
  requested: number | undefined;
  governedMaxTokens: number | undefined;
  nodeMaxTokens: number;
  contextLeft?: number;
}): number {
  const cap = Math.min(parameters.nodeMaxTokens, parameters.governedMaxTokens ?? Infinity, parameters.contextLeft ?? Infinity);
  const wanted = parameters.requested ?? parameters.governedMaxTokens ?? parameters.nodeMaxTokens;
  return Math.max(0, Math.min(wanted, cap));
}
