/**
 * The node's status for people and monitors: GET /health (whether the node answers, "ok", or
 * answers in a degraded way, "degraded", with the reasons, and the state of each part) and the
 * models GET /v1/models lists. Parts that live beside serving (the governance follower, IPFS, the
 * audit log) report through providers; an absent one is said to be disabled.
 */
import type { EffectiveLimits, GovernanceHealth, GovernanceHealthOff, GovernanceResponse, HealthReport, ManifestParameters, RoleHealth } from "@ns-llm/contracts";
import type { DecodeBatching, EmbeddingEngine, GenerationEngine, ModelInfo, ModelRole, Models, ModelSlot } from "../inference/index.ts";
import type { Scheduler } from "./scheduler.ts";

/** The follower's reports: `health()` feeds /health, `state()` is GET /api/governance. */
export type GovernanceStatusProvider = {
  health(): GovernanceHealth;
  state(): GovernanceResponse;
};

export type StatusProviders = {
  /** Absent: the node follows no chain, for `governanceDisabledReason`. */
  governance?: GovernanceStatusProvider;
  governanceDisabledReason: string;
  /** The governed parameters in force (for /api/governance of a node that follows no chain). */
  parameters: () => ManifestParameters;
  /** The limits applied now, governed and capped by the operator (for /api/governance). */
  effective?: () => EffectiveLimits;
  /** The cap on the generation model's GPU layers in force (for /health's generation device; undefined: none). */
  gpuLayerCap?: () => number | undefined;
  ipfs: () => { mode: string };
  audit?: () => HealthReport["audit"];
  /** Why answers cannot be recorded in the audit log now (the last append failed); undefined when they can. */
  auditFailing?: () => string | undefined;
  searchDocuments: () => number;
};

export type ModelListing = { role: ModelRole; name: string; manifest: string | null };

export type NodeStatus = {
  /** GET /health */
  health(): HealthReport;
  /** GET /api/governance */
  governance(): GovernanceResponse;
  /** GET /v1/models */
  models(): ModelListing[];
};

export function createNodeStatus(models: Models, scheduler: Scheduler, providers: StatusProviders): NodeStatus {
  const { generation, embedding } = models.slots;
  return {
    governance() {
      const effective = providers.effective ? { effective: providers.effective() } : {};
      if (providers.governance) return { ...providers.governance.state(), ...effective };
      const reason = providers.governanceDisabledReason;
      return {
        ...effective,
        enabled: false,
        reason,
        chainId: null,
        registry: null,
        syncedBlock: null,
        lag: null,
        applied: {},
        applying: {},
        history: [],
        lastError: null,
        errors: {},
        parameters: providers.parameters(),
      };
    },

    models() {
      const listed: ModelListing[] = [];
      for (const [role, slot] of [["generation", generation], ["embedding", embedding]] as const) {
        const info = peek(slot);
        if (info) listed.push({ role, name: info.name, manifest: slot.manifest?.cid ?? null });
      }
      return listed;
    },

    health() {
      const errors = models.loadErrors();
      const reasons: string[] = [];
      const engine = peekEngine(generation);
      const generationHealth = { ...roleHealth(generation, errors.generation), capacity: engine?.capacity ?? 0 };
      // The cap in force beside what the model offloads. On a node whose llama.cpp cannot offload
      // (gpuOffloading false) every layer is on the CPU whatever the cap, and a new cap reloads nothing.
      if (generationHealth.device && engine?.info.offload) {
        generationHealth.device = { ...generationHealth.device, gpuLayerCap: providers.gpuLayerCap?.() ?? null, gpuOffloading: engine.info.offload.supported };
      }
      const embeddingHealth = roleHealth(embedding, errors.embedding);
      if (!generationHealth.ready) reasons.push(`no generation model is loaded${errors.generation ? ` (${errors.generation})` : ""}; answers come from search`);
      if (!embeddingHealth.ready) reasons.push(`no embedding model is loaded${errors.embedding ? ` (${errors.embedding})` : ""}`);
      let governance: GovernanceHealth | GovernanceHealthOff;
      if (providers.governance) {
        governance = providers.governance.health();
        const roleErrors = Object.entries(governance.errors ?? {}).flatMap(([r, e]) => (e ? [[r, e.message] as const] : []));
        for (const [r, message] of roleErrors) reasons.push(`governance: ${r}: ${message}`);
        // lastError is one of those, or something beside the roles (the chain does not answer).
        const last = governance.lastError?.message;
        if (last && !roleErrors.some(([, message]) => message === last)) reasons.push(`governance: ${last}`);
      } else {
        governance = { enabled: false, reason: providers.governanceDisabledReason, chainId: null, registry: null, syncedBlock: null, lag: null };
      }
      let audit: HealthReport["audit"] = { entries: null, anchoredThrough: null };
      if (providers.audit) {
        try {
          audit = providers.audit();
        } catch (error) {
          reasons.push(`audit log: ${(error as Error).message}`);
        }
      }
      const auditFailing = providers.auditFailing?.();
      if (auditFailing) reasons.push(auditFailing);
      return {
        status: reasons.length ? "degraded" : "ok",
        reasons,
        embedding: embeddingHealth,
        generation: generationHealth,
        scheduler: scheduler.stats(),
        governance,
        ipfs: providers.ipfs(),
        audit,
        search: { documents: providers.searchDocuments() },
      };
    },
  };
}

function roleHealth(slot: ModelSlot<GenerationEngine | EmbeddingEngine>, error: string | undefined): RoleHealth {
  const m = slot.manifest;
  const info = peek(slot);
  const h: RoleHealth = {
    ready: slot.ready,
    model: m ? (info?.name ?? m.name) : null,
    manifest: m?.cid ?? null,
    version: m?.version ?? null,
    device: info?.device ?? null,
  };
  if (error && !slot.ready) h.error = error;
  return h;
}

/** The device of each loaded model (for /metrics). */
export function modelDevices(models: Pick<Models, "slots">): Array<{ role: ModelRole; model: string; backend: string; gpuLayers: number }> {
  const rows = [];
  for (const role of ["generation", "embedding"] as const) {
    const info = peek(models.slots[role]);
    if (info?.device) rows.push({ role, model: info.name, backend: info.device.backend, gpuLayers: info.device.gpuLayers });
  }
  return rows;
}

/** How the serving generation model's decode batches went since it was loaded (for /metrics); undefined without one that counts them. */
export function generationBatching(models: Pick<Models, "slots">): (DecodeBatching & { model: string }) | undefined {
  const engine = peekEngine(models.slots.generation);
  return engine?.batching ? { model: engine.info.name, ...engine.batching } : undefined;
}

function peekEngine<E>(slot: ModelSlot<E & { dispose(): Promise<void> }>): E | undefined {
  const lease = slot.acquire();
  lease?.release();
  return lease?.engine;
}

function peek(slot: ModelSlot<GenerationEngine | EmbeddingEngine>): ModelInfo | undefined {
  return peekEngine(slot)?.info;
}
