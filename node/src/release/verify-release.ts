/**
 * Checks a signed release file: its shape, that a trusted key signed it, that the signature
 * covers the manifest it carries. Returns the manifest only when all of that holds.
 */
import { verify, type KeyObject } from "node:crypto";
// The audit log's RFC 8785 writer, imported alone: the audit index would load node:sqlite.
import { canonicalJson } from "../audit/canonical.ts";
import { ReleaseError } from "./errors.ts";
import { releaseKeyId } from "./keys.ts";
import { releaseManifestSchema, signedReleaseSchema, type ReleaseManifest } from "./manifest.ts";

/** A signed release file is small; anything bigger is not one. */
export const MAX_RELEASE_BYTES = 1024 * 1024;

export type VerifyReleaseParameters = {
  bytes: Uint8Array;
  /** The keys this node trusts (the one that ships with it, and any the operator adds). */
  trustedKeys: readonly KeyObject[];
};

export type VerifyReleaseReturnType = { manifest: ReleaseManifest; keyId: string };

export function verifyRelease({ bytes, trustedKeys }: VerifyReleaseParameters): VerifyReleaseReturnType {
  if (bytes.byteLength > MAX_RELEASE_BYTES) {
    throw new ReleaseError("release_malformed", `the release file has ${bytes.byteLength} bytes, more than ${MAX_RELEASE_BYTES}`, "give the signed release manifest (release.json)");
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ReleaseError("release_malformed", `the release file is not JSON: ${(error as Error).message}`, "give the signed release manifest (release.json)");
  }
  const envelope = signedReleaseSchema.safeParse(json);
  if (!envelope.success) {
    throw new ReleaseError("release_malformed", `not a signed release: ${problems(envelope.error)}`, "give the signed release manifest (release.json) that `npm run package` writes");
  }
  const { signature } = envelope.data;
  const key = trustedKeys.find((k) => releaseKeyId(k) === signature.keyId);
  if (!key) {
    throw new ReleaseError("release_untrusted_key", `the release is signed by key ${signature.keyId}, which this node does not trust`, "use a release signed by the project's release key, or pass --key with the key you trust");
  }
  const manifest = releaseManifestSchema.safeParse(envelope.data.manifest);
  if (!manifest.success) throw new ReleaseError("release_malformed", `the release manifest is invalid: ${problems(manifest.error)}`, "rebuild the release with `npm run package`");
  const signed = Buffer.from(canonicalJson(envelope.data.manifest));
  if (!verify(null, signed, key, Buffer.from(signature.value, "base64"))) {
    throw new ReleaseError("release_bad_signature", "the release manifest's signature does not match its content", "the file was changed after signing: get it again from its source");
  }
  return { manifest: manifest.data, keyId: signature.keyId };
}

function problems(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"} ${i.message}`).join("; ");
}
