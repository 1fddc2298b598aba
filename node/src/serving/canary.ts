/**
 * The canary swap of a generation model (issue 16). The follower hands an adopted model, loaded
 * and smoke-tested beside the one serving, to `run()`; while it runs, the generation service asks
 * `pick()` for every request and gets the new engine for the governed share of them (an exact
 * share: every 1/share-th request, not a coin flip), and reports what each model did (`record`
 * on the candidate's lease, `observe` for the current one). A request that fails or is refused on
 * the new model is answered again by the current one, so no client sees the canary fail.
 *
 * The canary ends after `durationSec` or once the new model answered `minRequests` requests; no
 * new request goes to it from then on, the ones it is answering finish and count, and `judge()`
 * compares the two: error rate, validation refusal rate, median latency, each against its governed
 * tolerance. `run()` resolves when the swap should complete and throws CanaryRollback (permanent:
 * the follower does not try that adoption again) when it should not.
 *
 * Only generation has a canary: an embedding model's vectors live in their own space, so answering
 * a share of requests with a new embedding model would hand clients vectors that cannot be compared
 * with the rest. An embedding adoption swaps at once.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { CanaryArm, CanaryRun, CanarySettings, ManifestParameters } from "@ns-llm/contracts";
import { NsLlmError } from "../errors.ts";
import type { Disposable, LoadedManifest } from "../inference/index.ts";

/** What a field of `parameters.canary` is when the manifest leaves it out (manifests/schema.json says the same). */
export const CANARY_DEFAULTS: Omit<CanarySettings, "share"> = {
  durationSec: 300,
  minRequests: 20,
  maxErrorRateDelta: 0,
  maxLatencyRatio: 2,
  maxRefusalRateDelta: 0.1,
};

/** The canary settings in force, or undefined when the parameters ask for none (absent, or share 0). */
export function canarySettings(parameters: ManifestParameters["canary"]): CanarySettings | undefined {
  if (!parameters?.share) return undefined;
  return { ...CANARY_DEFAULTS, ...Object.fromEntries(Object.entries(parameters).filter(([, v]) => v !== undefined)), share: parameters.share };
}

/** How one request went on one model: answered, failed, or refused by the validation layers; and its ms. */
export type CanarySample = { outcome: "ok" | "error" | "refused"; ms: number };

export type CanaryLease<E> = {
  engine: E;
  manifest: LoadedManifest;
  /** The candidate's result of this request (once; a request the client abandoned records nothing). */
  record(sample: CanarySample): void;
  /** Must be called exactly once, when the request is done with the engine. */
  release(): void;
};

/** The adoption was rolled back by its canary: the current model keeps serving; not retried until a new adoption. */
export class CanaryRollback extends NsLlmError<"canary_rolled_back"> {
  readonly run: CanaryRun;
  constructor(run: CanaryRun) {
    super("canary_rolled_back", `canary rolled back ${run.name}: ${run.reasons.join("; ")}`, {
      transient: false,
      hint: "the current model keeps serving; a new adoption is tried again",
    });
    this.run = run;
  }
}

/** What the node does with a canary's steps: the audit log, the operator's log, the on-chain report. */
export type CanaryHooks = {
  onStart?: (run: CanaryRun) => void;
  onEnd?: (run: CanaryRun) => void;
  registry?: Registry;
  prefix?: string;
};

class Arm {
  requests = 0;
  errors = 0;
  refusals = 0;
  readonly ms: number[] = [];
  readonly model: string;
  readonly manifest: string | null;
  constructor(model: string, manifest: string | null) {
    this.model = model;
    this.manifest = manifest;
  }

  add(sample: CanarySample): void {
    this.requests++;
    if (sample.outcome === "error") this.errors++;
    else if (sample.outcome === "refused") this.refusals++;
    // A failure's time says nothing about the model's speed (it may have failed at once).
    if (sample.outcome !== "error") this.ms.push(sample.ms);
  }

  figures(): CanaryArm {
    const rate = (n: number) => (this.requests ? round(n / this.requests, 4) : 0);
    return {
      model: this.model,
      manifest: this.manifest,
      requests: this.requests,
      errors: this.errors,
      refusals: this.refusals,
      errorRate: rate(this.errors),
      refusalRate: rate(this.refusals),
      p50Ms: this.ms.length ? round(median(this.ms), 1) : null,
    };
  }
}

/**
 * Why the candidate must be rolled back (empty: complete the swap). Each tolerance is a governed
 * field; a latency needs answers on both models to compare (without, it is not judged).
 */
export function judge(settings: CanarySettings, candidate: CanaryArm, current: CanaryArm): string[] {
  const reasons: string[] = [];
  const pct = (x: number) => `${round(x * 100, 1)}%`;
  if (candidate.requests === 0) return reasons;
  if (candidate.errorRate - current.errorRate > settings.maxErrorRateDelta + 1e-9) {
    reasons.push(`error rate ${pct(candidate.errorRate)} (${candidate.errors}/${candidate.requests}) vs ${pct(current.errorRate)} on the current model, more than ${pct(settings.maxErrorRateDelta)} worse`);
  }
  if (candidate.refusalRate - current.refusalRate > settings.maxRefusalRateDelta + 1e-9) {
    reasons.push(`validation refusal rate ${pct(candidate.refusalRate)} (${candidate.refusals}/${candidate.requests}) vs ${pct(current.refusalRate)} on the current model, more than ${pct(settings.maxRefusalRateDelta)} worse`);
  }
  if (candidate.p50Ms !== null && current.p50Ms !== null && current.p50Ms > 0 && candidate.p50Ms > current.p50Ms * settings.maxLatencyRatio) {
    reasons.push(`median latency ${candidate.p50Ms} ms vs ${current.p50Ms} ms on the current model, more than ${settings.maxLatencyRatio}x`);
  }
  return reasons;
}

type Trial<E> = {
  engine: E;
  manifest: LoadedManifest;
  settings: CanarySettings;
  candidate: Arm;
  current: Arm;
  run: CanaryRun;
  /** Accepting new requests (false once the period is over). */
  open: boolean;
  leases: number;
  /** Running total of `share` per request: a request goes to the candidate each time it passes 1. */
  credit: number;
  wake: () => void;
};

export class Canary<E extends Disposable> {
  #trial: Trial<E> | undefined;
  #last: CanaryRun | undefined;
  #hooks: CanaryHooks;
  #metrics: ReturnType<typeof canaryMetrics> | undefined;

  constructor(hooks: CanaryHooks = {}) {
    this.#hooks = hooks;
    if (hooks.registry) this.#metrics = canaryMetrics(hooks.registry, hooks.prefix ?? "ns_llm_", () => (this.#trial?.open ? 1 : 0));
  }

  /** The running canary, else the last one (for /health). */
  status(): CanaryRun | undefined {
    return this.#trial ? this.#snapshot(this.#trial) : this.#last;
  }

  /** A lease on the new model for this request, when a canary runs and this request falls in its share. */
  pick(): CanaryLease<E> | undefined {
    const t = this.#trial;
    if (!t?.open) return undefined;
    t.credit += t.settings.share;
    if (t.credit < 1) return undefined;
    t.credit -= 1;
    t.leases++;
    let released = false;
    let recorded = false;
    return {
      engine: t.engine,
      manifest: t.manifest,
      record: (sample) => {
        if (recorded) return;
        recorded = true;
        t.candidate.add(sample);
        this.#metrics?.requests.inc({ model: "candidate", outcome: sample.outcome });
        if (sample.outcome !== "ok") this.#metrics?.retries.inc();
        if (sample.outcome !== "ok") t.run.retried++;
        if (t.candidate.requests >= t.settings.minRequests) t.wake();
      },
      release: () => {
        if (released) return;
        released = true;
        t.leases--;
        t.wake();
      },
    };
  }

  /** The current model's result of one request; counted only while a canary runs. */
  observe(sample: CanarySample): void {
    const t = this.#trial;
    if (!t) return;
    t.current.add(sample);
    this.#metrics?.requests.inc({ model: "current", outcome: sample.outcome });
  }

  /**
   * Runs a canary of `engine` (loaded, smoke-tested) against `current`, the model serving now.
   * Resolves when the swap should complete; throws CanaryRollback when it must not, or the
   * signal's reason when the follower abandons the adoption (a newer one, or the node stopping).
   * Either way no request uses `engine` any more when it returns.
   */
  async run(engine: E, manifest: LoadedManifest, current: { model: string; manifest: string | null }, settings: CanarySettings, signal: AbortSignal): Promise<void> {
    if (this.#trial) throw new Error("a canary is already running");
    signal.throwIfAborted();
    let wake = () => {};
    const t: Trial<E> = {
      engine,
      manifest,
      settings,
      candidate: new Arm(manifest.name, manifest.cid ?? null),
      current: new Arm(current.model, current.manifest),
      run: {
        role: "generation",
        version: manifest.version ?? null,
        cid: manifest.cid ?? null,
        digest: manifest.digest ?? null,
        name: manifest.name,
        state: "running",
        settings,
        startedAt: new Date().toISOString(),
        candidate: new Arm(manifest.name, manifest.cid ?? null).figures(),
        current: new Arm(current.model, current.manifest).figures(),
        retried: 0,
        reasons: [],
      },
      open: true,
      leases: 0,
      credit: 0,
      wake: () => wake(),
    };
    this.#trial = t;
    this.#hooks.onStart?.(this.#snapshot(t));
    const timer = setTimeout(() => t.wake(), settings.durationSec * 1000);
    const onAbort = () => t.wake();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      // The period: until the duration, the request count, or the follower gives up on it.
      while (!signal.aborted && t.candidate.requests < settings.minRequests && Date.now() - Date.parse(t.run.startedAt) < settings.durationSec * 1000) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      t.open = false;
      // The requests it is answering finish (on it, or again on the current model) and count.
      while (t.leases > 0) await new Promise<void>((resolve) => (wake = resolve));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      t.open = false;
    }
    const ended = (state: CanaryRun["state"], reasons: string[]) => {
      Object.assign(t.run, { state, reasons, endedAt: new Date().toISOString() });
      const run = this.#snapshot(t);
      this.#last = run;
      this.#trial = undefined;
      this.#metrics?.outcomes.inc({ role: "generation", outcome: state });
      this.#hooks.onEnd?.(run);
      return run;
    };
    if (signal.aborted) {
      ended("abandoned", [`the adoption was abandoned: ${(signal.reason as Error)?.message ?? String(signal.reason)}`]);
      throw signal.reason;
    }
    const figures = this.#snapshot(t);
    const reasons = judge(settings, figures.candidate, figures.current);
    if (reasons.length) throw new CanaryRollback(ended("rolled_back", reasons));
    const note = t.candidate.requests === 0 ? [`no request reached the new model in ${settings.durationSec} s: nothing to compare, swapped as without a canary`] : [];
    ended("completed", note);
  }

  #snapshot(t: Trial<E>): CanaryRun {
    return { ...t.run, reasons: [...t.run.reasons], candidate: t.candidate.figures(), current: t.current.figures() };
  }
}

function canaryMetrics(registry: Registry, prefix: string, running: () => number) {
  const registers = [registry];
  new Gauge({ name: `${prefix}canary_running`, help: "1 while a canary swap sends a share of generation requests to a new model", registers, collect() { this.set(running()); } });
  return {
    requests: new Counter({ name: `${prefix}canary_requests_total`, help: "Generation requests during canaries, by model (candidate, current) and outcome (ok, error, refused)", labelNames: ["model", "outcome"] as const, registers }),
    retries: new Counter({ name: `${prefix}canary_retries_total`, help: "Requests that failed or were refused on a canary's new model and were answered again by the current one", registers }),
    outcomes: new Counter({ name: `${prefix}canary_outcomes_total`, help: "Canaries ended, by role and outcome (completed, rolled_back, abandoned)", labelNames: ["role", "outcome"] as const, registers }),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
