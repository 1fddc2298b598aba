/** What a node applied for a role, compared with what ModelRegistry holds for it. */
import type { RegistryEntry } from "./chain-reads.ts";
import type { AppliedRole } from "./node-http.ts";

/** A follower this many blocks behind the chain head gets a warning (one block is normal polling). */
export const LAG_WARN_BLOCKS = 5;

export type RoleComparison = {
  status: "in-sync" | "nothing-adopted" | "not-applied" | "behind" | "differs" | "ahead";
  /** For a person, when the two differ. */
  detail: string;
};

export function compareRole(applied: AppliedRole | undefined, registered: RegistryEntry | undefined): RoleComparison {
  const onChain = registered && registered.version > 0n ? registered : undefined;
  if (!onChain && !applied) return { status: "nothing-adopted", detail: "nothing adopted on chain yet" };
  if (!onChain && applied) return { status: "ahead", detail: `the node applied v${applied.version} (${applied.cid}) but this chain's registry holds nothing` };
  const version = Number(onChain!.version);
  if (!applied) return { status: "not-applied", detail: `the chain adopted v${version} (${onChain!.cid}); the node has not applied it yet` };
  if (applied.version === version && applied.cid === onChain!.cid) return { status: "in-sync", detail: "" };
  if (applied.version < version) return { status: "behind", detail: `the node runs v${applied.version}, the chain adopted v${version} (${onChain!.cid})` };
  if (applied.version > version) return { status: "ahead", detail: `the node runs v${applied.version}, newer than the chain's v${version}` };
  return { status: "differs", detail: `the node applied ${applied.cid} as v${applied.version}, the chain holds ${onChain!.cid}` };
}
