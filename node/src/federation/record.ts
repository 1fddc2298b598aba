/**
 * An answer as a content-addressed, signed block. The record's canonical JSON (RFC 8785, as the
 * audit log writes its entries) is the block; its CID is the raw-codec sha256 CIDv1 of those
 * bytes, the same CID `ipfs add` gives a file that small (one raw leaf); the operator signs
 * `federatedAnswerMessage(cid)` with EIP-191, so the signature covers every field at once.
 */
import { federatedAnswerMessage, type FederatedAnswerRecord, type FederationMessage } from "@ns-llm/contracts";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { verifyMessage, type Hex, type LocalAccount } from "viem";
import { canonicalBytes } from "../audit/canonical.ts";

/** The block: the record's canonical JSON as UTF-8. */
export function recordBytes(record: FederatedAnswerRecord): Uint8Array {
  return canonicalBytes(record);
}

/** The record's CID (CIDv1, raw, sha2-256, base32). */
export async function recordCid(bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString();
}

/** Signs a record with the operator's account: the gossip message, its block and CID. */
export async function signRecord(record: FederatedAnswerRecord, account: LocalAccount): Promise<{ message: FederationMessage; bytes: Uint8Array; cid: string }> {
  const bytes = recordBytes(record);
  const cid = await recordCid(bytes);
  const signature = await account.signMessage({ message: federatedAnswerMessage(cid) });
  return { message: { v: 1, record, signature }, bytes, cid };
}

/** The record's CID when `signature` is its operator's over it; undefined when it is not. */
export async function verifyRecord(record: FederatedAnswerRecord, signature: Hex): Promise<string | undefined> {
  const cid = await recordCid(recordBytes(record));
  try {
    return (await verifyMessage({ address: record.operator, message: federatedAnswerMessage(cid), signature })) ? cid : undefined;
  } catch {
    return undefined; // a signature that does not even parse
  }
}
