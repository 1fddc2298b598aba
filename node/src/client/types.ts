/** Request and response shapes of the node's native API (SPEC.md, "HTTP API of the node"). */

export type Provenance = {
  model: string;
  /** CID of the manifest of the model that answered, when it came from a governed manifest. */
  manifest?: string | null;
  /** Sequence number of this answer's audit log entry. */
  auditSeq?: number | null;
};

export type EmbedRequest = { input: string | string[] };
export type EmbedResponse = Provenance & { dimensions: number; embeddings: number[][] };

export type GenerateRequest = {
  prompt: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
};
export type GenerateResponse = Provenance & { text: string; source: "llm" | "search"; tokens: number; ms: number };

export type GenerateStreamEvent = { token: string } | ({ done: true } & Partial<GenerateResponse>);

export type Health = {
  status: "ok" | "degraded";
  reasons?: string[];
  embedding: { ready: boolean; model: string | null; manifest: string | null };
  generation: { ready: boolean; model: string | null; manifest: string | null };
  [key: string]: unknown;
};

export type ClientEvent =
  | { type: "breaker"; endpoint: string; state: "closed" | "open" | "half-open" | "isolated" }
  | { type: "health"; endpoint: string; healthy: boolean; degraded: boolean }
  | { type: "retry"; endpoint: string; attempt: number; delayMs: number; error: string }
  | { type: "failover"; from: string; to: string; error: string };

/** GET /api/governance (the fields a client needs; the node sends more). */
export type GovernanceState = {
  enabled: boolean;
  applied: Partial<Record<"generation" | "embedding" | "parameters", { version: number; cid: string; model: string; appliedAt: string }>>;
  parameters?: { cacheSimilarity?: number; temperature?: number; maxTokens?: number; [key: string]: unknown };
  [key: string]: unknown;
};
