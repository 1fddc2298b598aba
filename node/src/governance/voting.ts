/**
 * Delegating, voting, and moving a passed proposal through the timelock, on any chain: the
 * `ns-llm delegate`, `ns-llm vote` and `ns-llm proposal` commands. (`dev pass` does all of it at
 * once on the dev chain, where it may also move the clock.)
 *
 * Each write is checked first against what the chain says, so that a vote that cannot count fails
 * with the reason (voting not open yet, already voted, no votes at the snapshot) and sends nothing,
 * rather than as a reverted transaction that costs gas.
 */
import { type Address, type Hash, type PublicClient } from "viem";
import { nsGovernorAbi, nsTokenAbi, SUPPORT, type Deployment, type ProposalState, type Support } from "@ns-llm/contracts";
import type { OperatorWallet } from "../chain/index.ts";
import { NsLlmError } from "../errors.ts";
import { proposalState } from "./proposals.ts";

/** Why a vote, a delegation or a timelock step was not sent (nothing changed on chain). */
export class GovernanceActionError extends NsLlmError<"unknown_proposal" | "not_active" | "already_voted" | "no_votes" | "not_ready" | "reverted"> {}

export type ProposalSummary = {
  id: bigint;
  state: ProposalState;
  proposer: Address;
  /** Timepoints on the token's clock (seconds: the token counts by timestamp). */
  snapshot: bigint;
  deadline: bigint;
  /** When the timelock lets it execute; 0 until queued. */
  eta: bigint;
  votes: { for: bigint; against: bigint; abstain: bigint };
  /** Votes needed (For + Abstain); undefined while the snapshot is in the future. */
  quorum: bigint | undefined;
};

type Context = { publicClient: PublicClient; deployment: Deployment };
type WriteContext = Context & { wallet: OperatorWallet };

const governorOf = (deployment: Deployment) => ({ address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi }) as const;

/** What the governor holds about `proposalId`; throws `unknown_proposal` for an id it never saw. */
export async function readProposal({ publicClient, deployment }: Context, proposalId: bigint): Promise<ProposalSummary> {
  const governor = governorOf(deployment);
  const snapshot = await publicClient.readContract({ ...governor, functionName: "proposalSnapshot", args: [proposalId] });
  if (snapshot === 0n) throw new GovernanceActionError("unknown_proposal", `the governor has no proposal ${proposalId}`, { hint: "copy the id `ns-llm propose` printed, or the one on the dApp's proposal page" });
  const [state, proposer, deadline, eta, [against, forVotes, abstain], latest] = await Promise.all([
    proposalState(publicClient, deployment, proposalId),
    publicClient.readContract({ ...governor, functionName: "proposalProposer", args: [proposalId] }),
    publicClient.readContract({ ...governor, functionName: "proposalDeadline", args: [proposalId] }),
    publicClient.readContract({ ...governor, functionName: "proposalEta", args: [proposalId] }),
    publicClient.readContract({ ...governor, functionName: "proposalVotes", args: [proposalId] }),
    publicClient.getBlock(),
  ]);
  // The quorum is read at the snapshot, which the token can only answer once it has passed.
  const quorum = snapshot < latest.timestamp ? await publicClient.readContract({ ...governor, functionName: "quorum", args: [snapshot] }) : undefined;
  return { id: proposalId, state, proposer, snapshot, deadline, eta: BigInt(eta), votes: { for: forVotes, against, abstain }, quorum };
}

export type CastVoteParameters = WriteContext & { proposalId: bigint; support: Support; reason?: string };
export type CastVoteReturnType = { txHash: Hash; weight: bigint; proposal: ProposalSummary };

/** Votes `support` on an Active proposal with the wallet's votes at its snapshot. */
export async function castVote(parameters: CastVoteParameters): Promise<CastVoteReturnType> {
  const { publicClient, deployment, wallet, proposalId, support, reason } = parameters;
  const governor = governorOf(deployment);
  const voter = wallet.account.address;
  const before = await readProposal(parameters, proposalId);
  if (before.state !== "Active") {
    const when = before.state === "Pending" ? `; voting opens at ${isoTime(before.snapshot + 1n)}` : "";
    throw new GovernanceActionError("not_active", `proposal ${proposalId} is ${before.state}, not open for votes${when}`, { hint: "see `ns-llm proposal show <id>`" });
  }
  const [voted, weight] = await Promise.all([
    publicClient.readContract({ ...governor, functionName: "hasVoted", args: [proposalId, voter] }),
    publicClient.readContract({ ...governor, functionName: "getVotes", args: [voter, before.snapshot] }),
  ]);
  if (voted) throw new GovernanceActionError("already_voted", `${voter} has already voted on proposal ${proposalId}`, { hint: "a vote cannot be changed" });
  if (weight === 0n) {
    throw new GovernanceActionError("no_votes", `${voter} had no votes when proposal ${proposalId} was made`, {
      hint: "votes count from the snapshot on: delegate (`ns-llm delegate`) before the next proposal",
    });
  }
  const txHash = reason
    ? await wallet.writeContract({ ...governor, functionName: "castVoteWithReason", args: [proposalId, SUPPORT[support], reason] })
    : await wallet.writeContract({ ...governor, functionName: "castVote", args: [proposalId, SUPPORT[support]] });
  await mined(publicClient, "the vote", txHash);
  return { txHash, weight, proposal: await readProposal(parameters, proposalId) };
}

export type DelegateParameters = WriteContext & { delegatee: Address };
export type DelegateReturnType = { txHash: Hash; delegatee: Address; balance: bigint; votes: bigint };

/**
 * Gives the wallet's NSG votes to `delegatee` (itself to vote in person). Only proposals made
 * afterwards count them: each reads the votes at its snapshot.
 */
export async function delegateVotes(parameters: DelegateParameters): Promise<DelegateReturnType> {
  const { publicClient, deployment, wallet, delegatee } = parameters;
  const token = { address: deployment.contracts.NSToken.address, abi: nsTokenAbi } as const;
  const txHash = await wallet.writeContract({ ...token, functionName: "delegate", args: [delegatee] });
  await mined(publicClient, "the delegation", txHash);
  const [balance, votes] = await Promise.all([
    publicClient.readContract({ ...token, functionName: "balanceOf", args: [wallet.account.address] }),
    publicClient.readContract({ ...token, functionName: "getVotes", args: [delegatee] }),
  ]);
  return { txHash, delegatee, balance, votes };
}

/** Queues a Succeeded proposal in the timelock (anyone may). */
export async function queueProposal(parameters: WriteContext & { proposalId: bigint }): Promise<{ txHash: Hash; proposal: ProposalSummary }> {
  return timelockStep(parameters, "Succeeded", "queue");
}

/** Executes a Queued proposal once the timelock's delay has passed (anyone may). */
export async function executeProposal(parameters: WriteContext & { proposalId: bigint }): Promise<{ txHash: Hash; proposal: ProposalSummary }> {
  const proposal = await readProposal(parameters, parameters.proposalId);
  const now = (await parameters.publicClient.getBlock()).timestamp;
  if (proposal.state === "Queued" && now < proposal.eta) {
    throw new GovernanceActionError("not_ready", `proposal ${parameters.proposalId} is in the timelock until ${isoTime(proposal.eta)}`, { hint: "execute it after that time" });
  }
  return timelockStep(parameters, "Queued", "execute");
}

async function timelockStep(
  parameters: WriteContext & { proposalId: bigint },
  from: ProposalState,
  step: "queue" | "execute",
): Promise<{ txHash: Hash; proposal: ProposalSummary }> {
  const { publicClient, deployment, wallet, proposalId } = parameters;
  const before = await readProposal(parameters, proposalId);
  if (before.state !== from) {
    const hint = before.state === "Active" ? `voting ends at ${isoTime(before.deadline)}` : "see `ns-llm proposal show <id>`";
    throw new GovernanceActionError("not_ready", `proposal ${proposalId} is ${before.state}; only a ${from} proposal can be ${step}d`, { hint });
  }
  const txHash = await wallet.writeContract({ ...governorOf(deployment), functionName: step, args: [proposalId] });
  await mined(publicClient, `the ${step} transaction`, txHash);
  return { txHash, proposal: await readProposal(parameters, proposalId) };
}

async function mined(publicClient: PublicClient, what: string, txHash: Hash): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") throw new GovernanceActionError("reverted", `${what} reverted in ${txHash}`);
}

/** A timepoint of the token's clock (seconds) as an ISO time. */
export function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
