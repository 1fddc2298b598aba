/**
 * `GET /api/governance`: what a node applied of the registry's adoptions, what it is applying,
 * every attempt, and why an adoption is not applied. The dApp shows it beside what the chain
 * holds; it never takes it as proof of what the chain holds.
 */
import type { Address } from "viem";
import type { Role } from "../roles.ts";
import type { ManifestParameters } from "./manifest.ts";

export type AttemptStatus = "seen" | "applied" | "failed" | "retrying" | "superseded";

/** One adoption the node saw, and what became of it. */
export type Attempt = {
  id: number;
  role: Role;
  version: number;
  cid: string;
  status: AttemptStatus;
  /** An error code (digest_mismatch, source_unreachable, ...) and a reason for people. */
  code: string | null;
  reason: string | null;
  tries: number;
  time: string;
};

/** Why the adoption the chain holds for `role` is not applied (yet). */
export type GovernanceError = { role: Role; version: number; cid: string; code: string; message: string; time: string; retrying: boolean };

/** Why the node does not follow its chain: the RPC does not answer, or there is no deployment for it. */
export type FollowError = { code: "chain_unreachable" | "no_deployment"; message: string; time?: string };

export type AppliedRole = { version: number; cid: string; model: string; appliedAt: string };

/** The follower's view of the chain. */
export type GovernanceStatus = {
  chainId: number | null;
  registry: Address;
  /** The block the follower read the chain at last (adoptions seen; applies run on their own). */
  syncedBlock: number | null;
  lag: number | null;
  applied: Partial<Record<Role, AppliedRole>>;
  /** Set while the chain cannot be read; the node keeps serving what it applied. */
  chainError?: FollowError | null;
  /** The adoption each role is fetching or loading now. */
  applying: Partial<Record<Role, { version: number; cid: string }>>;
  history: Attempt[];
  /** The most recent of `errors` (kept for the clients that read one error). */
  lastError: GovernanceError | null;
  /** Each role's current error: why the adoption the chain holds for it is not applied. */
  errors: Partial<Record<Role, GovernanceError>>;
};

/** What every `GET /api/governance` answer holds, whether or not the node follows a chain. */
export type GovernanceReport = {
  chainId: number | null;
  registry: Address | null;
  syncedBlock: number | null;
  lag: number | null;
  /** What the node applied, by role (from its own database: it survives restarts). */
  applied: Partial<Record<Role, AppliedRole>>;
  applying: Partial<Record<Role, { version: number; cid: string }>>;
  history: Attempt[];
  /** The most recent failure: a role's, or why the chain cannot be followed. */
  lastError: GovernanceError | FollowError | null;
  errors: Partial<Record<Role, GovernanceError>>;
  /** The governed parameters in force (the applied `parameters` manifest's). */
  parameters: ManifestParameters;
  /** The limits the node applies now: the governed ones, capped by the operator's ceilings. */
  effective?: EffectiveLimits;
};

/** The limits a node applies (governed value, else the node's default, never above the operator's ceiling). */
export type EffectiveLimits = {
  maxConcurrent: number;
  maxQueue: number;
  requestTimeoutMs: number;
  maxPromptTokens: number;
  /** The most tokens one answer may have (governed `maxTokens`, capped by NS_LLM_MAX_OUTPUT_TOKENS). */
  maxOutputTokens: number;
  maxEmbedBatch: number;
  maxInputChars: number;
  /**
   * The most layers of the generation model the node may offload to its GPU (governed
   * `limits.maxGpuLayers`, capped by NS_LLM_MAX_GPU_LAYERS); null: no cap (as many as fit).
   */
  maxGpuLayers: number | null;
  /** Governed values the operator's ceilings cut down: which field, what the vote said, what applies. */
  clamped: Array<{ field: string; governed: number; applied: number; env: string }>;
};

/** `GET /api/governance` of a node that follows a chain. */
export type GovernanceState = { enabled: true } & GovernanceReport;

/** `GET /api/governance` of a node that follows no chain. */
export type GovernanceOff = { enabled: false; reason: string } & GovernanceReport;

export type GovernanceResponse = GovernanceState | GovernanceOff;

/** True when `error` is a role's (an adoption not applied), not the chain's. */
export function isRoleError(error: GovernanceError | FollowError | null | undefined): error is GovernanceError {
  return !!error && "role" in error;
}
