/**
 * Keeping the node's storage bounded: garbage collection of model blobs and IPFS blocks that no
 * applied or pending manifest references (a sweep every NS_LLM_GC_INTERVAL_S, and `ns-llm gc`),
 * and the figures in /metrics (bytes held, quotas, bytes collected). What is kept: the applied
 * manifests of every role (from the database), the adoptions being applied or retried, their
 * artifacts (and the ipfs:// sources they name), extra roots (the demo genesis), and anything
 * younger than the grace period (a pull or an upload for a proposal still being written).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { DEFAULT_GC_GRACE_MS, type GcReturnType, type ModelStore } from "../inference/store/index.ts";
import type { IpfsClient } from "../ipfs/index.ts";
import type { ModelManifest } from "../manifest/index.ts";
import type { FollowerState } from "./state.ts";
import { APPLY_ORDER } from "./types.ts";

export const DEFAULT_IPFS_GC_GRACE_MS = 14 * 24 * 3600 * 1000;

export type StorageUpkeepParameters = {
  store: ModelStore;
  ipfs?: Pick<IpfsClient, "gc" | "repoBytes">;
  state: FollowerState;
  /** Adoptions in flight (the follower's). */
  pending?: () => Array<{ cid: string; digest: string }>;
  /** CIDs to keep besides (the demo genesis's manifests and artifacts). */
  extraRoots?: () => string[];
  /** Store files younger than this stay. Default 1 hour. */
  graceMs?: number;
  /**
   * IPFS blocks younger than this stay. Default 14 days: a manifest and its artifacts published
   * on this node for a proposal must outlive the vote (a week) and the timelock (two days).
   */
  ipfsGraceMs?: number;
  /** IPFS repo quota, for /metrics. */
  ipfsQuota?: number;
  log?: (line: string) => void;
};

export type StorageCollectReturnType = {
  store: GcReturnType;
  ipfs: { dryRun: boolean; blocks: number; bytes: number; kept: number } | undefined;
};

export type StorageUpkeep = {
  collect(options?: { dryRun?: boolean }): Promise<StorageCollectReturnType>;
  /** Sweeps every `intervalMs` (0: never). */
  start(intervalMs: number): void;
  stop(): Promise<void>;
  /** ns_llm_store_bytes, ns_llm_store_quota_bytes, ns_llm_ipfs_repo_bytes, ns_llm_ipfs_quota_bytes, ns_llm_gc_collected_bytes_total. */
  registerMetrics(registry: Registry, prefix?: string): void;
};

export function createStorageUpkeep(p: StorageUpkeepParameters): StorageUpkeep {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let collectedCounter: Counter | undefined;
  const graceMs = p.graceMs ?? DEFAULT_GC_GRACE_MS;
  const ipfsGraceMs = p.ipfsGraceMs ?? DEFAULT_IPFS_GC_GRACE_MS;

  function kept(): { manifests: ModelManifest[]; digests: string[]; roots: string[] } {
    const manifests: ModelManifest[] = [];
    const digests: string[] = [];
    const roots: string[] = [...(p.extraRoots?.() ?? [])];
    for (const role of APPLY_ORDER) {
      const applied = p.state.applied(role);
      if (!applied) continue;
      roots.push(applied.cid);
      digests.push(applied.digest);
      try {
        const manifest = JSON.parse(applied.manifest) as ModelManifest;
        if (Array.isArray(manifest.model?.artifacts)) manifests.push(manifest);
      } catch {
        // the database holds what was validated; nothing else to keep from it
      }
    }
    for (const adoption of p.pending?.() ?? []) {
      roots.push(adoption.cid);
      digests.push(adoption.digest);
    }
    for (const manifest of manifests) {
      for (const artifact of manifest.model.artifacts) {
        for (const source of artifact.sources) if (source.startsWith("ipfs://")) roots.push(source.slice("ipfs://".length).split("/")[0]!);
      }
    }
    return { manifests, digests, roots };
  }

  async function collect(options: { dryRun?: boolean } = {}): Promise<StorageCollectReturnType> {
    const dryRun = options.dryRun === true;
    const { manifests, digests, roots } = kept();
    const store = await p.store.gc({ keep: manifests, keepManifestDigests: digests, graceMs, dryRun });
    const ipfs = p.ipfs?.gc ? await p.ipfs.gc(roots, { graceMs: ipfsGraceMs, dryRun }) : undefined;
    if (!dryRun) {
      collectedCounter?.inc({ store: "models" }, store.bytes);
      if (ipfs) collectedCounter?.inc({ store: "ipfs" }, ipfs.bytes);
      if (store.blobs.length + store.parts.length + store.folders.length + (ipfs?.blocks ?? 0) > 0) {
        p.log?.(
          `gc: removed ${store.blobs.length} blob(s), ${store.parts.length} partial download(s), ${store.folders.length} model folder(s) (${store.bytes} bytes)` +
            (ipfs ? ` and ${ipfs.blocks} IPFS block(s) (${ipfs.bytes} bytes)` : ""),
        );
      }
    }
    return { store, ipfs };
  }

  return {
    collect,
    start(intervalMs) {
      if (intervalMs <= 0) return;
      timer = setInterval(() => {
        running ??= collect()
          .catch((error) => p.log?.(`gc failed: ${(error as Error).message}`))
          .finally(() => (running = undefined));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
    registerMetrics(registry, prefix = "ns_llm_") {
      const registers = [registry];
      // Sizes are read from disk when scraped, at most every 5 s.
      let cached: { at: number; value: Promise<{ store: number; ipfs: number | undefined; quota: number | undefined }> } | undefined;
      const usage = () => {
        if (!cached || Date.now() - cached.at > 5_000) {
          cached = {
            at: Date.now(),
            value: (async () => {
              const store = await p.store.usage();
              return { store: store.bytes, quota: store.quota, ipfs: p.ipfs?.repoBytes ? await p.ipfs.repoBytes() : undefined };
            })(),
          };
        }
        return cached.value;
      };
      new Gauge({
        name: `${prefix}store_bytes`,
        help: "Bytes held by the model store (verified blobs and partial downloads)",
        registers,
        async collect() {
          this.set((await usage()).store);
        },
      });
      new Gauge({
        name: `${prefix}store_quota_bytes`,
        help: "The model store's quota (NS_LLM_MAX_STORE_BYTES)",
        registers,
        async collect() {
          const { quota } = await usage();
          if (quota !== undefined) this.set(quota);
        },
      });
      new Gauge({
        name: `${prefix}ipfs_repo_bytes`,
        help: "Bytes of blocks in the embedded IPFS repo",
        registers,
        async collect() {
          const { ipfs } = await usage();
          if (ipfs !== undefined) this.set(ipfs);
        },
      });
      if (p.ipfsQuota !== undefined) {
        const quota = p.ipfsQuota;
        new Gauge({ name: `${prefix}ipfs_quota_bytes`, help: "The IPFS repo's quota for uploads (NS_LLM_MAX_IPFS_BYTES)", registers, collect() { this.set(quota); } });
      }
      collectedCounter = new Counter({
        name: `${prefix}gc_collected_bytes_total`,
        help: "Bytes removed by garbage collection",
        labelNames: ["store"],
        registers,
      });
      collectedCounter.inc({ store: "models" }, 0);
      collectedCounter.inc({ store: "ipfs" }, 0);
    },
  };
}
