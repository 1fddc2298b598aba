/**
 * Release keys: Ed25519 key objects from PEM text, and the id a signature names its key by
 * (`sha256:<hex>` of the public key's SPKI DER bytes, so the id never depends on PEM formatting).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { releaseKeyIdOfSpki } from "@ns-llm/contracts";
import { ReleaseError } from "./errors.ts";

/** The public key in `pem` (a public key, or the public half of a private key). */
export function releasePublicKey(pem: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(typeof pem === "string" ? pem : Buffer.from(pem));
  } catch (error) {
    throw new ReleaseError("release_untrusted_key", `not a public key: ${(error as Error).message}`, "give a PEM file with an Ed25519 public key");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new ReleaseError("release_untrusted_key", `release keys are Ed25519, this one is ${key.asymmetricKeyType}`, "give the project's Ed25519 release key");
  }
  return key;
}

/** The private key in `pem` (PKCS#8, as `openssl genpkey -algorithm ed25519` writes it). */
export function releasePrivateKey(pem: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(typeof pem === "string" ? pem : Buffer.from(pem));
  } catch (error) {
    throw new ReleaseError("release_untrusted_key", `not a private key: ${(error as Error).message}`, "give a PEM file with an Ed25519 private key");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new ReleaseError("release_untrusted_key", `release keys are Ed25519, this one is ${key.asymmetricKeyType}`, "create one with openssl genpkey -algorithm ed25519");
  }
  return key;
}

/** `sha256:<hex>` of the SPKI DER bytes of `key` (public, or the public half of a private key). */
export function releaseKeyId(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return releaseKeyIdOfSpki(publicKey.export({ format: "der", type: "spki" }));
}
