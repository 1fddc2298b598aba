/**
 * Signed release files (role `release`) in the browser. The shape is checked by the shared
 * package (`readSignedRelease`, the node's own check); the signature is verified here, over the
 * same bytes the node verifies (`releaseSigningBytes`), with Web Crypto's Ed25519 (Chrome 137+,
 * Firefox 129+, Safari 17+), else @noble/curves. The signature names its key only by id
 * (`sha256:` of the key's SPKI bytes), so a key from anywhere (the proposal's description, the
 * node, a file) is used only when it hashes to that id: the key's source does not need trust.
 */
import { base64ToBytes, ed25519KeyFromSpki, readSignedRelease, releaseKeyFromSpki, type ReleaseKey, type ReleaseManifest, type ReleaseSignature } from "@ns-llm/contracts";

// The key's description line and its base64 are the shared package's (`ns-llm propose` writes the same line).
export { base64ToBytes, bytesToBase64, releaseKeyFromDescription, releaseKeyFromSpki, releaseKeyLine, type ReleaseKey } from "@ns-llm/contracts";

/** Where the key a signature was checked with came from (its id is checked either way). */
export type ReleaseKeySource = "proposal" | "node" | "file";

export type SignatureCheck =
  | { status: "valid"; key: ReleaseKey; source: ReleaseKeySource }
  | { status: "invalid"; key: ReleaseKey; source: ReleaseKeySource }
  /** No key with the signature's id was at hand: the signature could not be checked. */
  | { status: "no-key" };

export type CheckedRelease = {
  manifest: ReleaseManifest;
  signature: ReleaseSignature;
  check: SignatureCheck;
};

/** A release file that is not one (not JSON, wrong shape): the reason, for a person. */
export class ReleaseFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseFormatError";
  }
}

/** The key in a PEM public key ("-----BEGIN PUBLIC KEY-----", as `openssl pkey -pubout` writes it). */
export function releaseKeyFromPem(pem: string): ReleaseKey {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new Error("this is a private key: never give it to a browser. Give the public half (openssl pkey -in key.pem -pubout)");
  }
  const match = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(pem);
  if (!match) throw new Error("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  return releaseKeyFromSpki(base64ToBytes(match[1]!.replace(/\s+/g, "")));
}

/** Is `signature` by `key` over `message`? Web Crypto's Ed25519, else @noble/curves (older browsers). */
export async function verifyEd25519(key: ReleaseKey, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  let imported: CryptoKey | undefined;
  try {
    imported = await crypto.subtle.importKey("spki", new Uint8Array(key.spki), { name: "Ed25519" }, false, ["verify"]);
  } catch {
    imported = undefined; // no Ed25519 in this browser's Web Crypto
  }
  if (imported) return crypto.subtle.verify({ name: "Ed25519" }, imported, new Uint8Array(signature), new Uint8Array(message));
  const { ed25519 } = await import("@noble/curves/ed25519");
  try {
    return ed25519.verify(signature, message, ed25519KeyFromSpki(key.spki)!);
  } catch {
    return false;
  }
}

/**
 * Reads a signed release file's bytes and checks its signature with the first of `keys` whose id
 * is the one the signature names. Throws a ReleaseFormatError when the bytes are not a signed
 * release; a signature that does not verify is a result (`check.status: "invalid"`), not a throw.
 */
export async function checkRelease(bytes: Uint8Array, keys: ReadonlyArray<{ key: ReleaseKey; source: ReleaseKeySource } | undefined>): Promise<CheckedRelease> {
  const read = readSignedRelease(bytes);
  if (!read.ok) throw new ReleaseFormatError(read.message);
  const { manifest, signature } = read.release;
  const found = keys.find((k) => k?.key.id === signature.keyId);
  if (!found) return { manifest, signature, check: { status: "no-key" } };
  let valid = false;
  try {
    valid = await verifyEd25519(found.key, base64ToBytes(signature.value), read.signedBytes);
  } catch {
    valid = false;
  }
  return { manifest, signature, check: { status: valid ? "valid" : "invalid", key: found.key, source: found.source } };
}

/** Why a checked release must not be voted for or proposed; undefined when nothing is wrong. */
export function releaseProblem(release: CheckedRelease): string | undefined {
  if (release.check.status === "invalid") {
    return `The release's signature does not verify: the file was changed after it was signed by ${release.signature.keyId}. Every node would refuse it (release_bad_signature).`;
  }
  return undefined;
}
