/**
 * The one place where the node (`node/`) and the dApp (`web/`) get the contracts from: ABIs and
 * bytecode generated from the Hardhat build (abis.ts), the role ids, and the shape of
 * `deployments/<chainId>.json`.
 */
import { keccak256, toHex, type Address, type Hex } from "viem";

export * from "./abis.ts";

/** The roles a manifest can be adopted for. */
export const ROLES = ["generation", "embedding", "parameters"] as const;
export type Role = (typeof ROLES)[number];

/** `keccak256(role)`, as `ModelRegistry` keys its history. */
export function roleId(role: Role): Hex {
  return keccak256(toHex(role));
}

/** The role whose id is `id`, or undefined for an id no node knows. */
export function roleFromId(id: Hex): Role | undefined {
  return ROLES.find((role) => roleId(role) === id.toLowerCase());
}

export const CONTRACT_NAMES = ["NSToken", "NSTimelock", "NSGovernor", "ModelRegistry", "AuditAnchor", "NodeReports"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Governance durations are seconds (the token's clock is a timestamp). */
export type GovernanceSettings = {
  votingDelay: number;
  votingPeriod: number;
  proposalThreshold: string;
  quorumNumerator: number;
  lateQuorumExtension: number;
  timelockDelay: number;
};

/**
 * `deployments/<chainId>.json`. A record written before NodeReports existed has no address for it
 * (`npm run deploy` adds one beside the recorded contracts).
 */
export type Deployment = {
  chainId: number;
  startBlock: number;
  contracts: Record<Exclude<ContractName, "NodeReports">, { address: Address }> & { NodeReports?: { address: Address } };
  settings?: GovernanceSettings;
  deployedAt?: string;
};
