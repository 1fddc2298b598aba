/**
 * The node's native API (`POST /embed`, `POST /generate`): request bodies and answers. The
 * OpenAI-compatible routes follow OpenAI's own shapes (with an extra `ns_llm` provenance field).
 */
import type { AnswerSource } from "./answers.ts";
import type { ValidationVerdict } from "./validation.ts";

/** An image to embed (the vision role): a data URL (`data:image/png;base64,...`) or bare base64. */
export type EmbedImage = { image: string };
/** Texts, or images (one kind per request: each comes from its own governed model). */
export type EmbedRequest = { input: string | string[] | EmbedImage | EmbedImage[] };

export type EmbedResponse = {
  model: string;
  dimensions: number;
  /** One L2-normalised vector per input, in order. */
  embeddings: number[][];
  manifest: string | null;
  auditSeq: number | null;
  /** Images only: true when the adopted text model shares the image encoder's space (vectors comparable). */
  paired?: boolean;
};

export type GenerateRequest = {
  prompt: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  repeatPenalty?: number;
  seed?: number;
  stop?: string | string[];
  stream?: boolean;
  /** JSON output enforced while decoding: "json" (any object) or a JSON schema; a schema the node cannot enforce is a 400 `unsupported_schema`. */
  format?: "json" | Record<string, unknown>;
};

/** Why generation stopped: its end, the token limit, a cancellation, the deadline, or a governed rule. */
export type FinishReason = "stop" | "length" | "abort" | "timeout" | "content_filter";

/** Everything `/generate` says about an answer but its text. */
export type GenerateSummary = {
  model: string;
  source: Exclude<AnswerSource, "embedding">;
  tokens: number;
  promptTokens: number;
  finishReason: FinishReason;
  ms: number;
  firstTokenMs: number | null;
  manifest: string | null;
  auditSeq: number | null;
  /** Why the answer comes from search, when it does. */
  reason?: string;
  /** Its validation scores and verdict; with finishReason content_filter, `layer` says which layer refused it. */
  validation?: ValidationVerdict;
};

export type GenerateResponse = GenerateSummary & { text: string };

/** With `stream: true`: `data: {"token"}` events, then one `data: {"done": true, ...}`. */
export type GenerateStreamEvent = { token: string } | ({ done: true } & GenerateSummary);
