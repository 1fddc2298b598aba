/** What the follower, the restorer and the applier share: an adoption, and what applies one. */
import type { Role } from "@ns-llm/contracts";

/** An adoption read from the chain. */
export type Adoption = { role: Role; version: number; cid: string; digest: `0x${string}` };

/** Applies a verified, validated manifest to the running node. */
export type Applier<M> = {
  /** Loads `manifest` for `role` and swaps it in; throws on any failure, leaving the current one serving. */
  apply(role: Role, manifest: M, adoption: Adoption, options: { signal: AbortSignal; offline: boolean }): Promise<void>;
};

/** Cheap roles first: parameters and the evaluation suite apply at once, models take a download and a load (the small moderation classifier and image encoder before the generation model). */
export const APPLY_ORDER: Role[] = ["parameters", "evaluation", "embedding", "moderation", "vision", "generation"];
