/**
 * The public key a release proposal names as its signer (`release-key:` in the description, see
 * generated/protocol/release-key.ts): a key given by the proposer, checked against the release
 * file before anything is proposed, so a proposal never carries a key that did not sign it.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { readSignedRelease, releaseKeyFromSpki, type ReleaseKey } from "@ns-llm/contracts";
import { ReleaseError } from "./errors.ts";
import { releaseKeyId } from "./keys.ts";
import { verifyRelease } from "./verify-release.ts";

export type ReleaseSignerParameters = {
  /** The signed release file's bytes. */
  bytes: Uint8Array;
  /** The public key (or the public half of a private key) said to have signed it. */
  key: KeyObject;
  /** Where `key` came from, for the message when it is not the signer ("--release-key k.pem"). */
  from: string;
};

/**
 * `key` as the signer of the release file `bytes`: its id is the one the signature names and the
 * signature verifies with it over the manifest. Else a ReleaseError: release_untrusted_key (another
 * key signed it), release_bad_signature (changed after signing), release_malformed.
 */
export function releaseSigner({ bytes, key, from }: ReleaseSignerParameters): ReleaseKey {
  const read = readSignedRelease(bytes);
  const id = releaseKeyId(key);
  if (read.ok && read.release.signature.keyId !== id) {
    throw new ReleaseError(
      "release_untrusted_key",
      `the release is signed by key ${read.release.signature.keyId}, not by ${from} (${id})`,
      "pass --release-key with the public key that signed it (the release-key.pem its packages ship)",
    );
  }
  verifyRelease({ bytes, trustedKeys: [key] });
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return releaseKeyFromSpki(new Uint8Array(publicKey.export({ format: "der", type: "spki" })));
}
