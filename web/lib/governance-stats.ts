/**
 * Governance figures for the dashboard, read from the chain: proposals by state, each proposal's
 * participation (votes cast / supply at its snapshot), the quorum now, and how much of the supply
 * is delegated (only delegated tokens vote, ERC20Votes).
 */
import type { Address, PublicClient } from "viem";
import { nsGovernorAbi, nsTokenAbi, type Deployment } from "@ns-llm/contracts";
import type { Proposal } from "./chain-reads.ts";
import { PROPOSAL_STATES, type ProposalState } from "@ns-llm/contracts";

export type ProposalParticipation = {
  id: bigint;
  index: number;
  state: ProposalState;
  /** For + against + abstain. */
  cast: bigint;
  /** Total supply at the snapshot; undefined while the snapshot is in the future. */
  supply: bigint | undefined;
  quorum: bigint | undefined;
};

export type GovernanceStats = {
  byState: { state: ProposalState; count: number }[];
  participation: ProposalParticipation[];
  /** Percent of the supply at a proposal's snapshot needed in for + abstain. */
  quorumNumerator: bigint;
  quorumDenominator: bigint;
  /** Votes needed at the last past timepoint (the token's clock - 1). */
  quorumNow: bigint;
  totalSupply: bigint;
  /** Sum of every delegate's votes now (from DelegateVotesChanged). */
  delegatedVotes: bigint;
  /** Accounts holding voting power now. */
  delegates: number;
};

export async function getGovernanceStats(client: PublicClient, deployment: Deployment, proposals: readonly Proposal[]): Promise<GovernanceStats> {
  const governor = deployment.contracts.NSGovernor.address;
  const token = deployment.contracts.NSToken.address;
  const [clock, numerator, denominator, totalSupply, delegated] = await Promise.all([
    client.readContract({ address: token, abi: nsTokenAbi, functionName: "clock" }),
    client.readContract({ address: governor, abi: nsGovernorAbi, functionName: "quorumNumerator", args: [] }),
    client.readContract({ address: governor, abi: nsGovernorAbi, functionName: "quorumDenominator" }),
    client.readContract({ address: token, abi: nsTokenAbi, functionName: "totalSupply" }),
    delegatedVotes(client, deployment),
  ]);
  // Past lookups need a timepoint strictly before the clock.
  const past = BigInt(clock) - 1n;
  const quorumNow = await client.readContract({ address: governor, abi: nsGovernorAbi, functionName: "quorum", args: [past] }).catch(() => 0n);
  const participation = await Promise.all(
    proposals.map(async (p): Promise<ProposalParticipation> => {
      const supply =
        p.snapshot < BigInt(clock)
          ? await client.readContract({ address: token, abi: nsTokenAbi, functionName: "getPastTotalSupply", args: [p.snapshot] }).catch(() => undefined)
          : undefined;
      return { id: p.id, index: p.index, state: p.state, cast: p.votes.for + p.votes.against + p.votes.abstain, supply, quorum: p.quorum };
    }),
  );
  const counts = new Map<ProposalState, number>();
  for (const p of proposals) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  return {
    byState: PROPOSAL_STATES.map((state) => ({ state, count: counts.get(state) ?? 0 })),
    participation,
    quorumNumerator: numerator,
    quorumDenominator: denominator,
    quorumNow,
    totalSupply,
    delegatedVotes: delegated.total,
    delegates: delegated.delegates,
  };
}

/** Each delegate's latest vote count from DelegateVotesChanged, summed. */
async function delegatedVotes(client: PublicClient, deployment: Deployment): Promise<{ total: bigint; delegates: number }> {
  const logs = await client.getContractEvents({
    address: deployment.contracts.NSToken.address,
    abi: nsTokenAbi,
    eventName: "DelegateVotesChanged",
    fromBlock: BigInt(deployment.startBlock),
    toBlock: "latest",
  });
  const latest = new Map<Address, bigint>();
  for (const log of logs) {
    if (log.args.delegate && log.args.newVotes !== undefined) latest.set(log.args.delegate, log.args.newVotes);
  }
  let total = 0n;
  let delegates = 0;
  for (const votes of latest.values()) {
    total += votes;
    if (votes > 0n) delegates++;
  }
  return { total, delegates };
}
