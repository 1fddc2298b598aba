/**
 * Reads of the governance contracts, as plain functions over a viem public client. GovernorStorage
 * keeps every proposal's details on chain, so the list needs no indexer.
 */
import type { Address, Hex, PublicClient } from "viem";
import { modelRegistryAbi, nsGovernorAbi, nsTokenAbi, PROPOSAL_STATES, ROLES, roleId, type Deployment, type ProposalState, type Role } from "@ns-llm/contracts";
import { decodeActions, type DecodedAction } from "./governance.ts";

export type Proposal = {
  id: bigint;
  /** Position in GovernorStorage (0 is the first proposal ever made). */
  index: number;
  proposer: Address;
  targets: readonly Address[];
  values: readonly bigint[];
  calldatas: readonly Hex[];
  descriptionHash: Hex;
  actions: DecodedAction[];
  state: ProposalState;
  snapshot: bigint;
  deadline: bigint;
  eta: bigint;
  votes: { against: bigint; for: bigint; abstain: bigint };
  /** Votes needed (for + abstain); undefined while the snapshot is still in the future. */
  quorum: bigint | undefined;
};

export function quorumReached(proposal: Proposal): boolean | undefined {
  if (proposal.quorum === undefined) return undefined;
  return proposal.votes.for + proposal.votes.abstain >= proposal.quorum;
}

/** One proposal by its id (reverts with GovernorNonexistentProposal for an unknown id). */
export async function getProposal(client: PublicClient, deployment: Deployment, id: bigint, index = -1): Promise<Proposal> {
  const governor = { address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi } as const;
  const [details, state, votes, snapshot, deadline, eta, proposer] = await Promise.all([
    client.readContract({ ...governor, functionName: "proposalDetails", args: [id] }),
    client.readContract({ ...governor, functionName: "state", args: [id] }),
    client.readContract({ ...governor, functionName: "proposalVotes", args: [id] }),
    client.readContract({ ...governor, functionName: "proposalSnapshot", args: [id] }),
    client.readContract({ ...governor, functionName: "proposalDeadline", args: [id] }),
    client.readContract({ ...governor, functionName: "proposalEta", args: [id] }),
    client.readContract({ ...governor, functionName: "proposalProposer", args: [id] }),
  ]);
  // quorum(t) reads the token's past supply, which reverts until t is in the past.
  const quorum = await client.readContract({ ...governor, functionName: "quorum", args: [snapshot] }).catch(() => undefined);
  const [targets, values, calldatas, descriptionHash] = details;
  return {
    id,
    index,
    proposer,
    targets,
    values,
    calldatas,
    descriptionHash,
    actions: decodeActions(deployment, targets, values, calldatas),
    state: PROPOSAL_STATES[state] ?? "Pending",
    snapshot,
    deadline,
    eta,
    votes: { against: votes[0], for: votes[1], abstain: votes[2] },
    quorum,
  };
}

/** Every proposal, newest first. */
export async function getProposals(client: PublicClient, deployment: Deployment): Promise<Proposal[]> {
  const address = deployment.contracts.NSGovernor.address;
  const count = Number(await client.readContract({ address, abi: nsGovernorAbi, functionName: "proposalCount" }));
  const indexes = Array.from({ length: count }, (_, i) => count - 1 - i);
  return Promise.all(
    indexes.map(async (index) => {
      const [id] = await client.readContract({ address, abi: nsGovernorAbi, functionName: "proposalDetailsAt", args: [BigInt(index)] });
      return getProposal(client, deployment, id, index);
    }),
  );
}

/**
 * Proposal descriptions by id, from the ProposalCreated events (GovernorStorage keeps only their
 * hashes). An RPC that refuses the range gives an empty map: titles then come from manifests.
 */
export async function getDescriptions(client: PublicClient, deployment: Deployment): Promise<Map<string, string>> {
  const logs = await client
    .getContractEvents({ address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi, eventName: "ProposalCreated", fromBlock: BigInt(deployment.startBlock), toBlock: "latest" })
    .catch(() => []);
  return new Map(logs.map((log) => [String(log.args.proposalId), log.args.description ?? ""]));
}

export type RegistryEntry = { role: Role; version: bigint; cid: string; digest: Hex; adoptedAt: bigint };

/** What the registry holds now for each role (version 0: nothing adopted yet). */
export async function getRegistry(client: PublicClient, deployment: Deployment): Promise<RegistryEntry[]> {
  return Promise.all(
    ROLES.map(async (role) => {
      const [version, cid, digest, adoptedAt] = await client.readContract({
        address: deployment.contracts.ModelRegistry.address,
        abi: modelRegistryAbi,
        functionName: "current",
        args: [roleId(role)],
      });
      return { role, version, cid, digest, adoptedAt };
    }),
  );
}

export type AccountState = {
  address: Address;
  eth: bigint;
  balance: bigint;
  delegate: Address;
  votes: bigint;
  threshold: bigint;
};

/** A wallet's tokens, delegation and voting power now. */
export async function getAccountState(client: PublicClient, deployment: Deployment, address: Address): Promise<AccountState> {
  const token = deployment.contracts.NSToken.address;
  const [eth, balance, delegate, votes, threshold] = await Promise.all([
    client.getBalance({ address }),
    client.readContract({ address: token, abi: nsTokenAbi, functionName: "balanceOf", args: [address] }),
    client.readContract({ address: token, abi: nsTokenAbi, functionName: "delegates", args: [address] }),
    client.readContract({ address: token, abi: nsTokenAbi, functionName: "getVotes", args: [address] }),
    client.readContract({ address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi, functionName: "proposalThreshold" }),
  ]);
  return { address, eth, balance, delegate, votes, threshold };
}

export type VoterState = { hasVoted: boolean; weight: bigint | undefined };

/** Whether `address` voted on a proposal, and its voting power at the proposal's snapshot. */
export async function getVoterState(client: PublicClient, deployment: Deployment, proposal: Proposal, address: Address): Promise<VoterState> {
  const governor = deployment.contracts.NSGovernor.address;
  const [hasVoted, weight] = await Promise.all([
    client.readContract({ address: governor, abi: nsGovernorAbi, functionName: "hasVoted", args: [proposal.id, address] }),
    client.readContract({ address: governor, abi: nsGovernorAbi, functionName: "getVotes", args: [address, proposal.snapshot] }).catch(() => undefined),
  ]);
  return { hasVoted, weight };
}
