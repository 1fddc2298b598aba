/**
 * Manifest v1 (manifests/schema.json): the document a proposal adopts for one role, by its IPFS
 * CID and the sha256 of its exact bytes. A value of these types has passed the node's
 * `parseManifest`: schema, paths, sizes and sources are checked.
 */
import type { Role } from "../roles.ts";
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
  /** ipfs://, http:// or https:// URLs, tried in order; may be empty. */
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
};

export type ManifestParameters = {
  temperature?: number;
  topP?: number;
  topK?: number;
  repeatPenalty?: number;
  maxTokens?: number;
  systemPrompt?: string;
  cacheSimilarity?: number;
  validation?: {
    maxToxicity?: number;
    minCoherence?: number;
    denyPatterns?: string[];
    minChars?: number;
    maxChars?: number;
    rules?: ValidationRule[];
  };
  audit?: { batchSize?: number; batchSeconds?: number };
  limits?: {
    maxConcurrent?: number;
    maxQueue?: number;
    maxPromptTokens?: number;
    maxEmbedBatch?: number;
    maxInputChars?: number;
    requestTimeoutMs?: number;
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
export type ParametersManifest = ManifestCommon & { role: "parameters"; parameters: ManifestParameters; model?: never };

export type ModelManifest = GenerationManifest | EmbeddingManifest | ModerationManifest;
export type Manifest = ModelManifest | ParametersManifest;

/** True when the manifest names a model (generation, embedding or moderation), i.e. has artifacts. */
export function isModelManifest(manifest: Manifest): manifest is ModelManifest {
  return manifest.role !== "parameters";
}
