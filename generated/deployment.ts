/** The shape of `deployments/<chainId>.json`, written by deploy/ and read by the node and the dApp. */
import type { Address } from "viem";

export const CONTRACT_NAMES = ["NSToken", "NSTimelock", "NSGovernor", "ModelRegistry", "AuditAnchor"] as const;
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

/** `deployments/<chainId>.json`. */
export type Deployment = {
  chainId: number;
  startBlock: number;
  contracts: Record<ContractName, { address: Address }>;
  settings?: GovernanceSettings;
  deployedAt?: string;
};
