/**
 * The governed parameters in force: the applied `parameters` manifest, and the only code that maps
 * it to what the parts of the node use (the generation defaults and caps, the deny patterns, the
 * audit batch settings, what the gateway reads). The follower applies a new manifest here; every
 * reader asks here at the moment it needs a value, and parts that hold settings of their own (the
 * audit anchorer) subscribe with `onChange`. A field of the schema that is not mapped here takes
 * no effect, which is why there is one place to look.
 */
import type { ManifestParameters } from "@ns-llm/contracts";

/** Which parameters manifest is in force (absent for the built-in defaults). */
export type GovernedSource = { cid: string | undefined; name: string; version: number | undefined; digest: string | undefined };

/** The generation defaults and caps a request starts from. */
export type GovernedGeneration = {
  temperature?: number;
  topP?: number;
  /** The most tokens one answer may have, and the default when a request names none. */
  maxTokens?: number;
  /** Put before a chat that has no system message of its own. */
  systemPrompt?: string;
  /** Text never sent to a client (case-insensitive substrings); generation stops at one. */
  denyPatterns: string[];
};

/** When the audit log closes a batch. */
export type GovernedAuditBatch = { batchSize?: number; batchIntervalMs?: number };

export class GovernedState {
  #parameters: ManifestParameters;
  #source: GovernedSource | undefined;
  #listeners = new Set<(state: GovernedState) => void>();

  constructor(parameters: ManifestParameters = {}, source?: GovernedSource) {
    this.#parameters = structuredClone(parameters);
    this.#source = source;
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
      ...defined({ temperature: p.temperature, topP: p.topP, maxTokens: p.maxTokens, systemPrompt: p.systemPrompt }),
      denyPatterns: p.validation?.denyPatterns ?? [],
    };
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

function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
