import { createHash } from "node:crypto";

/** Lower-case hex sha256 of `bytes` (strings are hashed as UTF-8). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The digest a proposal adopts a manifest with: sha256 of the manifest file's exact bytes, as a
 * 0x-prefixed bytes32 hex string (what `ModelRegistry.adopt` takes). Re-serialising changes it;
 * write manifests with `encodeManifest` so the bytes are stable.
 */
export function manifestDigest(bytes: Uint8Array | string): `0x${string}` {
  return `0x${sha256Hex(bytes)}`;
}
