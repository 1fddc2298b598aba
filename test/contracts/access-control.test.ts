/**
 * Who may do what once deployment is over: only the timelock adopts and mints, only the governor
 * proposes to the timelock and cancels there, anyone executes, and nobody (the deployer included)
 * holds an admin right that could go around a vote.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, parseEther, zeroAddress, zeroHash, type Hex } from "viem";
import { nsTokenAbi, roleId } from "@ns-llm/contracts";
import { addressOf, deployNsLlm } from "../helpers/contracts/fixture.ts";
import { adoptProposal, closeVoting, fakeManifest, openVoting, pass, propose, proposal, ProposalState, timelockSalt, vote } from "../helpers/contracts/governance.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deployed() {
  return deployNsLlm(connection);
}

describe("access control", () => {
  it("lets nobody but the timelock adopt a manifest", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const { cid, digest } = fakeManifest("unauthorised");
    assert.equal(await f.registry.read.owner(), f.timelock.address);
    for (const wallet of [f.deployer, f.wallets[1]!, f.wallets[9]!]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.as(wallet).registry.write.adopt([roleId("generation"), cid, digest]),
        f.registry,
        "OwnableUnauthorizedAccount",
        [addressOf(wallet)],
      );
    }
    // Nor can anyone hand the registry to someone else.
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.registry.write.transferOwnership([addressOf(f.deployer)]),
      f.registry,
      "OwnableUnauthorizedAccount",
      [addressOf(f.deployer)],
    );
    // The governor itself is not the owner either: its actions run as the timelock.
    assert.equal(await f.governor.read.timelock(), f.timelock.address);
    assert.notEqual(await f.registry.read.owner(), f.governor.address);
  });

  it("refuses a direct timelock schedule, cancel or role change from any account", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [proposerRole, cancellerRole, adminRole] = await Promise.all([
      f.timelock.read.PROPOSER_ROLE(),
      f.timelock.read.CANCELLER_ROLE(),
      f.timelock.read.DEFAULT_ADMIN_ROLE(),
    ]);
    const { cid, digest } = fakeManifest("bypass");
    const data = encodeFunctionData({ abi: f.registry.abi, functionName: "adopt", args: [roleId("generation"), cid, digest] });
    const delay = BigInt(f.settings.timelockDelay);

    for (const wallet of [f.deployer, f.wallets[1]!]) {
      const timelock = f.as(wallet).timelock;
      const who = addressOf(wallet);
      await viem.assertions.revertWithCustomErrorWithArgs(
        timelock.write.schedule([f.registry.address, 0n, data, zeroHash, zeroHash, delay]),
        f.timelock,
        "AccessControlUnauthorizedAccount",
        [who, proposerRole],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        timelock.write.scheduleBatch([[f.registry.address], [0n], [data], zeroHash, zeroHash, delay]),
        f.timelock,
        "AccessControlUnauthorizedAccount",
        [who, proposerRole],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        timelock.write.cancel([zeroHash]),
        f.timelock,
        "AccessControlUnauthorizedAccount",
        [who, cancellerRole],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        timelock.write.grantRole([proposerRole, who]),
        f.timelock,
        "AccessControlUnauthorizedAccount",
        [who, adminRole],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(timelock.write.updateDelay([0n]), f.timelock, "TimelockUnauthorizedCaller", [who]);
      // Executing what was never scheduled does nothing either.
      await viem.assertions.revertWithCustomError(
        timelock.write.execute([f.registry.address, 0n, data, zeroHash, zeroHash]),
        f.timelock,
        "TimelockUnexpectedOperationState",
      );
    }
    // Nor can an account change the governor's rules: only governance (through the timelock).
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.governor.write.setVotingPeriod([1]),
      f.governor,
      "GovernorOnlyExecutor",
      [addressOf(f.deployer)],
    );
  });

  it("leaves the governor the only proposer and canceller, anyone executor, and the deployer no admin", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const roles = {
      admin: await f.timelock.read.DEFAULT_ADMIN_ROLE(),
      proposer: await f.timelock.read.PROPOSER_ROLE(),
      canceller: await f.timelock.read.CANCELLER_ROLE(),
      executor: await f.timelock.read.EXECUTOR_ROLE(),
    };
    // TimelockController cannot enumerate role members, so read every grant and revocation since deployment.
    const fromBlock = BigInt(f.deployment.startBlock);
    const granted = await f.timelock.getEvents.RoleGranted({}, { fromBlock });
    const revoked = await f.timelock.getEvents.RoleRevoked({}, { fromBlock });
    const members = new Map<Hex, Set<string>>();
    for (const log of granted) {
      const set = members.get(log.args.role!) ?? new Set<string>();
      set.add(getAddress(log.args.account!));
      members.set(log.args.role!, set);
    }
    for (const log of revoked) members.get(log.args.role!)?.delete(getAddress(log.args.account!));

    assert.deepEqual([...(members.get(roles.proposer) ?? [])], [f.governor.address]);
    assert.deepEqual([...(members.get(roles.canceller) ?? [])], [f.governor.address]);
    assert.deepEqual([...(members.get(roles.executor) ?? [])], [zeroAddress]);
    assert.deepEqual([...(members.get(roles.admin) ?? [])], [f.timelock.address]);
    assert.equal(revoked.length, 1, "only the deployer's admin role was given up");

    const deployer = addressOf(f.deployer);
    for (const role of Object.values(roles)) assert.equal(await f.timelock.read.hasRole([role, deployer]), false);
    assert.equal(await f.timelock.read.hasRole([roles.admin, f.timelock.address]), true);
    assert.equal(await f.timelock.read.hasRole([roles.admin, f.governor.address]), false);
    assert.equal(await f.timelock.read.hasRole([roles.proposer, f.governor.address]), true);
    assert.equal(await f.timelock.read.hasRole([roles.canceller, f.governor.address]), true);
    assert.equal(await f.timelock.read.hasRole([roles.executor, zeroAddress]), true);
  });

  it("lets anyone execute a queued operation, even on the timelock directly", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob] = f.wallets;
    const stranger = f.wallets[9]!;
    const { cid, digest } = fakeManifest("open-execution");
    const p = adoptProposal(f.registry.address, "embedding", cid, digest);
    const { id } = await propose(f, alice!, p);
    await openVoting(connection, f, id);
    await vote(f, id, [alice!, bob!]);
    await closeVoting(connection, f, id);
    await f.mined(f.as(stranger).governor.write.queue([p.targets, p.values, p.calldatas, p.descriptionHash]));
    await networkHelpers.time.increase(f.settings.timelockDelay);

    const salt = timelockSalt(f.governor.address, p.descriptionHash);
    await viem.assertions.emitWithArgs(
      f.as(stranger).timelock.write.executeBatch([p.targets, p.values, p.calldatas, zeroHash, salt]),
      f.registry,
      "ManifestAdopted",
      [roleId("embedding"), 1n, cid, digest],
    );
    assert.equal(await f.governor.read.state([id]), ProposalState.Executed);
  });

  it("refuses a proposer below the proposal threshold, counting delegated votes only", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const alice = f.wallets[0]!;
    const dave = f.wallets[6]!; // not a contributor: starts with nothing
    const threshold = await f.governor.read.proposalThreshold();
    assert.equal(threshold, BigInt(f.settings.proposalThreshold));
    const p = adoptProposal(f.registry.address, "parameters", fakeManifest("threshold").cid, fakeManifest("threshold").digest);
    const args = [p.targets, p.values, p.calldatas, p.description] as const;

    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(dave).governor.write.propose([...args]),
      f.governor,
      "GovernorInsufficientProposerVotes",
      [addressOf(dave), 0n, threshold],
    );

    // Tokens that are not delegated carry no votes.
    await f.mined(f.as(alice).token.write.transfer([addressOf(dave), threshold - 1n]));
    await networkHelpers.mine();
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(dave).governor.write.propose([...args]),
      f.governor,
      "GovernorInsufficientProposerVotes",
      [addressOf(dave), 0n, threshold],
    );

    // Delegated, one wei below the threshold is still refused (the threshold reads the previous second).
    await f.mined(f.as(dave).token.write.delegate([addressOf(dave)]));
    await networkHelpers.mine();
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(dave).governor.write.propose([...args]),
      f.governor,
      "GovernorInsufficientProposerVotes",
      [addressOf(dave), threshold - 1n, threshold],
    );

    // Exactly the threshold is enough.
    await f.mined(f.as(alice).token.write.transfer([addressOf(dave), 1n]));
    await networkHelpers.mine();
    const { id } = await propose(f, dave, p);
    assert.equal(await f.governor.read.proposalProposer([id]), addressOf(dave));
  });

  it("mints tokens only for the token's owner, the timelock, so minting is a governance decision", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol] = f.wallets;
    const stranger = f.wallets[9]!;
    assert.equal(await f.token.read.owner(), f.timelock.address);
    for (const wallet of [f.deployer, bob!, stranger]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.as(wallet).token.write.mint([addressOf(wallet), parseEther("1")]),
        f.token,
        "OwnableUnauthorizedAccount",
        [addressOf(wallet)],
      );
    }

    const supply = await f.token.read.totalSupply();
    const amount = parseEther("250");
    const p = proposal(
      [{ target: f.token.address, data: encodeFunctionData({ abi: nsTokenAbi, functionName: "mint", args: [addressOf(stranger), amount] }) }],
      "Grant 250 NSG to a new contributor",
    );
    await pass(connection, f, p, { proposer: alice!, voters: [alice!, bob!, carol!] });
    assert.equal(await f.token.read.balanceOf([addressOf(stranger)]), amount);
    assert.equal(await f.token.read.totalSupply(), supply + amount);
  });
});
