/**
 * The governed parameters in force: the applied `parameters` manifest, and the only code that maps
 * it to what the parts of the node use (the generation defaults and caps, the deny patterns, the
 * audit batch settings, what the gateway reads). The follower applies a new manifest here; every
 * reader asks here at the moment it needs a value, and parts that hold settings of their own (the
 * audit anchorer) subscribe with `onChange`. A field of the schema that is not mapped here takes
 * no effect, which is why there is one place to look.
 */
import type { EffectiveLimits, GovernedPlugins, ManifestParameters } from "@ns-llm/contracts";

/** Which parameters manifest is in force (absent for the built-in defaults). */
export type GovernedSource = { cid: string | undefined; name: string; version: number | undefined; digest: string | undefined };

/** The generation defaults and caps a request starts from. */
export type GovernedGeneration = {
  temperature?: number;
  topP?: number;
  topK?: number;
  repeatPenalty?: number;
  /** The most tokens one answer may have, and the default when a request names none. */
  maxTokens?: number;
  /** Put before a chat that has no system message of its own. */
  systemPrompt?: string;
  /** Text never sent to a client (case-insensitive substrings); generation stops at one. */
  denyPatterns: string[];
};

/** When the audit log closes a batch. */
export type GovernedAuditBatch = { batchSize?: number; batchIntervalMs?: number };

/** The operator's caps on governed limits (NS_LLM_MAX_CONCURRENT...; undefined: none). */
export type LimitCeilings = {
  maxConcurrent?: number;
  maxQueue?: number;
  requestTimeoutMs?: number;
  maxPromptTokens?: number;
  maxOutputTokens?: number;
  maxEmbedBatch?: number;
  maxInputChars?: number;
  /** Layers of the generation model offloaded to a GPU (with no governed value, the ceiling is the cap). */
  maxGpuLayers?: number;
};

/**
 * The node's own limits where the manifest sets none (maxConcurrent absent: the engine's capacity;
 * maxGpuLayers has no default: without a governed value or a ceiling, as many layers as fit).
 */
export type LimitDefaults = Omit<Required<LimitCeilings>, "maxConcurrent" | "maxGpuLayers"> & { maxConcurrent?: number };

export const DEFAULT_LIMITS: LimitDefaults = {
  maxQueue: 32,
  requestTimeoutMs: 120_000,
  maxPromptTokens: 4096,
  maxOutputTokens: 1024,
  maxEmbedBatch: 32,
  maxInputChars: 200_000,
};

/** The environment variable of each ceiling (for what /api/governance says about a clamp). */
const CEILING_ENV: Record<keyof LimitCeilings, string> = {
  maxConcurrent: "NS_LLM_MAX_CONCURRENT",
  maxQueue: "NS_LLM_MAX_QUEUE",
  requestTimeoutMs: "NS_LLM_REQUEST_TIMEOUT_MS",
  maxPromptTokens: "NS_LLM_MAX_PROMPT_TOKENS",
  maxOutputTokens: "NS_LLM_MAX_OUTPUT_TOKENS",
  maxEmbedBatch: "NS_LLM_MAX_EMBED_BATCH",
  maxInputChars: "NS_LLM_MAX_INPUT_CHARS",
  maxGpuLayers: "NS_LLM_MAX_GPU_LAYERS",
};

export type GovernedStateOptions = {
  ceilings?: LimitCeilings;
  defaults?: Partial<LimitDefaults>;
  /** Generations the loaded engine can run at once (its sequences); concurrency never exceeds it. */
  capacity?: () => number;
};

export class GovernedState {
  #parameters: ManifestParameters;
  #source: GovernedSource | undefined;
  #listeners = new Set<(state: GovernedState) => void>();
  readonly #ceilings: LimitCeilings;
  readonly #defaults: LimitDefaults;
  readonly #capacity: () => number;

  constructor(parameters: ManifestParameters = {}, source?: GovernedSource, options: GovernedStateOptions = {}) {
    this.#parameters = structuredClone(parameters);
    this.#source = source;
    this.#ceilings = { ...options.ceilings };
    this.#defaults = { ...DEFAULT_LIMITS, ...definedOnly(options.defaults ?? {}) };
    this.#capacity = options.capacity ?? (() => Number.POSITIVE_INFINITY);
  }

  /** The parameters in force, as the manifest states them (for /api/governance). */
  get parameters(): Readonly<ManifestParameters> {
    return this.#parameters;
  }

  get source(): GovernedSource | undefined {
    return this.#source;
  }

  /** Puts `parameters` in force at once and tells every subscriber. */
  apply(parameters: ManifestParameters, source?: GovernedSource): void {
    this.#parameters = structuredClone(parameters);
    this.#source = source;
    for (const listener of this.#listeners) listener(this);
  }

  /** Calls `listener` after every `apply`; returns the unsubscribe function. */
  onChange(listener: (state: GovernedState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  generation(): GovernedGeneration {
    const p = this.#parameters;
    return {
      ...defined({ temperature: p.temperature, topP: p.topP, topK: p.topK, repeatPenalty: p.repeatPenalty, maxTokens: p.maxTokens, systemPrompt: p.systemPrompt }),
      denyPatterns: p.validation?.denyPatterns ?? [],
    };
  }

  /** The plugins every node must run and those none may (issue 21; node/src/plugins reads it at each call). */
  plugins(): GovernedPlugins {
    return this.#parameters.plugins ?? {};
  }

  /** Similarity above which the gateway reuses a cached answer (governed `cacheSimilarity`). */
  cacheSimilarity(): number | undefined {
    return this.#parameters.cacheSimilarity;
  }

  /**
   * The limits in force now: each governed value (else the node's default), never above the
   * operator's ceiling; concurrency never above what the engine can run. Read at every admission
   * decision, so an adoption takes effect with the next request. `maxOutputTokens` is the governed
   * `maxTokens` (the cap of one answer) under the same rule.
   */
  limits(): EffectiveLimits {
    const g = this.#parameters.limits ?? {};
    const clamped: EffectiveLimits["clamped"] = [];
    const pick = (field: keyof LimitCeilings, governed: number | undefined, fallback: number): number => {
      const ceiling = this.#ceilings[field];
      const wanted = governed ?? fallback;
      if (ceiling === undefined || wanted <= ceiling) return wanted;
      if (governed !== undefined) clamped.push({ field: field === "maxOutputTokens" ? "maxTokens" : `limits.${field}`, governed, applied: ceiling, env: CEILING_ENV[field] });
      return ceiling;
    };
    const capacity = Math.max(1, this.#capacity());
    const concurrent = pick("maxConcurrent", g.maxConcurrent, this.#defaults.maxConcurrent ?? capacity);
    return {
      maxConcurrent: Math.max(1, Math.min(concurrent, capacity)),
      maxQueue: pick("maxQueue", g.maxQueue, this.#defaults.maxQueue),
      requestTimeoutMs: pick("requestTimeoutMs", g.requestTimeoutMs, this.#defaults.requestTimeoutMs),
      maxPromptTokens: pick("maxPromptTokens", g.maxPromptTokens, this.#defaults.maxPromptTokens),
      maxOutputTokens: pick("maxOutputTokens", this.#parameters.maxTokens, this.#defaults.maxOutputTokens),
      maxEmbedBatch: pick("maxEmbedBatch", g.maxEmbedBatch, this.#defaults.maxEmbedBatch),
      maxInputChars: pick("maxInputChars", g.maxInputChars, this.#defaults.maxInputChars),
      maxGpuLayers: this.#gpuLayerCap(g.maxGpuLayers, clamped),
      clamped,
    };
  }

  /**
   * The cap on the generation model's GPU layers in force (undefined: none, as many as fit): read
   * at every load of a generation model (models.ts, the dry-run sandbox); a change while one is
   * loaded is honoured by serving/gpu-layer-cap.ts.
   */
  gpuLayerCap(): number | undefined {
    return this.limits().maxGpuLayers ?? undefined;
  }

  /** The governed cap, never above the operator's NS_LLM_MAX_GPU_LAYERS; with no governed cap, the ceiling is the cap. */
  #gpuLayerCap(governed: number | undefined, clamped: EffectiveLimits["clamped"]): number | null {
    const ceiling = this.#ceilings.maxGpuLayers;
    if (governed === undefined) return ceiling ?? null;
    if (ceiling === undefined || governed <= ceiling) return governed;
    clamped.push({ field: "limits.maxGpuLayers", governed, applied: ceiling, env: CEILING_ENV.maxGpuLayers });
    return ceiling;
  }

  /**
   * The audit batch settings; a setting the operator pinned (NS_LLM_AUDIT_BATCH_SIZE/SECONDS) is
   * a local override and left out. Undefined when the manifest sets neither.
   */
  auditBatch(pinned: { size: boolean; seconds: boolean }): GovernedAuditBatch | undefined {
    const batchSize = pinned.size ? undefined : this.#parameters.audit?.batchSize;
    const seconds = pinned.seconds ? undefined : this.#parameters.audit?.batchSeconds;
    if (batchSize === undefined && seconds === undefined) return undefined;
    return defined({ batchSize, batchIntervalMs: seconds === undefined ? undefined : seconds * 1000 });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
