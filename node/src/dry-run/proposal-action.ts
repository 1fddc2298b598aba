/** Reads a proposal's actions: the adoption it proposes, when it is one `ModelRegistry.adopt`. */
import { decodeFunctionData, type Address, type Hex } from "viem";
import { modelRegistryAbi, roleFromId, type Role } from "@ns-llm/contracts";

export type AdoptionAction = { role: Role; cid: string; digest: `0x${string}` };

/**
 * The `adopt(role, cid, digest)` a proposal makes on `registry`, or undefined when it makes none
 * (another call, another target, a role no node knows). A proposal with several adoptions is
 * dry-run on its first: a report is per proposal.
 */
export function adoptionOf(registry: Address, targets: readonly Address[], calldatas: readonly Hex[]): AdoptionAction | undefined {
  for (let i = 0; i < targets.length; i++) {
    if (targets[i]!.toLowerCase() !== registry.toLowerCase()) continue;
    try {
      const call = decodeFunctionData({ abi: modelRegistryAbi, data: calldatas[i]! });
      if (call.functionName !== "adopt") continue;
      const [roleIdHex, cid, digest] = call.args as readonly [Hex, string, Hex];
      const role = roleFromId(roleIdHex);
      if (role) return { role, cid, digest };
    } catch {
      // Not a registry call this node can read.
    }
  }
  return undefined;
}
