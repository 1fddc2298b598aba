/**
 * A manifest's identity computed in the browser, so that what a person sees and proposes is pinned
 * by the chain, not by what a node says: the digest `ModelRegistry.adopt` takes (sha256 of the
 * manifest file's exact bytes, the protocol's `manifestDigest`, here with Web Crypto's SHA-256)
 * and the IPFS CID the node's IPFS gives those bytes (node/src/ipfs/import-options.ts: CIDv1, raw
 * leaves, 256 KiB chunks, a single chunk reduced to its raw leaf, so a manifest of up to 256 KiB
 * is `bafkrei…` = CIDv1(raw, sha2-256(bytes))). Larger files become a UnixFS DAG whose CID the
 * browser does not rebuild: for those only the digest is checked (which is what a node checks too).
 */
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import type { Hex } from "viem";
import { encodeManifest } from "@ns-llm/contracts";
import { sha256, toHex } from "./merkle-webcrypto.ts";

/** Kubo's chunk size: bytes up to this long are one raw block (node/src/ipfs/import-options.ts CHUNK_SIZE). */
export const SINGLE_BLOCK_BYTES = 262_144;
/** The multicodec code of sha2-256. */
const SHA2_256 = 0x12;

export type ManifestIdentity = {
  /** 0x + sha256 hex of the bytes: what `adopt(role, cid, digest)` names. */
  digest: Hex;
  /** The CIDv1 the node's IPFS gives the bytes; undefined above SINGLE_BLOCK_BYTES. */
  cid: string | undefined;
};

/** The digest and CID of a manifest file's exact bytes. */
export async function manifestIdentity(bytes: Uint8Array): Promise<ManifestIdentity> {
  const hash = await sha256(new Uint8Array(bytes));
  const cid = bytes.length <= SINGLE_BLOCK_BYTES ? CID.createV1(raw.code, createDigest(SHA2_256, hash)).toString() : undefined;
  return { digest: toHex(hash), cid };
}

/** The canonical bytes of a manifest (the protocol's `encodeManifest`) and their identity: what the dApp publishes and proposes. */
export async function encodeAndIdentify(manifest: unknown): Promise<{ bytes: Uint8Array; digest: Hex; cid: string }> {
  const bytes = encodeManifest(manifest);
  const { digest, cid } = await manifestIdentity(bytes);
  if (!cid) throw new Error(`the manifest is ${bytes.length} bytes; the dApp proposes manifests of up to ${SINGLE_BLOCK_BYTES / 1024} KiB (one IPFS block), whose CID it can compute itself`);
  return { bytes, digest, cid };
}

/** What comparing fetched bytes with a CID and digest found. */
export type ManifestCheck = {
  /** The bytes hash to the expected digest. */
  digestOk: boolean;
  /** The bytes are the expected CID's content; undefined when the browser cannot tell (a CID of a UnixFS DAG). */
  cidOk: boolean | undefined;
  computed: ManifestIdentity;
  expected: { cid: string; digest: Hex };
};

/**
 * Checks `bytes` against the CID they were fetched by and the digest the chain (registry or the
 * proposal's calldata) holds. A raw CID names its bytes' sha256 directly; a malformed CID never
 * matches.
 */
export async function checkManifestBytes(bytes: Uint8Array, expected: { cid: string; digest: Hex }): Promise<ManifestCheck> {
  const computed = await manifestIdentity(bytes);
  const digestOk = computed.digest.toLowerCase() === expected.digest.toLowerCase();
  let cidOk: boolean | undefined;
  let parsed: CID | undefined;
  try {
    parsed = CID.parse(expected.cid.trim());
  } catch {
    cidOk = false;
  }
  if (parsed) {
    if (parsed.code === raw.code && parsed.multihash.code === SHA2_256) cidOk = toHex(new Uint8Array(parsed.multihash.digest)) === computed.digest;
    else cidOk = undefined;
  }
  return { digestOk, cidOk, computed, expected };
}

/** Why a check failed, for a person; undefined when it passed. */
export function manifestMismatch(check: ManifestCheck): string | undefined {
  const { digestOk, cidOk, computed, expected } = check;
  if (digestOk && cidOk !== false) return undefined;
  const parts: string[] = [];
  if (!digestOk) parts.push(`they hash to ${computed.digest}, but the chain names digest ${expected.digest}`);
  if (cidOk === false) parts.push(`their CID is ${computed.cid ?? "not a single block"}, not ${expected.cid}`);
  return `The manifest bytes the node returned are not the ones the chain committed to: ${parts.join("; ")}. The node (or something between it and you) altered them; do not trust what it shows.`;
}
