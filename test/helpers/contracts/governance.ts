/**
 * Governance steps the contract tests share: build an adoption proposal, submit it, vote, queue
 * and execute it, moving the chain's clock with Hardhat's network helpers.
 *
 * It lives outside test/contracts so that the test runner does not load it as a test file.
 */
import { encodeFunctionData, keccak256, pad, toHex, zeroHash, type Address, type Hex, type TransactionReceipt } from "viem";
import { modelRegistryAbi, roleId, type Role } from "@ns-llm/contracts";
import type { Connection, DeployNsLlmReturnType, Wallet } from "./fixture.ts";

/** The state numbers of OpenZeppelin's `IGovernor.ProposalState`. */
export const ProposalState = {
  Pending: 0,
  Active: 1,
  Canceled: 2,
  Defeated: 3,
  Succeeded: 4,
  Queued: 5,
  Expired: 6,
  Executed: 7,
} as const;

/** `support` values of GovernorCountingSimple. */
export const Vote = { Against: 0, For: 1, Abstain: 2 } as const;

export type Proposal = {
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  description: string;
  descriptionHash: Hex;
};

/** A proposal whose actions are `calls` (target + calldata, no value). */
export function proposal(calls: { target: Address; data: Hex }[], description: string): Proposal {
  return {
    targets: calls.map((call) => call.target),
    values: calls.map(() => 0n),
    calldatas: calls.map((call) => call.data),
    description,
    descriptionHash: keccak256(toHex(description)),
  };
}

/** The calldata of `ModelRegistry.adopt(roleId(role), cid, digest)`. */
export function adoptCall(registry: Address, role: Role, cid: string, digest: Hex): { target: Address; data: Hex } {
  return { target: registry, data: encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId(role), cid, digest] }) };
}

/** A proposal to adopt `cid` for `role`. */
export function adoptProposal(registry: Address, role: Role, cid: string, digest: Hex, description = `Adopt ${cid} for ${role}`): Proposal {
  return proposal([adoptCall(registry, role, cid, digest)], description);
}

/** A made-up but well-formed manifest CID and sha256 digest, distinct per `label`. */
export function fakeManifest(label: string): { cid: string; digest: Hex } {
  // A CIDv1 (raw, sha2-256) is 59 characters in base32; the registry only needs it non-empty.
  const cid = `bafkrei${keccak256(toHex(`cid:${label}`)).slice(2, 54)}`;
  return { cid, digest: keccak256(toHex(`manifest:${label}`)) };
}

/** The salt GovernorTimelockControl gives a proposal's timelock operation: the governor's address (bytes20, left-aligned) XOR the description hash. */
export function timelockSalt(governor: Address, descriptionHash: Hex): Hex {
  return toHex(BigInt(pad(governor, { dir: "right", size: 32 })) ^ BigInt(descriptionHash), { size: 32 });
}

/** The id of `p`'s operation in the timelock once queued: what a guardian passes to `cancel`. */
export async function timelockOperationId(g: Pick<DeployNsLlmReturnType, "governor" | "timelock">, p: Proposal): Promise<Hex> {
  return g.timelock.read.hashOperationBatch([p.targets, p.values, p.calldatas, zeroHash, timelockSalt(g.governor.address, p.descriptionHash)]);
}

/** Everything the steps below need from a test. */
export type Governance = Pick<DeployNsLlmReturnType, "governor" | "as" | "mined" | "settings">;

/** Submits `p` as `proposer`; returns its id and the receipt. */
export async function propose(g: Governance, proposer: Wallet, p: Proposal): Promise<{ id: bigint; receipt: TransactionReceipt }> {
  const receipt = await g.mined(g.as(proposer).governor.write.propose([p.targets, p.values, p.calldatas, p.description]));
  const id = await g.governor.read.getProposalId([p.targets, p.values, p.calldatas, p.descriptionHash]);
  return { id, receipt };
}

/** Moves the clock past the proposal's snapshot so that voting is open. */
export async function openVoting(connection: Connection, g: Governance, id: bigint): Promise<void> {
  const { time } = connection.networkHelpers;
  const snapshot = await g.governor.read.proposalSnapshot([id]);
  const now = BigInt(await time.latest());
  if (now <= snapshot) await time.increaseTo(snapshot + 1n);
}

/** Moves the clock past the proposal's (possibly extended) deadline. */
export async function closeVoting(connection: Connection, g: Governance, id: bigint): Promise<void> {
  const { time } = connection.networkHelpers;
  const deadline = await g.governor.read.proposalDeadline([id]);
  const now = BigInt(await time.latest());
  if (now <= deadline) await time.increaseTo(deadline + 1n);
}

/** Each of `voters` casts `support` on proposal `id`. */
export async function vote(g: Governance, id: bigint, voters: Wallet[], support: number = Vote.For): Promise<TransactionReceipt[]> {
  const receipts: TransactionReceipt[] = [];
  for (const voter of voters) receipts.push(await g.mined(g.as(voter).governor.write.castVote([id, support])));
  return receipts;
}

export type PassReturnType = { id: bigint; propose: TransactionReceipt; votes: TransactionReceipt[]; queue: TransactionReceipt; execute: TransactionReceipt };

/**
 * Takes `p` through the whole lifecycle: `proposer` proposes, `voters` vote for it, the voting
 * period ends, anyone (`executor`) queues it, the timelock delay passes, `executor` executes it.
 */
export async function pass(
  connection: Connection,
  g: Governance,
  p: Proposal,
  { proposer, voters, executor = proposer }: { proposer: Wallet; voters: Wallet[]; executor?: Wallet },
): Promise<PassReturnType> {
  const proposed = await propose(g, proposer, p);
  await openVoting(connection, g, proposed.id);
  const votes = await vote(g, proposed.id, voters);
  await closeVoting(connection, g, proposed.id);
  const queue = await g.mined(g.as(executor).governor.write.queue([p.targets, p.values, p.calldatas, p.descriptionHash]));
  await connection.networkHelpers.time.increase(g.settings.timelockDelay);
  const execute = await g.mined(g.as(executor).governor.write.execute([p.targets, p.values, p.calldatas, p.descriptionHash]));
  return { id: proposed.id, propose: proposed.receipt, votes, queue, execute };
}
