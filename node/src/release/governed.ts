/**
 * A signed release file as the governed document of role `release`: the follower fetches it by
 * the adopted CID, checks its bytes against the digest on chain, then hands it here. Its shape is
 * checked now; whether a trusted key signed it is the updater's first step, so an unverifiable
 * release is refused with its own code (release_bad_signature, release_untrusted_key).
 */
import { isSignedReleaseDocument, readSignedRelease } from "@ns-llm/contracts";
import { ReleaseError } from "./errors.ts";
import type { ReleaseManifest } from "./manifest.ts";

/** What the follower holds for an adoption of role `release`. */
export type GovernedRelease = {
  role: "release";
  /** `ns-llm-<version>`: what the follower and the audit log name it by. */
  name: string;
  manifest: ReleaseManifest;
  /** The signed file's exact bytes, verified by the updater. */
  bytes: Uint8Array;
};

/** Does `bytes` claim to be a signed release file (JSON with its schema name)? Cheap: no signature check. */
export function looksLikeSignedRelease(bytes: Uint8Array): boolean {
  try {
    return isSignedReleaseDocument(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return false;
  }
}

export function parseGovernedRelease(bytes: Uint8Array): GovernedRelease {
  const read = readSignedRelease(bytes);
  if (!read.ok) throw new ReleaseError("release_malformed", read.message, "adopt the release.json that `npm run package` writes");
  const { manifest } = read.release;
  return { role: "release", name: `ns-llm-${manifest.version}`, manifest, bytes };
}
