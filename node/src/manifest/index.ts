/**
 * Manifests v1 (manifests/schema.json), the documents governance adopts: parse and check them
 * against the schema and the node's own rules. Their types, schema, canonical encoding and digest
 * are the protocol's (`@ns-llm/contracts`), shared with the dApp.
 */
export { parseManifest, parseAdoptedManifest, MAX_MANIFEST_BYTES } from "./parse-manifest.ts";
export type { ParseManifestParameters, ParseManifestOptions, ParseManifestReturnType } from "./parse-manifest.ts";
export { sha256Hex } from "./digest.ts";
export { ManifestError, formatProblem } from "./errors.ts";
export type { ManifestErrorCode } from "./errors.ts";
export { artifactPathProblems, sourceProblems, SOURCE_SCHEMES } from "./checks.ts";
export type { ManifestCheckOptions } from "./checks.ts";
export {
  addressRefusal,
  classifyAddress,
  createSourcePolicy,
  literalAddress,
  LOOPBACK_SOURCES,
  parsePrivateSourcesAllowed,
  PUBLIC_SOURCES_ONLY,
} from "./source-policy.ts";
export type { AddressClass, PrivateSourcesAllowed, SourcePolicy } from "./source-policy.ts";
export {
  canonicalManifestJson,
  encodeManifest,
  isModelManifest,
  MANIFEST_SCHEMA,
  manifestDigest,
  manifestSchema,
  type EmbeddingManifest,
  type EvaluationManifest,
  type GenerationManifest,
  type Manifest,
  type ManifestArtifact,
  type ManifestModel,
  type ManifestParameters,
  type ManifestProblem,
  type ManifestRole,
  type ModelManifest,
  type ModerationManifest,
  type ManifestImage,
  type VisionManifest,
  type ParametersManifest,
} from "@ns-llm/contracts";
