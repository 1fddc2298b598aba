/** The shape of `deployments/<chainId>.json`, written by deploy/ and read by the node and the dApp. */
import type { Address } from "viem";

export const CONTRACT_NAMES = ["NSToken", "NSTimelock", "NSGovernor", "ModelRegistry", "AuditAnchor", "NodeReports"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Contracts every deployment has; a record written before NodeReports existed lacks only that one. */
export const REQUIRED_CONTRACTS = ["NSToken", "NSTimelock", "NSGovernor", "ModelRegistry", "AuditAnchor"] as const satisfies readonly ContractName[];

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
  contracts: Record<(typeof REQUIRED_CONTRACTS)[number], { address: Address }> & { NodeReports?: { address: Address } };
  settings?: GovernanceSettings;
  deployedAt?: string;
};
