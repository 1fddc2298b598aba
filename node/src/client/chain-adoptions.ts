/**
 * What the chain says every node must run: the registry's current adoption of each governed role
 * a node serves with, read by the client itself (never taken from a node's word) at one block.
 * A gateway, or ns-llm-client given several nodes, routes only to nodes that run exactly these.
 */
import { modelRegistryAbi, roleId, type Role } from "@ns-llm/contracts";
import type { Address, PublicClient } from "viem";

/** The roles a node applies and serves with (governance APPLY_ORDER); release/vision/evaluation adoptions do not change an answer. */
export const SERVED_ROLES: readonly Role[] = ["generation", "embedding", "parameters", "moderation"];

export type Adoption = { version: number; cid: string };

export type ChainAdoptions = {
  chainId: number;
  registry: Address;
  /** The block the adoptions were read at. */
  block: number;
  /** Roles the chain holds an adoption for (a role never adopted is absent). */
  adoptions: Partial<Record<Role, Adoption>>;
};

export type ChainAdoptionsReader = {
  readonly registry: Address;
  read(): Promise<ChainAdoptions>;
};

export function chainAdoptionsReader(publicClient: PublicClient, registry: Address, roles: readonly Role[] = SERVED_ROLES): ChainAdoptionsReader {
  let chainId: number | undefined;
  return {
    registry,
    async read() {
      chainId ??= await publicClient.getChainId();
      // cacheTime 0: an adoption must be seen at the next check, not a polling interval later.
      const block = await publicClient.getBlockNumber({ cacheTime: 0 });
      const current = await Promise.all(
        roles.map((role) => publicClient.readContract({ address: registry, abi: modelRegistryAbi, functionName: "current", args: [roleId(role)], blockNumber: block })),
      );
      const adoptions: ChainAdoptions["adoptions"] = {};
      roles.forEach((role, i) => {
        const [version, cid] = current[i]!;
        if (version > 0n) adoptions[role] = { version: Number(version), cid };
      });
      return { chainId, registry, block: Number(block), adoptions };
    },
  };
}
