/**
 * The audit log: append-only entries (canonical JSON, RFC 6962 leaf hashes, a hash chain), closed
 * into Merkle batches anchored in AuditAnchor; proofs any party can check, here or in the browser.
 *
 * A node opens it with `openAudit({ config })`; `audit.log.append` records every answer (the
 * serving layer's AuditSink), `audit.status()` feeds /health; the server's audit routes read it.
 */
export { AuditAnchorer, type AnchorerEvent, type AnchorNowReturnType, type AuditAnchorerParameters, type AuditStatus } from "./anchorer.ts";
export { canonicalBytes, canonicalJson, CanonicalJsonError, type JsonValue } from "./canonical.ts";
export { AnchorSetupError, connectAnchor, type AnchorTarget, type ConnectAnchorParameters } from "./chain.ts";
export {
  contentSha256,
  requestEntry,
  ZERO_HASH,
  type AnchorEntry,
  type AuditEntry,
  type AuditEntryInput,
  type GovernanceEntry,
  type RequestEntry,
  type RequestEntryParameters,
  type ValidationEntry,
} from "./entries.ts";
export {
  AuditLog,
  AuditLogError,
  openAuditLog,
  type AppendReturnType,
  type AuditBatch,
  type AuditLogErrorCode,
  type AuditLogStatus,
  type AuditProof,
  type AuditRecord,
  type BatchAnchor,
  type OpenAuditLogParameters,
} from "./log.ts";
export { AUDIT_DB, openAudit, type Audit, type AuditConfig, type OpenAuditParameters } from "./open-audit.ts";
export { auditPath, buildMerkleTree, leafHash, merkleRoot, nodeHash, verifyInclusion, type MerkleTree } from "./merkle.ts";
export {
  verifyEntry,
  verifyLog,
  type AuditProblem,
  type AuditProblemKind,
  type VerifyEntryReturnType,
  type VerifyLogParameters,
  type VerifyLogReturnType,
} from "./verify.ts";
export { registerAuditMetrics } from "./metrics.ts";
