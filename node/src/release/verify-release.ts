/**
 * Checks a signed release file: its shape, that a trusted key signed it, that the signature
 * covers the manifest it carries. Returns the manifest only when all of that holds.
 */
import { verify, type KeyObject } from "node:crypto";
import { ReleaseError } from "./errors.ts";
import { releaseKeyId } from "./keys.ts";
import {
  checkReleaseManifest,
  formatReleaseProblems,
  MAX_RELEASE_BYTES,
  releaseSigningBytes,
  signedReleaseEnvelopeProblems,
  type ReleaseManifest,
  type ReleaseSignature,
} from "./manifest.ts";

export { MAX_RELEASE_BYTES };

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
  const problems = signedReleaseEnvelopeProblems(json);
  if (problems.length > 0) {
    throw new ReleaseError("release_malformed", `not a signed release: ${formatReleaseProblems(problems)}`, "give the signed release manifest (release.json) that `npm run package` writes");
  }
  const envelope = json as { manifest: unknown; signature: ReleaseSignature };
  const { signature } = envelope;
  const key = trustedKeys.find((k) => releaseKeyId(k) === signature.keyId);
  if (!key) {
    throw new ReleaseError("release_untrusted_key", `the release is signed by key ${signature.keyId}, which this node does not trust`, "use a release signed by the project's release key, or pass --key with the key you trust");
  }
  const manifest = checkReleaseManifest(envelope.manifest);
  if (!manifest.ok) throw new ReleaseError("release_malformed", `the release manifest is invalid: ${formatReleaseProblems(manifest.problems)}`, "rebuild the release with `npm run package`");
  const signed = Buffer.from(releaseSigningBytes(envelope.manifest));
  if (!verify(null, signed, key, Buffer.from(signature.value, "base64"))) {
    throw new ReleaseError("release_bad_signature", "the release manifest's signature does not match its content", "the file was changed after signing: get it again from its source");
  }
  return { manifest: manifest.manifest, keyId: signature.keyId };
}
