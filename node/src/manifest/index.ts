/**
 * Manifests v1: the documents governance adopts (manifests/schema.json). Parse and check them,
 * compute their on-chain digest, and write them canonically so digests are stable.
 */
export { parseManifest, parseAdoptedManifest, MAX_MANIFEST_BYTES } from "./parse-manifest.ts";
export type { ParseManifestParameters, ParseManifestOptions, ParseManifestReturnType } from "./parse-manifest.ts";
export { manifestDigest, sha256Hex } from "./digest.ts";
export { canonicalJson, encodeManifest } from "./canonical.ts";
export { ManifestError, formatProblem } from "./errors.ts";
export type { ManifestProblem, ManifestErrorCode } from "./errors.ts";
export { artifactPathProblems, sourceProblems, SOURCE_SCHEMES } from "./checks.ts";
export type { ManifestCheckOptions } from "./checks.ts";
export { manifestSchema } from "./schema.ts";
export { MANIFEST_SCHEMA, MANIFEST_ROLES, isModelManifest } from "./types.ts";
export type {
  Manifest,
  ManifestRole,
  ManifestArtifact,
  ManifestModel,
  ManifestParameters,
  GenerationManifest,
  EmbeddingManifest,
  ParametersManifest,
  ModelManifest,
} from "./types.ts";
