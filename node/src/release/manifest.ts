/**
 * The release manifest (`ns-llm.release/v1`): one release of the node, its version and, per
 * platform, the package files by name, sha256 and size. It travels inside a signed envelope
 * (`ns-llm.signed-release/v1`, see sign-release.ts): the file the network votes on, by CID.
 * Its types and its one shape check live in the shared package (generated/protocol/release.ts),
 * which the dApp uses too.
 */
export {
  RELEASE_SCHEMA,
  SIGNED_RELEASE_SCHEMA,
  RELEASE_PLATFORMS,
  RELEASE_FORMATS,
  MAX_RELEASE_BYTES,
  checkReleaseManifest,
  signedReleaseEnvelopeProblems,
  formatReleaseProblems,
  releaseSigningBytes,
  isVersionName,
  type ReleasePlatform,
  type ReleaseFormat,
  type ReleaseManifest,
  type ReleaseArtifact,
  type ReleaseSignature,
  type SignedRelease,
} from "@ns-llm/contracts";
