/**
 * Provenance: every answer of the node names the model and manifest that produced it and the
 * audit log entry that records it, in headers (every route) and in native JSON bodies.
 */
import { sha256, type Hex } from "viem";

/** Response headers that carry an answer's provenance. */
export const PROVENANCE_HEADERS = {
  model: "x-ns-llm-model",
  manifest: "x-ns-llm-manifest",
  auditSeq: "x-ns-llm-audit-seq",
  source: "x-ns-llm-source",
} as const;

/** One message of a chat, as the node takes it (OpenAI's `developer` role arrives as `system`). */
export type ChatRole = "system" | "user" | "assistant";
export type ChatMessage = { role: ChatRole; content: string };

/** Where an answer came from: the generation model, the local search fallback, the embedding model. */
export type AnswerSource = "llm" | "search" | "embedding";

/**
 * Where a gateway's `/generate` answer came from: the node (`llm`, or its `search` fallback), the
 * gateway's own semantic cache (`cache`), or a peer node's verified answer (`federated`, with the
 * peer's provenance in the answer's `federation`: FederatedProvenance).
 */
export type GatewayAnswerSource = Exclude<AnswerSource, "embedding"> | "cache" | "federated";

export type Provenance = {
  model: string;
  /** The CID of the manifest the model was adopted with; null for a model loaded without one. */
  manifest: string | null;
  /** The answer's audit log entry. */
  auditSeq: number | null;
};

/**
 * How an answer's audit entry names its input and output: the sha256 of exactly these bytes, so
 * anyone holding the prompt and the answer (the dApp, under a chat answer) recomputes the hashes
 * and checks them against the entry. Text is hashed as UTF-8; a chat as the JSON of its messages,
 * each `{"role", "content"}` in that order, as the client sent them (before the node adds a
 * governed system prompt); a list of texts to embed as their JSON array.
 */

export function textDigest(text: string): Hex {
  return sha256(new TextEncoder().encode(text));
}

export function chatDigest(messages: readonly ChatMessage[]): Hex {
  return textDigest(JSON.stringify(messages.map(({ role, content }) => ({ role, content }))));
}

export function textsDigest(texts: readonly string[]): Hex {
  return textDigest(JSON.stringify(texts));
}
