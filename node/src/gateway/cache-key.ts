/**
 * What a cached answer is keyed by, besides its prompt: everything that shapes an answer. The
 * generation model (its manifest CID), the governed parameters in force (the parameters manifest's
 * CID, or the hash of the parameters when the node runs none adopted), and the request's own
 * sampling. An adoption of either role changes the key, so no answer of the old model or the old
 * parameters (an old system prompt, deny patterns, sampling) is ever served after it.
 */
import { createHash } from "node:crypto";
import type { ManifestParameters } from "@ns-llm/contracts";

/** The request fields that shape an answer (the gateway passes them to the node as they are). */
export type CachedSampling = {
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  topK?: number | undefined;
  repeatPenalty?: number | undefined;
  seed?: number | undefined;
  stop?: string | string[] | undefined;
};

/** What the node serves with now: its generation manifest and its governed parameters. */
export type Governed = { generation: string | null; parameters: string | null };

export function cacheKey(governed: Governed, sampling: CachedSampling): string {
  const s = sampling;
  const stop = s.stop === undefined ? null : typeof s.stop === "string" ? [s.stop] : s.stop;
  return JSON.stringify({
    generation: governed.generation,
    parameters: governed.parameters,
    sampling: [s.maxTokens ?? null, s.temperature ?? null, s.topP ?? null, s.topK ?? null, s.repeatPenalty ?? null, s.seed ?? null, stop],
  });
}

/** True when an entry stored under `key` was made with what the node serves with now. */
export function keyMatches(key: string, governed: Governed): boolean {
  try {
    const k = JSON.parse(key) as Partial<Governed>;
    return k.generation === governed.generation && k.parameters === governed.parameters;
  } catch {
    return false; // an entry of an older gateway (no governed key): never valid again
  }
}

/** The key of the parameters in force: the adopted manifest's CID, else the hash of the parameters. */
export function parametersKey(cid: string | undefined, parameters: ManifestParameters | undefined): string | null {
  if (cid) return cid;
  if (!parameters) return null;
  return `sha256:${createHash("sha256").update(JSON.stringify(sortKeys(parameters))).digest("hex")}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}
