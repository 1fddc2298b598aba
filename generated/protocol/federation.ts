/**
 * The federated cache (issue 17): nodes running the same adopted manifests share the answers they
 * computed over libp2p gossip. An answer travels as a record (its content-addressed block: the
 * CID is the raw sha256 CIDv1 of the record's canonical JSON) signed by its node's operator key
 * (EIP-191 personal_sign over `federatedAnswerMessage(cid)`), so anyone holding the record can
 * recompute its CID and recover the operator who vouches for it.
 */
import type { Address, Hex } from "viem";

/**
 * What a node serves with: the generation and embedding models (manifest CID, else the model's
 * name) and the governed parameters (the adopted manifest's CID, else the hash of the
 * parameters). Nodes share a gossip topic, and take each other's answers, only when these match.
 */
export type FederationManifestSet = { generation: string | null; embedding: string | null; parameters: string | null };

/** One answer as its node computed it; its canonical JSON is the block the CID names. */
export type FederatedAnswerRecord = {
  v: 1;
  /** The cache key of everything besides the prompt that shapes the answer (the gateway's cacheKey: manifests + sampling). */
  key: string;
  prompt: string;
  text: string;
  model: string;
  tokens: number;
  manifests: FederationManifestSet;
  /** The operator address that signs (the node's NS_LLM_OPERATOR_KEY). */
  operator: Address;
  /** The answer's entry in its node's audit log. */
  auditSeq: number | null;
  /** ISO 8601, when the node answered. */
  time: string;
};

/** A gossip message: the record and the operator's signature over its CID. */
export type FederationMessage = { v: 1; record: FederatedAnswerRecord; signature: Hex };

/** Where a federated answer came from, served with it (the gateway's `federation` field). */
export type FederatedProvenance = {
  /** The record's CID (raw sha256 CIDv1 of its canonical JSON). */
  cid: string;
  /** The peer's operator address, recovered from `signature`. */
  operator: Address;
  /** The answer's seq in the peer's audit log. */
  auditSeq: number | null;
  signature: Hex;
  /** The libp2p peer that published it. */
  peerId: string;
  /** When the peer answered (the record's time). */
  time: string;
};

/** POST /api/federation/lookup: the verified peer answer for a key and prompt, or null. */
export type FederatedLookupRequest = { key: string; prompt: string };
export type FederatedLookupResponse = { answer: (FederatedProvenance & { record: FederatedAnswerRecord }) | null };

/** GET /api/federation */
export type FederationStatus = {
  enabled: boolean;
  /** Why not, when disabled. */
  reason: string | null;
  peerId: string | null;
  /** Addresses peers dial (with /p2p/<peerId>). */
  addresses: string[];
  /** The gossip topic of the manifest set the node runs now. */
  topic: string | null;
  manifests: FederationManifestSet | null;
  /** The operator address that signs this node's announcements; null: the node only listens. */
  operator: Address | null;
  /** Connected peers, and those of them subscribed to the topic. */
  peers: number;
  topicPeers: number;
  store: { entries: number; bytes: number; maxEntries: number; maxBytes: number };
};

/** The text an operator signs for a record (EIP-191 personal message). */
export function federatedAnswerMessage(cid: string): string {
  return `ns-llm federated answer ${cid}`;
}

/** The gossip topic of a manifest set: its hash, so only nodes running the same adoptions meet. */
export const FEDERATION_TOPIC_PREFIX = "/ns-llm/fedcache/1/";
