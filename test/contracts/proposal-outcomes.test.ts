/**
 * Proposals that must not execute (defeated, cancelled, expired unvoted, already executed), the
 * quorum's exact edge (for + abstain >= quorum, against never counts), and the late-quorum
 * extension that gives opponents time to answer a last-minute majority.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { parseEther, parseEventLogs, toHex } from "viem";
import { nsGovernorAbi, roleId } from "@ns-llm/contracts";
import { addressOf, deployNsLlm, type DeployNsLlmReturnType, type Wallet } from "../helpers/contracts/fixture.ts";
import {
  adoptProposal,
  closeVoting,
  fakeManifest,
  openVoting,
  pass,
  propose,
  ProposalState,
  vote,
  Vote,
  type Proposal,
} from "../helpers/contracts/governance.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deployed() {
  return deployNsLlm(connection);
}

let counter = 0;
/** A fresh adoption proposal (distinct description, so distinct id). */
function newProposal(f: DeployNsLlmReturnType): Proposal {
  const { cid, digest } = fakeManifest(`outcome-${++counter}`);
  return adoptProposal(f.registry.address, "parameters", cid, digest);
}

/** Queue and execute are both refused with GovernorUnexpectedProposalState in `state`. */
async function assertCannotQueueOrExecute(f: DeployNsLlmReturnType, p: Proposal, id: bigint, state: number): Promise<void> {
  const args = [p.targets, p.values, p.calldatas, p.descriptionHash] as const;
  for (const write of [f.governor.write.queue, f.governor.write.execute]) {
    await viem.assertions.revertWithCustomErrorWithArgs(write([...args]), f.governor, "GovernorUnexpectedProposalState", [
      id,
      state,
      (expected: `0x${string}`) => BigInt(expected) !== 0n,
    ]);
  }
  assert.equal(await f.registry.read.versionCount([roleId("parameters")]), 0n);
}

/** Proposes `p`, lets `ballots` vote, closes voting and returns the id. */
async function decide(f: DeployNsLlmReturnType, p: Proposal, ballots: [Wallet, number][]): Promise<bigint> {
  const { id } = await propose(f, f.wallets[0]!, p);
  await openVoting(connection, f, id);
  for (const [voter, support] of ballots) await vote(f, id, [voter], support);
  await closeVoting(connection, f, id);
  return id;
}

describe("proposal outcomes", () => {
  it("does not execute a proposal defeated by its votes, or by a tie", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol, dan] = f.wallets as [Wallet, Wallet, Wallet, Wallet];
    const defeated = newProposal(f);
    const id = await decide(f, defeated, [
      [alice, Vote.For],
      [bob, Vote.Against],
      [carol, Vote.Against],
    ]);
    assert.equal(await f.governor.read.state([id]), ProposalState.Defeated);
    await assertCannotQueueOrExecute(f, defeated, id, ProposalState.Defeated);

    const tie = newProposal(f);
    const tieId = await decide(f, tie, [
      [alice, Vote.For],
      [dan, Vote.Against],
    ]);
    assert.equal(await f.governor.read.state([tieId]), ProposalState.Defeated);
    await assertCannotQueueOrExecute(f, tie, tieId, ProposalState.Defeated);
  });

  it("does not execute a cancelled proposal; only its proposer may cancel, and only before voting", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob] = f.wallets as [Wallet, Wallet];
    const p = newProposal(f);
    const args = [p.targets, p.values, p.calldatas, p.descriptionHash] as const;
    const { id } = await propose(f, alice, p);

    await viem.assertions.revertWithCustomErrorWithArgs(f.as(bob).governor.write.cancel([...args]), f.governor, "GovernorUnableToCancel", [
      id,
      addressOf(bob),
    ]);
    await viem.assertions.emitWithArgs(f.as(alice).governor.write.cancel([...args]), f.governor, "ProposalCanceled", [id]);
    assert.equal(await f.governor.read.state([id]), ProposalState.Canceled);

    await openVoting(connection, f, id);
    await viem.assertions.revertWithCustomError(f.as(bob).governor.write.castVote([id, Vote.For]), f.governor, "GovernorUnexpectedProposalState");
    await closeVoting(connection, f, id);
    assert.equal(await f.governor.read.state([id]), ProposalState.Canceled);
    await assertCannotQueueOrExecute(f, p, id, ProposalState.Canceled);
    // A cancelled proposal cannot be submitted again under the same id.
    await viem.assertions.revertWithCustomError(
      f.as(alice).governor.write.propose([p.targets, p.values, p.calldatas, p.description]),
      f.governor,
      "GovernorUnexpectedProposalState",
    );

    // Once voting has started, not even the proposer can cancel.
    const active = newProposal(f);
    const { id: activeId } = await propose(f, alice, active);
    await openVoting(connection, f, activeId);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(alice).governor.write.cancel([active.targets, active.values, active.calldatas, active.descriptionHash]),
      f.governor,
      "GovernorUnableToCancel",
      [activeId, addressOf(alice)],
    );
  });

  it("expires a proposal nobody voted on: no vote after the deadline, no execution", async () => {
    // GovernorTimelockControl never reports `Expired` (the timelock has no grace period): a
    // proposal whose voting period ends without quorum ends Defeated, for good.
    const f = await networkHelpers.loadFixture(deployed);
    const bob = f.wallets[1]!;
    const p = newProposal(f);
    const id = await decide(f, p, []);
    assert.equal(await f.governor.read.state([id]), ProposalState.Defeated);
    await viem.assertions.revertWithCustomErrorWithArgs(f.as(bob).governor.write.castVote([id, Vote.For]), f.governor, "GovernorUnexpectedProposalState", [
      id,
      ProposalState.Defeated,
      (expected: `0x${string}`) => BigInt(expected) === 1n << BigInt(ProposalState.Active),
    ]);
    await assertCannotQueueOrExecute(f, p, id, ProposalState.Defeated);
    await networkHelpers.time.increase(f.settings.votingPeriod * 10);
    assert.equal(await f.governor.read.state([id]), ProposalState.Defeated);
    assert.deepEqual(await f.governor.read.proposalVotes([id]), [0n, 0n, 0n]);
  });

  it("executes a passed proposal once, and never before it is queued", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob] = f.wallets as [Wallet, Wallet];
    const p = newProposal(f);
    const args = [p.targets, p.values, p.calldatas, p.descriptionHash] as const;
    const id = await decide(f, p, [[alice, Vote.For]]);
    assert.equal(await f.governor.read.state([id]), ProposalState.Succeeded);
    // Not queued: execution needs the Queued state (and the timelock's operation behind it).
    await viem.assertions.revertWithCustomErrorWithArgs(f.governor.write.execute([...args]), f.governor, "GovernorUnexpectedProposalState", [
      id,
      ProposalState.Succeeded,
      toHex(1n << BigInt(ProposalState.Queued), { size: 32 }),
    ]);
    await f.mined(f.governor.write.queue([...args]));
    await viem.assertions.revertWithCustomError(f.governor.write.queue([...args]), f.governor, "GovernorUnexpectedProposalState");
    await networkHelpers.time.increase(f.settings.timelockDelay);
    await f.mined(f.as(bob).governor.write.execute([...args]));
    await viem.assertions.revertWithCustomErrorWithArgs(f.governor.write.execute([...args]), f.governor, "GovernorUnexpectedProposalState", [
      id,
      ProposalState.Executed,
      (expected: `0x${string}`) => BigInt(expected) !== 0n,
    ]);
    assert.equal(await f.registry.read.versionCount([roleId("parameters")]), 1n);
  });
});

describe("quorum", () => {
  // 5 contributors x 1,000 NSG: quorum = 4% of 5,000 = 200 NSG. Tokens parked at `sink` (never
  // delegated) keep the supply, and so the quorum, while lowering the voters' weight.
  const QUORUM = parseEther("200");

  /** Leaves `voter` exactly `votes` of voting power by parking the rest of its 1,000 NSG. */
  async function leave(f: DeployNsLlmReturnType, voter: Wallet, votes: bigint): Promise<void> {
    const sink = f.wallets[15]!;
    await f.mined(f.as(voter).token.write.transfer([addressOf(sink), parseEther("1000") - votes]));
  }

  it("passes at exactly the quorum and fails one wei below it", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob] = f.wallets as [Wallet, Wallet];
    await leave(f, alice, QUORUM);
    await leave(f, bob, QUORUM - 1n);

    const at = newProposal(f);
    const atId = await decide(f, at, [[alice, Vote.For]]);
    assert.equal(await f.governor.read.quorum([await f.governor.read.proposalSnapshot([atId])]), QUORUM);
    assert.deepEqual(await f.governor.read.proposalVotes([atId]), [0n, QUORUM, 0n]);
    assert.equal(await f.governor.read.state([atId]), ProposalState.Succeeded);

    const below = newProposal(f);
    const belowId = await decide(f, below, [[bob, Vote.For]]);
    assert.equal(await f.governor.read.quorum([await f.governor.read.proposalSnapshot([belowId])]), QUORUM);
    assert.deepEqual(await f.governor.read.proposalVotes([belowId]), [0n, QUORUM - 1n, 0n]);
    assert.equal(await f.governor.read.state([belowId]), ProposalState.Defeated);
    await assertCannotQueueOrExecute(f, below, belowId, ProposalState.Defeated);
  });

  it("counts abstentions toward the quorum but not against votes", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol, dan] = f.wallets as [Wallet, Wallet, Wallet, Wallet];
    await leave(f, alice, QUORUM - 1n);
    await leave(f, bob, 1n);
    await leave(f, carol, parseEther("100"));
    await leave(f, dan, 1n);

    // 199.999... for + 1 wei abstaining = quorum, and for > against: passes.
    const withAbstain = newProposal(f);
    const passedId = await decide(f, withAbstain, [
      [alice, Vote.For],
      [bob, Vote.Abstain],
    ]);
    assert.deepEqual(await f.governor.read.proposalVotes([passedId]), [0n, QUORUM - 1n, 1n]);
    assert.equal(await f.governor.read.state([passedId]), ProposalState.Succeeded);

    // The same for votes with 100 NSG against (and 1 wei against): against never fills the quorum.
    const withAgainst = newProposal(f);
    const failedId = await decide(f, withAgainst, [
      [alice, Vote.For],
      [carol, Vote.Against],
      [dan, Vote.Against],
    ]);
    assert.deepEqual(await f.governor.read.proposalVotes([failedId]), [parseEther("100") + 1n, QUORUM - 1n, 0n]);
    assert.equal(await f.governor.read.state([failedId]), ProposalState.Defeated);

    // Abstentions alone reach the quorum but pass nothing: for must beat against.
    const onlyAbstain = newProposal(f);
    const abstainId = await decide(f, onlyAbstain, [[alice, Vote.Abstain], [bob, Vote.Abstain]]);
    assert.deepEqual(await f.governor.read.proposalVotes([abstainId]), [0n, 0n, QUORUM]);
    assert.equal(await f.governor.read.state([abstainId]), ProposalState.Defeated);
  });
});

describe("late quorum", () => {
  it("extends the deadline when quorum is reached at the last moment, so opponents can answer", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol] = f.wallets as [Wallet, Wallet, Wallet];
    const extension = BigInt(f.settings.lateQuorumExtension);
    assert.equal(BigInt(await f.governor.read.lateQuorumVoteExtension()), extension);
    const p = newProposal(f);
    const { id } = await propose(f, alice, p);
    const deadline = await f.governor.read.proposalDeadline([id]);

    await networkHelpers.time.increaseTo(deadline - 10n);
    const receipt = (await vote(f, id, [alice]))[0]!;
    const votedAt = (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    const extended = parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalExtended" });
    assert.deepEqual(
      extended.map((e) => e.args),
      [{ proposalId: id, extendedDeadline: votedAt + extension }],
    );
    assert.equal(await f.governor.read.proposalDeadline([id]), votedAt + extension);

    // Past the original deadline the vote is still open, and the majority can still turn.
    await networkHelpers.time.increaseTo(deadline + 1n);
    assert.equal(await f.governor.read.state([id]), ProposalState.Active);
    await vote(f, id, [bob, carol], Vote.Against);
    await closeVoting(connection, f, id);
    assert.equal(await networkHelpers.time.latest() > Number(votedAt + extension), true);
    assert.equal(await f.governor.read.state([id]), ProposalState.Defeated);
  });

  it("keeps the deadline when quorum is reached early", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol] = f.wallets as [Wallet, Wallet, Wallet];
    const p = newProposal(f);
    const { id } = await propose(f, alice, p);
    const deadline = await f.governor.read.proposalDeadline([id]);
    await openVoting(connection, f, id);
    const receipt = (await vote(f, id, [alice]))[0]!;
    assert.equal(parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalExtended" }).length, 0);
    assert.equal(await f.governor.read.proposalDeadline([id]), deadline);
    await networkHelpers.time.increaseTo(deadline + 1n);
    assert.equal(await f.governor.read.state([id]), ProposalState.Succeeded);
    // The passed proposal still goes through the timelock as usual.
    await pass(connection, f, newProposal(f), { proposer: bob, voters: [bob, carol] });
  });
});
