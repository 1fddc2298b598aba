/**
 * The propose page's release form: the signed release file a maintainer picked, read and checked in
 * this browser (shape, signature by the key given, which must be the one the signature names),
 * with the CID and digest its exact bytes will be adopted by. Nothing is re-serialised: the bytes
 * published are the bytes picked.
 */
import type { Hex } from "viem";
import type { ReleaseManifest, ReleaseSignature } from "@ns-llm/contracts";
import { manifestIdentity, SINGLE_BLOCK_BYTES } from "./manifest-hash.ts";
import { checkRelease, ReleaseFormatError, type ReleaseKey, type ReleaseKeySource } from "./release.ts";

export type PreparedRelease = {
  bytes: Uint8Array;
  cid: string;
  digest: Hex;
  manifest: ReleaseManifest;
  signature: ReleaseSignature;
  /** The signer's public key (its id is the signature's): it goes into the proposal's description. */
  key: ReleaseKey;
  summary?: string;
};

export type PrepareReleaseReturnType =
  | { ok: true; release: PreparedRelease }
  /** `manifest` and `signature` when the file is a signed release whose signature could not be confirmed. */
  | { ok: false; error: string; manifest?: ReleaseManifest; signature?: ReleaseSignature };

/** Checks a signed release file's bytes with the keys at hand (the one given, the node's) before it is proposed. */
export async function prepareRelease(bytes: Uint8Array, keys: ReadonlyArray<{ key: ReleaseKey; source: ReleaseKeySource } | undefined>, summary?: string): Promise<PrepareReleaseReturnType> {
  let checked;
  try {
    checked = await checkRelease(bytes, keys);
  } catch (error) {
    if (error instanceof ReleaseFormatError) return { ok: false, error: `${error.message}. Pick the release.json that \`npm run package\` wrote.` };
    throw error;
  }
  const { manifest, signature, check } = checked;
  if (check.status === "no-key") {
    const given = keys.filter((k) => k !== undefined).map((k) => `${k.key.id} (${k.source === "node" ? "the node's" : "the key file"})`);
    return {
      ok: false,
      manifest,
      signature,
      error: `The release is signed by key ${signature.keyId}; ${given.length > 0 ? `the keys at hand are ${given.join(", ")}` : "no public key was given"}. Give the public half of the key that signed it (PEM), so this browser can check the signature.`,
    };
  }
  if (check.status === "invalid") {
    return { ok: false, manifest, signature, error: `The signature does not verify: the file was changed after it was signed by ${signature.keyId}. Every node would refuse it (release_bad_signature); rebuild it with \`npm run package\`.` };
  }
  const { digest, cid } = await manifestIdentity(bytes);
  if (!cid) return { ok: false, manifest, signature, error: `The release file is ${bytes.length} bytes; the dApp proposes files of up to ${SINGLE_BLOCK_BYTES / 1024} KiB (one IPFS block), whose CID it can compute itself.` };
  return { ok: true, release: { bytes, cid, digest, manifest, signature, key: check.key, ...(summary?.trim() ? { summary: summary.trim() } : {}) } };
}
