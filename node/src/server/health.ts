/**
 * GET /health: whether the node can answer ("ok") or answers in a degraded way ("degraded", with
 * the reasons), and the state of each part. Parts wired later (governance follower, IPFS, audit
 * log) report through providers; an absent one is said to be disabled.
 */
import type { LoadedManifest, ModelSlot } from "../inference/model-slot.ts";
import type { Scheduler, SchedulerStats } from "../inference/scheduler.ts";
import type { EmbeddingEngine, GenerationEngine } from "../inference/types.ts";

/** The follower's view for /health (SPEC: chainId, registry, syncedBlock, lag). */
export type GovernanceHealth = {
  enabled: true;
  chainId: number;
  registry: string;
  syncedBlock: number | string | null;
  lag: number | string | null;
  /** Set when the last apply failed; makes the node "degraded". */
  lastError?: { message: string } | null;
  /** Each role's current error (an adoption not applied); each one is a reason of "degraded". */
  errors?: Partial<Record<string, { message: string }>>;
  [key: string]: unknown;
};

/**
 * The hook for the governance follower: `health()` feeds /health, `state()` is GET /api/governance
 * (SPEC: chainId, registry, applied, history, lastError).
 */
export type GovernanceStatusProvider = {
  health(): GovernanceHealth | Promise<GovernanceHealth>;
  state(): unknown;
};

export type HealthProviders = {
  governance?: GovernanceStatusProvider;
  /** Why governance is off (e.g. "--no-chain"), when there is no provider. */
  governanceDisabledReason?: string;
  ipfs?: () => { mode: string; [key: string]: unknown };
  audit?: () => { entries: number; anchoredThrough: number | null; [key: string]: unknown } | Promise<{ entries: number; anchoredThrough: number | null }>;
  /** Why a role has no model (a load that failed, a refused manifest); shown with the role. */
  loadErrors?: () => { generation?: string; embedding?: string };
  searchDocuments?: () => number;
};

/** The SPEC's governance fields stay present (null) when the node follows no chain. */
export type GovernanceDisabled = { enabled: false; reason: string; chainId: null; registry: null; syncedBlock: null; lag: null };

const governanceDisabled = (reason: string): GovernanceDisabled => ({ enabled: false, reason, chainId: null, registry: null, syncedBlock: null, lag: null });

type RoleHealth = { ready: boolean; model: string | null; manifest: string | null; version?: number | null; error?: string };

export type HealthReport = {
  status: "ok" | "degraded";
  reasons: string[];
  embedding: RoleHealth;
  generation: RoleHealth & { capacity: number };
  scheduler: SchedulerStats;
  governance: GovernanceHealth | GovernanceDisabled;
  ipfs: { mode: string };
  /** `entries` is null when the node keeps no audit log. */
  audit: { entries: number | null; anchoredThrough: number | null; [key: string]: unknown };
  search: { documents: number };
};

function role(slot: ModelSlot<GenerationEngine | EmbeddingEngine>, info: () => { name: string } | undefined, error?: string): RoleHealth {
  const m: LoadedManifest | undefined = slot.manifest;
  const h: RoleHealth = { ready: slot.ready, model: m ? (info()?.name ?? m.name) : null, manifest: m?.cid ?? null, version: m?.version ?? null };
  if (error && !slot.ready) h.error = error;
  return h;
}

export async function healthReport(p: {
  generation: ModelSlot<GenerationEngine>;
  embedding: ModelSlot<EmbeddingEngine>;
  scheduler: Scheduler;
  providers: HealthProviders;
}): Promise<HealthReport> {
  const { providers } = p;
  const errors = providers.loadErrors?.() ?? {};
  const peek = <E extends GenerationEngine | EmbeddingEngine>(slot: ModelSlot<E>) => () => {
    const lease = slot.acquire();
    lease?.release();
    return lease?.engine.info;
  };
  const genEngine = p.generation.acquire();
  const capacity = genEngine?.engine.capacity ?? 0;
  genEngine?.release();
  const reasons: string[] = [];
  const generation = { ...role(p.generation, peek(p.generation), errors.generation), capacity };
  const embedding = role(p.embedding, peek(p.embedding), errors.embedding);
  if (!generation.ready) reasons.push(`no generation model is loaded${errors.generation ? ` (${errors.generation})` : ""}; answers come from search`);
  if (!embedding.ready) reasons.push(`no embedding model is loaded${errors.embedding ? ` (${errors.embedding})` : ""}`);
  let governance: HealthReport["governance"];
  if (providers.governance) {
    try {
      governance = await providers.governance.health();
      const roleErrors = Object.entries(governance.errors ?? {}).flatMap(([r, e]) => (e ? [[r, e.message] as const] : []));
      for (const [r, message] of roleErrors) reasons.push(`governance: ${r}: ${message}`);
      // lastError is one of those, or something beside the roles (the chain does not answer).
      const last = governance.lastError?.message;
      if (last && !roleErrors.some(([, message]) => message === last)) reasons.push(`governance: ${last}`);
    } catch (error) {
      governance = governanceDisabled(`the follower failed to report: ${(error as Error).message}`);
      reasons.push(governance.reason);
    }
  } else governance = governanceDisabled(providers.governanceDisabledReason ?? "not following a chain");
  let audit: HealthReport["audit"] = { entries: null, anchoredThrough: null };
  if (providers.audit) {
    try {
      audit = await providers.audit();
    } catch (error) {
      reasons.push(`audit log: ${(error as Error).message}`);
    }
  }
  return {
    status: reasons.length ? "degraded" : "ok",
    reasons,
    embedding,
    generation,
    scheduler: p.scheduler.stats(),
    governance,
    ipfs: providers.ipfs?.() ?? { mode: "disabled" },
    audit,
    search: { documents: providers.searchDocuments?.() ?? 0 },
  };
}
