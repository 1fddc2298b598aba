/**
 * `GET /health`: whether the node answers ("ok") or answers in a degraded way ("degraded", with
 * the reasons), and the state of each part.
 */
import type { Address } from "viem";
import type { CanaryRun } from "./canary.ts";
import type { FollowError, GovernanceError } from "./governance.ts";
import type { PluginsReport } from "./plugins.ts";
import type { ReleaseHealth } from "./release.ts";
import type { ValidationHealth } from "./validation.ts";
import type { Role } from "../roles.ts";

/** Where a model's work runs: llama.cpp's GPU backend (node-llama-cpp `llama.gpu`), or onnxruntime's execution provider. */
export type ComputeBackend = "cpu" | "cuda" | "vulkan" | "metal";

/** The device a loaded model runs on. */
export type ModelDevice = {
  backend: ComputeBackend;
  /** Layers offloaded to the GPU (node-llama-cpp `model.gpuLayers`); 0 on "cpu". */
  gpuLayers: number;
  /**
   * Generation only: the cap on offloaded layers in force (governed `limits.maxGpuLayers`, capped
   * by NS_LLM_MAX_GPU_LAYERS); null: none, as many as fit.
   */
  gpuLayerCap?: number | null;
  /**
   * Generation only: whether this node's llama.cpp can offload layers to a GPU at all. When false
   * (a CPU-only node) every layer runs on the CPU whatever the cap, so a vote changing the cap
   * needs no reload; when true, a change that alters what would be offloaded reloads the model.
   */
  gpuOffloading?: boolean;
};

export type RoleHealth = {
  ready: boolean;
  /** Where the loaded model runs; null when none is loaded. */
  device?: ModelDevice | null;
  model: string | null;
  /** The CID of the manifest the model was adopted with. */
  manifest: string | null;
  version?: number | null;
  /** Why the role has no model (a load that failed). */
  error?: string;
};

/** The generation scheduler: generations running and waiting, and its limits. */
export type SchedulerStats = { active: number; queued: number; limit: number; maxQueue: number };

/** The follower's view of the chain (SPEC: chainId, registry, syncedBlock, lag). */
export type GovernanceHealth = {
  enabled: true;
  chainId: number;
  registry: string;
  syncedBlock: number | null;
  lag: number | null;
  /** Set when the last apply failed, or the chain cannot be followed; makes the node "degraded". */
  lastError?: GovernanceError | FollowError | null;
  /** Each role's current error (an adoption not applied); each one is a reason of "degraded". */
  errors?: Partial<Record<string, GovernanceError>>;
  /**
   * The manifest set the node runs: each governed role's applied adoption (version and manifest
   * CID). A gateway compares it with the registry's current adoptions before routing here.
   */
  applied?: Partial<Record<Role, { version: number; cid: string }>>;
  /** The adoptions being fetched or loaded now: a node loading a model is drained by gateways. */
  applying?: Partial<Record<Role, { version: number; cid: string }>>;
};

/** The SPEC's governance fields stay present (null) when the node follows no chain. */
export type GovernanceHealthOff = { enabled: false; reason: string; chainId: null; registry: null; syncedBlock: null; lag: null };

/** The audit log and its anchoring. */
export type AuditHealth = {
  /** Entries in the log (the next seq); null when the node keeps no audit log. */
  entries: number | null;
  /** The last seq such that it and every entry before it are in anchored batches. */
  anchoredThrough: number | null;
  batches?: number;
  batchedThrough?: number | null;
  pendingBatches?: number;
  unbatched?: number;
  commits?: number;
  /** Durable syncs of the log: one covers every transaction committed while the previous one ran (group commit). */
  syncs?: number;
  gasSpent?: number;
  anchoring?: "enabled" | "disabled";
  disabledReason?: string | null;
  anchorFailures?: number;
  lastError?: string | null;
  nextRetryAt?: string | null;
  chainId?: number | null;
  contract?: Address | null;
  /** The operator's address: the key that anchors this node's batches. */
  node?: Address | null;
};

export type HealthReport = {
  status: "ok" | "degraded";
  reasons: string[];
  embedding: RoleHealth;
  generation: RoleHealth & { capacity: number };
  scheduler: SchedulerStats;
  governance: GovernanceHealth | GovernanceHealthOff;
  ipfs: { mode: string };
  audit: AuditHealth;
  search: { documents: number };
  /** What scores toxicity (the adopted moderation model, or the lexicon floor) and the thresholds in force. */
  validation?: ValidationHealth;
  /** The adopted image encoder (the `vision` role), if any, and whether it shares the adopted text model's space. */
  vision?: VisionHealth;
  /** The last canary swap of each model role (running, completed or rolled back); absent before the first. */
  canary?: { generation?: CanaryRun };
  /** The contributor plugins it runs, and the governed required plugins it lacks (each one a reason of "degraded"). */
  plugins?: PluginsReport;
  /** The packaged node's versions and governed updates (absent when run from a git clone). */
  release?: ReleaseHealth;
};

/** The `vision` role on a node: the image encoder it serves, and whether image and text vectors are comparable now. */
export type VisionHealth = {
  ready: boolean;
  model: string | null;
  manifest: string | null;
  dimensions: number | null;
  /** The embedding manifest (by name) whose text vectors the encoder's share a space with; null = any of its dimensions. */
  pairedEmbedding: string | null;
  /** True when the embedding model adopted now is that one (and of the same dimensions). */
  paired: boolean;
  /** Why the last adoption failed to load. */
  error?: string;
};
