/**
 * Error codes, in one spelling (lower snake case), and the JSON body every error of the node's
 * HTTP API has: `{"error": {"code", "message"}}` with a 4xx or 5xx status. The same codes name why
 * an adoption was refused in /api/governance and /health, so a client needs one table.
 */

/** Codes the HTTP API answers with. */
export const API_ERROR_CODES = [
  "invalid_json",
  "invalid_request",
  "invalid_parameter",
  "unsupported_media_type",
  "body_too_large",
  /** An upload would pass the node's storage quota or fill its disk (507). */
  "storage_full",
  "prompt_too_long",
  "unsupported_schema",
  /** A table document (CSV, JSON rows, Markdown table) the gateway cannot take: malformed or over its bounds. */
  "invalid_table",
  /** An image that cannot be decoded, or over the byte or pixel bounds. */
  "invalid_image",
  /** An input the governed model cannot take (an image to a text-only generation model). */
  "unsupported_input",
  "unauthorized",
  "not_found",
  "method_not_allowed",
  "queue_full",
  "client_closed",
  "timeout",
  "shutting_down",
  "audit_unavailable",
  "generation_unavailable",
  "embedding_unavailable",
  /** No vision model (image encoder) is adopted: images cannot be embedded. */
  "vision_unavailable",
  "insufficient_memory",
  "node_unavailable",
  /** The node serves the dApp (NS_LLM_DAPP_DIR, a package's app/web) but its server could not start or does not answer (503). */
  "dapp_unavailable",
  "not_batched",
  "invalid_cid",
  "not_a_manifest",
  "ipfs_unavailable",
  "ipfs_cid_mismatch",
  "internal",
] as const;

/** Why an adoption is not applied (/api/governance `errors`, `history[].code`; /health reasons). */
export const ADOPTION_ERROR_CODES = [
  "manifest_not_json",
  "manifest_too_large",
  "manifest_invalid",
  "digest_mismatch",
  "manifest_unreachable",
  "artifact_mismatch",
  "no_source",
  "unsupported_source",
  "source_unreachable",
  /** Every source names an address or scheme this node's source policy refuses; nothing was fetched. */
  "source_refused",
  /** The disk or the model store's quota (NS_LLM_MAX_STORE_BYTES) cannot hold the artifacts. */
  "store_full",
  "not_in_store",
  "smoke_test_failed",
  /** The new model did worse than the governed tolerances on live traffic (parameters.canary): the current one keeps serving. */
  "canary_rolled_back",
  "insufficient_memory",
  "role_mismatch",
  "superseded",
  "apply_failed",
  "chain_unreachable",
  "no_deployment",
  /** Role `release`: the signed release file is not one, or names no package for this platform. */
  "release_malformed",
  /** Role `release`: signed by a key this node does not ship. */
  "release_untrusted_key",
  /** Role `release`: the signature does not cover the manifest (altered after signing). */
  "release_bad_signature",
  /** Role `release`: the package downloaded is not the one the signed release names (size or sha256). */
  "artifact_size_mismatch",
  "artifact_digest_mismatch",
  "artifact_unknown",
  /** Role `release`: the install folder cannot take a new version (not writable, or a broken layout). */
  "install_layout",
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];
export type AdoptionErrorCode = (typeof ADOPTION_ERROR_CODES)[number];
export type ErrorCode = ApiErrorCode | AdoptionErrorCode;

/** The body of every error answer. `problems` lists each reason a manifest was refused. */
export type ErrorBody = {
  error: { code: string; message: string; problems?: Array<{ pointer: string; message: string }> };
};
