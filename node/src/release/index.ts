/**
 * Releases of the node itself: signed release manifests (Ed25519 over RFC 8785 JSON), checks of
 * downloaded packages against them, and the install folder's versions (stage, switch, rollback,
 * pin) that a governed `release` role will drive.
 */
export { ReleaseError, type ReleaseErrorCode } from "./errors.ts";
export {
  RELEASE_SCHEMA,
  SIGNED_RELEASE_SCHEMA,
  RELEASE_PLATFORMS,
  RELEASE_FORMATS,
  checkReleaseManifest,
  releaseSigningBytes,
  isVersionName,
  type ReleaseManifest,
  type ReleaseArtifact,
  type ReleasePlatform,
  type ReleaseFormat,
  type SignedRelease,
} from "./manifest.ts";
export { releasePublicKey, releasePrivateKey, releaseKeyId } from "./keys.ts";
export { signRelease, type SignReleaseParameters } from "./sign-release.ts";
export { verifyRelease, MAX_RELEASE_BYTES, type VerifyReleaseParameters, type VerifyReleaseReturnType } from "./verify-release.ts";
export { verifyArtifact, type VerifyArtifactParameters } from "./verify-artifact.ts";
export {
  readInstallState,
  stageVersion,
  switchVersion,
  rollbackVersion,
  pinVersion,
  pruneVersions,
  versionDir,
  versionEntryPoints,
  type InstallState,
  type StageVersionParameters,
  type SwitchVersionParameters,
} from "./install-layout.ts";
export { stagePackage, type StagePackageParameters, type StagePackageReturnType } from "./stage-package.ts";
export { currentPlatform } from "./platform.ts";
export { packagedInstall, releasePin, trustedReleaseKey, RELEASE_KEY_FILE, type PackagedInstall } from "./shipped-key.ts";
export { releaseSigner, type ReleaseSignerParameters } from "./signer-key.ts";
export { parseGovernedRelease, looksLikeSignedRelease, type GovernedRelease } from "./governed.ts";
export { createReleaseUpdater, type ReleaseUpdater, type ReleaseUpdaterParameters } from "./updater.ts";
