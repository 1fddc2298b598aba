/**
 * Votes are weighed at the proposal's snapshot: tokens bought, borrowed or delegated after it
 * carry no weight on that proposal (the flash-loan attack), and a vote signed off-chain
 * (EIP-712 `castVoteBySig`) counts once, for the proposal and choice it names.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { parseEther, parseEventLogs, type Hex } from "viem";
import { nsGovernorAbi } from "@ns-llm/contracts";
import { addressOf, deployNsLlm, type DeployNsLlmReturnType, type Wallet } from "../helpers/contracts/fixture.ts";
import { adoptProposal, fakeManifest, openVoting, propose, ProposalState, Vote } from "../helpers/contracts/governance.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deployed() {
  return deployNsLlm(connection);
}

const BALLOT_TYPES = {
  Ballot: [
    { name: "proposalId", type: "uint256" },
    { name: "support", type: "uint8" },
    { name: "voter", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

/** `voter`'s EIP-712 signature of a ballot, for the governor's current nonce of `voter`. */
async function signBallot(f: DeployNsLlmReturnType, signer: Wallet, voter: Wallet, proposalId: bigint, support: number): Promise<Hex> {
  const [, name, version, chainId, verifyingContract] = await f.governor.read.eip712Domain();
  const nonce = await f.governor.read.nonces([addressOf(voter)]);
  return signer.signTypedData({
    account: signer.account,
    domain: { name, version, chainId, verifyingContract },
    types: BALLOT_TYPES,
    primaryType: "Ballot",
    message: { proposalId, support, voter: addressOf(voter), nonce },
  });
}

describe("voting power", () => {
  it("weighs votes at the snapshot: tokens received or delegated after it do not vote", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob] = f.wallets as [Wallet, Wallet];
    const mallory = f.wallets[7]!; // the attacker: borrows tokens once the proposal is known
    const dave = f.wallets[8]!; // holds tokens from before the proposal but delegates only after it

    await f.mined(f.as(alice).token.write.transfer([addressOf(dave), parseEther("100")]));
    const { cid, digest } = fakeManifest("flash-loan");
    const { id } = await propose(f, alice, adoptProposal(f.registry.address, "generation", cid, digest));
    const snapshot = await f.governor.read.proposalSnapshot([id]);
    await openVoting(connection, f, id);

    // The "loan": bob's whole balance moves to mallory, who delegates to herself, after the snapshot.
    await f.mined(f.as(bob).token.write.transfer([addressOf(mallory), parseEther("1000")]));
    await f.mined(f.as(mallory).token.write.delegate([addressOf(mallory)]));
    await f.mined(f.as(dave).token.write.delegate([addressOf(dave)]));
    assert.equal(await f.token.read.getVotes([addressOf(mallory)]), parseEther("1000"), "mallory votes on later proposals");
    assert.equal(await f.governor.read.getVotes([addressOf(mallory), snapshot]), 0n);
    assert.equal(await f.governor.read.getVotes([addressOf(dave), snapshot]), 0n);

    const ballots = async (voter: Wallet) => {
      const receipt = await f.mined(f.as(voter).governor.write.castVote([id, Vote.For]));
      return parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "VoteCast" })[0]!.args.weight;
    };
    assert.equal(await ballots(mallory), 0n);
    assert.equal(await ballots(dave), 0n);
    assert.deepEqual(await f.governor.read.proposalVotes([id]), [0n, 0n, 0n]);

    // Moving tokens does not move the vote: bob, who gave everything away, still votes his snapshot weight.
    assert.equal(await f.token.read.balanceOf([addressOf(bob)]), 0n);
    assert.equal(await ballots(bob), parseEther("1000"));
    assert.equal(await ballots(alice), parseEther("900"));
    assert.deepEqual(await f.governor.read.proposalVotes([id]), [0n, parseEther("1900"), 0n]);

    // Quorum, too, reads the snapshot's supply, and a vote cannot be cast twice.
    assert.equal(await f.governor.read.quorum([snapshot]), (parseEther("5000") * BigInt(f.settings.quorumNumerator)) / 100n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(mallory).governor.write.castVote([id, Vote.For]),
      f.governor,
      "GovernorAlreadyCastVote",
      [addressOf(mallory)],
    );
  });

  it("counts a castVoteBySig ballot once, relayed by anyone, and refuses its replay", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, , carol] = f.wallets as [Wallet, Wallet, Wallet];
    const relayer = f.wallets[9]!; // pays the gas, holds no tokens
    const first = await propose(f, alice, adoptProposal(f.registry.address, "embedding", fakeManifest("sig-1").cid, fakeManifest("sig-1").digest));
    const second = await propose(f, alice, adoptProposal(f.registry.address, "embedding", fakeManifest("sig-2").cid, fakeManifest("sig-2").digest));
    await openVoting(connection, f, second.id);
    assert.equal(await f.governor.read.state([first.id]), ProposalState.Active);

    const [, name, version] = await f.governor.read.eip712Domain();
    assert.deepEqual([name, version], ["NSGovernor", "1"]);
    const nonce = await f.governor.read.nonces([addressOf(carol)]);
    const signature = await signBallot(f, carol, carol, first.id, Vote.For);

    // A signature for another choice, or by another key, is refused.
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(relayer).governor.write.castVoteBySig([first.id, Vote.Against, addressOf(carol), signature]),
      f.governor,
      "GovernorInvalidSignature",
      [addressOf(carol)],
    );
    const forged = await signBallot(f, relayer, carol, first.id, Vote.For);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(relayer).governor.write.castVoteBySig([first.id, Vote.For, addressOf(carol), forged]),
      f.governor,
      "GovernorInvalidSignature",
      [addressOf(carol)],
    );

    await viem.assertions.emitWithArgs(
      f.as(relayer).governor.write.castVoteBySig([first.id, Vote.For, addressOf(carol), signature]),
      f.governor,
      "VoteCast",
      [addressOf(carol), first.id, Vote.For, parseEther("1000"), ""],
    );
    assert.equal(await f.governor.read.hasVoted([first.id, addressOf(carol)]), true);
    assert.equal(await f.governor.read.hasVoted([first.id, addressOf(relayer)]), false);
    assert.equal(await f.governor.read.nonces([addressOf(carol)]), nonce + 1n);
    assert.deepEqual(await f.governor.read.proposalVotes([first.id]), [0n, parseEther("1000"), 0n]);

    // Replayed on the same proposal, or on another one, the signature is spent (the nonce moved on).
    for (const id of [first.id, second.id]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.as(relayer).governor.write.castVoteBySig([id, Vote.For, addressOf(carol), signature]),
        f.governor,
        "GovernorInvalidSignature",
        [addressOf(carol)],
      );
    }
    assert.deepEqual(await f.governor.read.proposalVotes([second.id]), [0n, 0n, 0n]);

    // A fresh signature (new nonce) cannot vote twice on the same proposal either.
    const again = await signBallot(f, carol, carol, first.id, Vote.For);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(relayer).governor.write.castVoteBySig([first.id, Vote.For, addressOf(carol), again]),
      f.governor,
      "GovernorAlreadyCastVote",
      [addressOf(carol)],
    );
  });
});
