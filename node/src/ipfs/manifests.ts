/**
 * Manifests on IPFS: published as one raw file (their exact bytes, no wrapping directory) so the
 * on-chain digest, sha256 of those bytes, checks what any node or gateway hands back.
 * Validation is the caller's (manifest/`parseManifest`): these move bytes, they do not judge them.
 */
import { manifestDigest, MAX_MANIFEST_BYTES } from "../manifest/index.ts";
import type { IpfsClient } from "./types.ts";

export type PublishManifestReturnType = { cid: string; digest: `0x${string}` };

/** Adds the manifest's exact bytes; `digest` is "0x" + sha256 hex of them (what `ModelRegistry.adopt` takes). */
export async function publishManifest(
  ipfs: IpfsClient,
  bytes: Uint8Array,
  options: { signal?: AbortSignal } = {},
): Promise<PublishManifestReturnType> {
  const cid = await ipfs.addBytes(bytes, options);
  return { cid, digest: manifestDigest(bytes) };
}

export type FetchManifestOptions = {
  /** Default MAX_MANIFEST_BYTES (1 MiB). */
  maxBytes?: number;
  /** Deadline for the whole fetch. Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
};

/** A manifest's bytes by CID, bounded in size and time; throws IpfsError (not_found, timeout, too_large, ...). */
export async function fetchManifest(ipfs: IpfsClient, cid: string, options: FetchManifestOptions = {}): Promise<Uint8Array> {
  return ipfs.catBytes(cid, {
    maxBytes: options.maxBytes ?? MAX_MANIFEST_BYTES,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
