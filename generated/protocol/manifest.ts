/**
 * Manifest v1 (manifests/schema.json): the document a proposal adopts for one role, by its IPFS
 * CID and the sha256 of its exact bytes. A value of these types has passed the node's
 * `parseManifest`: schema, paths, sizes and sources are checked.
 */
import type { Role } from "../roles.ts";
import type { GovernedPlugins } from "./plugins.ts";
import type { ValidationRule } from "./validation.ts";

export const MANIFEST_SCHEMA = "ns-llm.manifest/v1";

/** A manifest's role is a governed role. */
export type ManifestRole = Role;

/** One file of a model, named by content: the node stores it under its sha256. */
export type ManifestArtifact = {
  /** Relative, '/'-separated path inside the model's folder (never leaves it). */
  path: string;
  /** 64 lower-case hex digits. */
  sha256: string;
  /** Exact size in bytes. */
  size: number;
  /**
   * ipfs://<cid>[/path], https:// (http:// where the node allows it) URLs, tried in order. A node
   * refuses an empty list and sources naming private or loopback addresses (its source policy).
   */
  sources: string[];
};

export type ManifestModel<F extends "gguf" | "onnx" = "gguf" | "onnx"> = {
  format: F;
  /** The first artifact is the file the engine loads; the others sit beside it. */
  artifacts: ManifestArtifact[];
  contextLength?: number;
  dimensions?: number;
  chatTemplate?: string;
  license?: string;
  /** A vision model's preprocessing (CLIP's: size 224, its mean and std). */
  image?: ManifestImage;
  /** A vision model: the embedding manifest (by name) whose text vectors share its space. */
  pairedEmbedding?: string;
};

/** Resize to size x size (cover, centre crop), RGB in [0, 1], then (x - mean) / std per channel. */
export type ManifestImage = { size: number; mean?: [number, number, number]; std?: [number, number, number] };

/**
 * The governed parameters (the schema's descriptions give each field's unit and meaning). Every
 * field takes effect on a node from its next request (node/src/serving/governed-state.ts; validation:
 * node/src/validation). The operator may cap `limits.*` and
 * `maxTokens` (NS_LLM_MAX_*); GET /api/governance `effective` shows what applies.
 */
export type ManifestParameters = {
  /** Default sampling temperature (a request's own value wins). */
  temperature?: number;
  topP?: number;
  /** 0 = no limit. */
  topK?: number;
  /** > 0; 1 = none. */
  repeatPenalty?: number;
  /** Tokens: the cap of one answer, and its default length. */
  maxTokens?: number;
  /** Put before a chat with no system message. */
  systemPrompt?: string;
  /** The gateway's cache threshold (cosine similarity). */
  cacheSimilarity?: number;
  /** denyPatterns: case-insensitive substrings, never regular expressions; rules: RE2 regexes and phrases (node/docs/validation.md). */
  validation?: {
    maxToxicity?: number;
    minCoherence?: number;
    denyPatterns?: string[];
    minChars?: number;
    maxChars?: number;
    rules?: ValidationRule[];
  };
  /**
   * Canary swap of an adopted generation model (canary.ts): `share` of live requests go to the new
   * model for `durationSec` or `minRequests` answers, then it replaces the current one unless it
   * did worse than the tolerances. Absent or share 0: the swap is immediate.
   */
  canary?: {
    share?: number;
    durationSec?: number;
    minRequests?: number;
    maxErrorRateDelta?: number;
    maxLatencyRatio?: number;
    maxRefusalRateDelta?: number;
  };
  /** Contributor plugins every node must run, or none may run (by name, version, package digest). */
  plugins?: GovernedPlugins;
  /** An audit batch closes every `batchSize` entries or `batchSeconds` seconds. */
  audit?: { batchSize?: number; batchSeconds?: number };
  limits?: {
    /** Generations at once (never above the engine's sequences). */
    maxConcurrent?: number;
    /** Requests waiting (generation, and embeddings); one more is 429. */
    maxQueue?: number;
    /** Tokens of the longest prompt. */
    maxPromptTokens?: number;
    /** Texts per call of the embedding engine. */
    maxEmbedBatch?: number;
    /** Characters of the longest text to embed. */
    maxInputChars?: number;
    /** Milliseconds: a request's deadline, waiting included. */
    requestTimeoutMs?: number;
    /**
     * Layers of the generation model a node may offload to its GPU: 0 = the CPU only; absent =
     * as many as fit (node-llama-cpp's "auto"). A node that has no GPU offloads none either way.
     */
    maxGpuLayers?: number;
  };
};

type ManifestCommon = {
  schema: typeof MANIFEST_SCHEMA;
  name: string;
  description?: string;
  /** Any role may carry defaults; the `parameters` role must. */
  parameters?: ManifestParameters;
};

export type GenerationManifest = ManifestCommon & { role: "generation"; model: ManifestModel<"gguf"> };
export type EmbeddingManifest = ManifestCommon & {
  role: "embedding";
  model: ManifestModel<"onnx"> & { dimensions: number };
};
/** A text classifier scoring toxicity (sequence classification, ONNX; see node/docs/validation.md). */
export type ModerationManifest = ManifestCommon & { role: "moderation"; model: ManifestModel<"onnx"> };
/**
 * An image encoder (CLIP-style image tower, ONNX: pixel_values [batch, 3, size, size] to one
 * vector per image) whose vectors share the space of a text embedding model (`pairedEmbedding`).
 */
export type VisionManifest = ManifestCommon & {
  role: "vision";
  model: ManifestModel<"onnx"> & { dimensions: number; image: ManifestImage };
};
export type ParametersManifest = ManifestCommon & { role: "parameters"; parameters: ManifestParameters; model?: never };

/** One prompt of a governed evaluation suite and what its answer must show. */
export type EvaluationPrompt = {
  prompt: string;
  /** Case-insensitive substrings the answer must all contain. */
  mustContain?: string[];
  mustNotContain?: string[];
  /** The answer (or embedding) takes at most this many ms. */
  maxLatencyMs?: number;
  /** Asked for JSON output; the answer must parse as a JSON object. */
  json?: boolean;
};

/** `evaluation`: how dry-runs judge proposed models (node/src/dry-run/suite.ts). */
export type EvaluationSpec = {
  prompts: EvaluationPrompt[];
  /** Tokens of each answer; default 16. */
  maxTokens?: number;
  /** Share of prompts that must pass; default 1. */
  passRate?: number;
  /** Embedding models must give vectors of this length. */
  dimensions?: number;
};

/** The governed evaluation suite (role `evaluation`): no model, a suite. */
export type EvaluationManifest = ManifestCommon & { role: "evaluation"; evaluation: EvaluationSpec; model?: never };

export type ModelManifest = GenerationManifest | EmbeddingManifest | ModerationManifest | VisionManifest;
export type Manifest = ModelManifest | ParametersManifest | EvaluationManifest;

/** True when the manifest names a model (generation, embedding, moderation or vision), i.e. has artifacts. */
export function isModelManifest(manifest: Manifest): manifest is ModelManifest {
  return manifest.role !== "parameters" && manifest.role !== "evaluation";
}
