/**
 * Signs a release manifest with the release key: the envelope carries the manifest as readable
 * JSON and an Ed25519 signature over its canonical form (RFC 8785), so the file can be pretty-
 * printed, published to IPFS and adopted by CID while its signature still checks.
 */
import { sign, type KeyObject } from "node:crypto";
import { ReleaseError } from "./errors.ts";
import { releaseKeyId } from "./keys.ts";
import { checkReleaseManifest, formatReleaseProblems, releaseSigningBytes, SIGNED_RELEASE_SCHEMA, type ReleaseManifest, type SignedRelease } from "./manifest.ts";

export type SignReleaseParameters = { manifest: ReleaseManifest; privateKey: KeyObject };

/** The signed release file's bytes (JSON, two-space indent, final newline). */
export function signRelease({ manifest, privateKey }: SignReleaseParameters): Uint8Array {
  const result = checkReleaseManifest(manifest);
  if (!result.ok) throw new ReleaseError("release_malformed", `the release manifest is invalid: ${formatReleaseProblems(result.problems)}`, "fix the manifest before signing it");
  const checked = result.manifest;
  const value = sign(null, Buffer.from(releaseSigningBytes(checked)), privateKey).toString("base64");
  const envelope: SignedRelease = {
    schema: SIGNED_RELEASE_SCHEMA,
    manifest: checked,
    signature: { algorithm: "ed25519", keyId: releaseKeyId(privateKey), value },
  };
  return new TextEncoder().encode(`${JSON.stringify(envelope, null, 2)}\n`);
}
