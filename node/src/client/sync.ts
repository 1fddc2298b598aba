/**
 * Whether a node runs what the chain says it must (its /health `governance.applied` against the
 * registry's current adoptions, read by the client): the judgement that decides whether a
 * request may go there. Pure: the tests feed it health reports and adoptions.
 */
import type { HealthReport, Role } from "@ns-llm/contracts";
import type { ChainAdoptions } from "./chain-adoptions.ts";

/**
 * `in_sync`: runs every current adoption. `swapping`: loading one (drained until done).
 * `behind`: runs another manifest set, follows no chain or another registry. `unreachable`: no /health.
 * `unchecked`: the client reads no chain (it routes on the node's own health only).
 */
export type SyncState = "in_sync" | "swapping" | "behind" | "unreachable" | "unchecked";

export type SyncVerdict = { state: SyncState; reason: string | null };

/** Roles whose load swaps a model: a node applying one of them is drained. */
const MODEL_ROLES: readonly Role[] = ["generation", "embedding", "moderation"];

export function judgeSync(health: HealthReport | undefined, chain: ChainAdoptions | undefined): SyncVerdict {
  if (!health) return { state: "unreachable", reason: "its /health does not answer" };
  const governance = health.governance;
  const applying = (governance.enabled ? governance.applying : undefined) ?? {};
  const loading = MODEL_ROLES.filter((role) => applying[role]);
  if (!chain) {
    return loading.length ? { state: "swapping", reason: `loading ${describe(applying, loading)}` } : { state: "unchecked", reason: null };
  }
  if (!governance.enabled) return { state: "behind", reason: `it follows no chain (${governance.reason})` };
  if (governance.chainId !== chain.chainId || governance.registry.toLowerCase() !== chain.registry.toLowerCase()) {
    return { state: "behind", reason: `it follows registry ${governance.registry} on chain ${governance.chainId}, not ${chain.registry} on chain ${chain.chainId}` };
  }
  if (!governance.applied) return { state: "behind", reason: "its /health does not say which manifests it runs" };
  const differences: string[] = [];
  let swapping = true;
  for (const [role, adoption] of Object.entries(chain.adoptions) as Array<[Role, { version: number; cid: string }]>) {
    const runs = governance.applied[role];
    if (runs?.cid === adoption.cid) continue;
    differences.push(`${role} ${runs ? `v${runs.version}` : "none"}, the chain holds v${adoption.version}`);
    if (applying[role]?.cid !== adoption.cid) swapping = false;
  }
  if (differences.length) {
    const at = `synced to block ${governance.syncedBlock ?? "none"}, chain read at ${chain.block}`;
    return { state: swapping ? "swapping" : "behind", reason: `${swapping ? "loading the current adoption: " : "runs "}${differences.join("; ")} (${at})` };
  }
  // In sync, but loading something newer than the client read: drained until it is done.
  if (loading.length) return { state: "swapping", reason: `loading ${describe(applying, loading)}` };
  return { state: "in_sync", reason: null };
}

function describe(applying: Partial<Record<Role, { version: number }>>, roles: readonly Role[]): string {
  return roles.map((role) => `${role} v${applying[role]!.version}`).join(", ");
}
