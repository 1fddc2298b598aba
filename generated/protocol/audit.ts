/**
 * The audit log over HTTP (`/api/audit*`): entries, batches and RFC 6962 inclusion proofs that
 * anyone checks against the root the operator anchored in `AuditAnchor`.
 */
import type { Address, Hex } from "viem";

/** One entry as the API lists it: its content plus `seq` and `leaf` (SHA-256(0x00 || canonical JSON)). */
export type AuditEntryView = { seq: number; type: string; time: string; leaf: Hex; prev?: Hex; [field: string]: unknown };

/** `GET /api/audit?from=&limit=` */
export type AuditEntriesResponse = { entries: AuditEntryView[]; total: number; next: number };

/** One closed batch and, once anchored, where. */
export type AuditBatchView = {
  index: number;
  fromSeq: number;
  toSeq: number;
  size: number;
  root: Hex;
  closedAt: string;
  txHash: Hex | null;
  chainId: number | null;
  contract: Address | null;
  node: Address | null;
  anchoredAt: string | null;
};

/** `GET /api/audit/batches?from=&limit=` */
export type AuditBatchesResponse = { batches: AuditBatchView[]; total: number };

/** `GET /api/audit/:seq/proof` */
export type AuditProof = {
  seq: number;
  leaf: Hex;
  /** The entry's canonical JSON: leaf = SHA-256(0x00 || UTF-8 bytes of this text). */
  entry: string;
  /** The batch's Merkle root (what `AuditAnchor.batchOf(node, batch.index)` returns once anchored). */
  root: Hex;
  batch: {
    index: number;
    fromSeq: number;
    toSeq: number;
    size: number;
    txHash: Hex | null;
    chainId: number | null;
    contract: Address | null;
    node: Address | null;
  };
  /** The entry's position in its batch: seq - batch.fromSeq. */
  index: number;
  /** RFC 6962 audit path, leaf to root. */
  proof: Hex[];
};
