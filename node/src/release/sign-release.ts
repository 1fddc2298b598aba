/**
 * Signs a release manifest with the release key: the envelope carries the manifest as readable
 * JSON and an Ed25519 signature over its canonical form (RFC 8785), so the file can be pretty-
 * printed, published to IPFS and adopted by CID while its signature still checks.
 */
import { sign, type KeyObject } from "node:crypto";
// The audit log's RFC 8785 writer, imported alone: the audit index would load node:sqlite.
import { canonicalJson } from "../audit/canonical.ts";
import { releaseKeyId } from "./keys.ts";
import { releaseManifestSchema, SIGNED_RELEASE_SCHEMA, type ReleaseManifest, type SignedRelease } from "./manifest.ts";

export type SignReleaseParameters = { manifest: ReleaseManifest; privateKey: KeyObject };

/** The signed release file's bytes (JSON, two-space indent, final newline). */
export function signRelease({ manifest, privateKey }: SignReleaseParameters): Uint8Array {
  const checked = releaseManifestSchema.parse(manifest);
  const value = sign(null, Buffer.from(canonicalJson(checked)), privateKey).toString("base64");
  const envelope: SignedRelease = {
    schema: SIGNED_RELEASE_SCHEMA,
    manifest: checked,
    signature: { algorithm: "ed25519", keyId: releaseKeyId(privateKey), value },
  };
  return new TextEncoder().encode(`${JSON.stringify(envelope, null, 2)}\n`);
}
