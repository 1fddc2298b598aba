/**
 * Restoring what this node applied before, from its database and its model store alone (never the
 * chain, never the network): the models a restart must serve from its first answer on, before
 * the node listens and whether or not the chain answers.
 */
import type { Role } from "@ns-llm/contracts";
import { toAdoptionError, type AdoptionError } from "./errors.ts";
import type { AppliedManifest, FollowerState } from "./state.ts";
import { APPLY_ORDER, type Adoption, type Applier } from "./types.ts";

export type RestoreAppliedParameters<M> = {
  state: FollowerState;
  parseManifest(bytes: Uint8Array): M & { role: Role; name: string };
  applier: Applier<M>;
  /** The roles to restore, in order; default APPLY_ORDER. */
  roles?: readonly Role[];
  signal?: AbortSignal;
  log?: (line: string) => void;
};

export type RestoreAppliedReturnType = {
  restored: Adoption[];
  /** Roles whose applied manifest could not be loaded again (e.g. a blob removed from the store). */
  failed: Array<{ adoption: Adoption; error: AdoptionError }>;
};

/** Loads every applied manifest again, offline; a failure is returned, never thrown. */
export async function restoreApplied<M>(p: RestoreAppliedParameters<M>): Promise<RestoreAppliedReturnType> {
  const result: RestoreAppliedReturnType = { restored: [], failed: [] };
  const signal = p.signal ?? new AbortController().signal;
  for (const role of p.roles ?? APPLY_ORDER) {
    const applied = p.state.applied(role);
    if (!applied) continue;
    const adoption = toAdoption(applied);
    try {
      const manifest = p.parseManifest(new TextEncoder().encode(applied.manifest));
      await p.applier.apply(role, manifest, adoption, { signal, offline: true });
      p.log?.(`governance: restored ${role} v${applied.version} ${manifest.name}`);
      result.restored.push(adoption);
    } catch (error) {
      const e = toAdoptionError(error);
      p.log?.(`governance: could not restore ${role} v${applied.version}: ${e.message}`);
      result.failed.push({ adoption, error: e });
    }
  }
  return result;
}

export function toAdoption(a: AppliedManifest): Adoption {
  return { role: a.role, version: a.version, cid: a.cid, digest: a.digest as `0x${string}` };
}
