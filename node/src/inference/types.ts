/**
 * The contract between the inference engines and everything above them (HTTP API, follower,
 * gateway). The engines implement it; nothing above imports an engine's internals.
 */

import type { ChatMessage, ChatRole, ModelDevice } from "@ns-llm/contracts";
import type { GpuOffload } from "./generation/gpu-layers.ts";

export type { ChatMessage, ChatRole };

/** Sampling settings; anything left out takes the engine's (governed) defaults. */
export type SamplingOptions = {
  temperature?: number;
  topP?: number;
  topK?: number;
  repeatPenalty?: number;
  seed?: number;
  maxTokens?: number;
  /** Generation ends before any of these strings; they are not part of the text. */
  stop?: string[];
};

/**
 * Output constrained while decoding (structured-output.ts): any JSON object, or JSON that matches
 * a schema. An answer that ends (not cut by maxTokens or a stop string) parses and matches.
 */
export type OutputFormat = { type: "json_object" } | { type: "json_schema"; schema: Record<string, unknown> };

/** A sampled token's log-probability (natural log), its UTF-8 bytes, and the likeliest alternatives. */
export type TokenLogprob = { token: string; logprob: number; bytes: number[]; top: Array<{ token: string; logprob: number; bytes: number[] }> };

export type GenerateCommon = SamplingOptions & {
  format?: OutputFormat;
  /** Report each token's log-probability and `top` alternatives (logprobs.ts). */
  logprobs?: { top: number };
  /** Aborting stops evaluation at once; the result then has `finishReason: "abort"`. */
  signal?: AbortSignal;
  /** Called with each piece of text as soon as it is decoded, in order. */
  onToken?: (text: string) => void;
};

/** Raw completion of `prompt`, no chat template. */
export type CompleteParameters = GenerateCommon & { prompt: string };
/** A chat through the model's own template (or a plain fallback when the model has none). */
export type ChatParameters = GenerateCommon & { messages: ChatMessage[] };

export type FinishReason = "stop" | "length" | "abort";

export type GenerationResult = {
  text: string;
  /** Tokens generated. */
  tokens: number;
  promptTokens: number;
  /** Of the prompt's tokens, how many its sequence held already (a shared start, such as a system prompt), not evaluated again. */
  cachedTokens?: number;
  finishReason: FinishReason;
  /** With `logprobs`: one entry per token sampled (a stop string can end the text inside the last ones). */
  logprobs?: TokenLogprob[];
  /** Wall time of the whole call, and until the first token (null when none came). */
  ms: number;
  firstTokenMs: number | null;
};

export type ModelInfo = {
  /** A name for people and for /v1/models (the manifest's name, else the file's). */
  name: string;
  path: string;
  /** The backend the model runs on and the layers it offloaded (for /health and /metrics). */
  device: ModelDevice;
};

export type DecodeBatching = { batches: number; steps: number; passes: number };

export interface GenerationEngine {
  /** `offload`: how llama.cpp placed the model's layers (absent in engines that are not llama.cpp's). */
  readonly info: ModelInfo & { contextLength: number; hasChatTemplate: boolean; offload?: GpuOffload };
  /** How many generations can run at once (sequences of the shared context). */
  readonly capacity: number;
  /** Generations running now. */
  readonly active: number;
  /**
   * Decode batches since the model was loaded, the next-token steps in them (steps / batches: how
   * many requests share a batch) and llama.cpp's passes over the weights for them (passes / batches
   * above 1: batches split by sequence ids out of order). Absent in engines that are not llama.cpp's.
   */
  readonly batching?: DecodeBatching;
  complete(parameters: CompleteParameters): Promise<GenerationResult>;
  chat(parameters: ChatParameters): Promise<GenerationResult>;
  countTokens(text: string): number;
  /** Frees the model; waits for generations in flight unless `force`. */
  dispose(options?: { force?: boolean }): Promise<void>;
}

export interface EmbeddingEngine {
  readonly info: ModelInfo & { dimensions: number; maxLength: number };
  /** One L2-normalised vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
