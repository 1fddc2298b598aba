/**
 * The guardian: an account named at deployment (NS_LLM_GUARDIAN) that holds the timelock's
 * CANCELLER_ROLE, so it can stop a passed proposal while it waits in the timelock. Nobody else can,
 * there is none unless one is named, and governance can take the role back by a vote.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { encodeFunctionData, getAddress } from "viem";
import { nsTimelockAbi, roleId } from "@ns-llm/contracts";
import { addressOf, deployNsLlm, type DeployNsLlmReturnType } from "../helpers/contracts/fixture.ts";
import {
  adoptProposal,
  closeVoting,
  fakeManifest,
  openVoting,
  pass,
  propose,
  proposal,
  ProposalState,
  timelockOperationId,
  vote,
  type Proposal,
} from "../helpers/contracts/governance.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

/** The dev deployment with wallet 8 (no tokens, no other role) as the guardian. */
async function guarded() {
  const wallets = await viem.getWalletClients();
  return deployNsLlm(connection, { guardian: addressOf(wallets[8]!) });
}

async function unguarded() {
  return deployNsLlm(connection);
}

let counter = 0;
/** Takes a fresh adoption proposal to the timelock: proposed, voted, queued, not executed. */
async function queued(f: DeployNsLlmReturnType): Promise<{ p: Proposal; id: bigint }> {
  const { cid, digest } = fakeManifest(`guardian-${++counter}`);
  const p = adoptProposal(f.registry.address, "generation", cid, digest);
  const [alice, bob, carol] = f.wallets;
  const { id } = await propose(f, alice!, p);
  await openVoting(connection, f, id);
  await vote(f, id, [alice!, bob!, carol!]);
  await closeVoting(connection, f, id);
  await f.mined(f.governor.write.queue([p.targets, p.values, p.calldatas, p.descriptionHash]));
  assert.equal(await f.governor.read.state([id]), ProposalState.Queued);
  return { p, id };
}

describe("guardian", () => {
  it("cancels a queued proposal during the timelock delay: the governor reports it Canceled and it never executes", async () => {
    const f = await networkHelpers.loadFixture(guarded);
    const guardian = f.wallets[8]!;
    assert.equal(f.deployment.guardian, addressOf(guardian));
    const { p, id } = await queued(f);
    const operation = await timelockOperationId(f, p);
    assert.equal(await f.timelock.read.isOperationPending([operation]), true);

    await viem.assertions.emitWithArgs(f.as(guardian).timelock.write.cancel([operation]), f.timelock, "Cancelled", [operation]);
    assert.equal(await f.governor.read.state([id]), ProposalState.Canceled);

    await networkHelpers.time.increase(f.settings.timelockDelay);
    await viem.assertions.revertWithCustomError(
      f.governor.write.execute([p.targets, p.values, p.calldatas, p.descriptionHash]),
      f.governor,
      "GovernorUnexpectedProposalState",
    );
    assert.equal(await f.registry.read.versionCount([roleId("generation")]), 0n, "nothing adopted");
  });

  it("can still cancel once the delay has passed, until someone executes", async () => {
    const f = await networkHelpers.loadFixture(guarded);
    const { p, id } = await queued(f);
    await networkHelpers.time.increase(f.settings.timelockDelay);
    const operation = await timelockOperationId(f, p);
    assert.equal(await f.timelock.read.isOperationReady([operation]), true);
    await f.mined(f.as(f.wallets[8]!).timelock.write.cancel([operation]));
    assert.equal(await f.governor.read.state([id]), ProposalState.Canceled);
  });

  it("lets nobody else cancel: not the proposer, a voter, the deployer or a stranger", async () => {
    const f = await networkHelpers.loadFixture(guarded);
    const { p, id } = await queued(f);
    const operation = await timelockOperationId(f, p);
    const canceller = await f.timelock.read.CANCELLER_ROLE();
    for (const wallet of [f.wallets[0]!, f.wallets[1]!, f.deployer, f.wallets[9]!]) {
      await viem.assertions.revertWithCustomErrorWithArgs(f.as(wallet).timelock.write.cancel([operation]), f.timelock, "AccessControlUnauthorizedAccount", [
        addressOf(wallet),
        canceller,
      ]);
    }
    // The governor's own cancel is for the proposer, and only before voting starts.
    await viem.assertions.revertWithCustomError(
      f.as(f.wallets[0]!).governor.write.cancel([p.targets, p.values, p.calldatas, p.descriptionHash]),
      f.governor,
      "GovernorUnableToCancel",
    );
    assert.equal(await f.governor.read.state([id]), ProposalState.Queued);
  });

  it("cannot stop a proposal before it is queued or after it executed, nor act as anything but a canceller", async () => {
    const f = await networkHelpers.loadFixture(guarded);
    const guardian = f.as(f.wallets[8]!);
    const { cid, digest } = fakeManifest("guardian-late");
    const p = adoptProposal(f.registry.address, "embedding", cid, digest);
    const operation = await timelockOperationId(f, p);
    // Not queued yet: there is no operation to cancel.
    await viem.assertions.revertWithCustomError(guardian.timelock.write.cancel([operation]), f.timelock, "TimelockUnexpectedOperationState");
    await pass(connection, f, p, { proposer: f.wallets[0]!, voters: [f.wallets[0]!, f.wallets[1]!, f.wallets[2]!] });
    await viem.assertions.revertWithCustomError(guardian.timelock.write.cancel([operation]), f.timelock, "TimelockUnexpectedOperationState");
    assert.equal(await f.registry.read.versionCount([roleId("embedding")]), 1n);

    const [proposerRole, adminRole] = await Promise.all([f.timelock.read.PROPOSER_ROLE(), f.timelock.read.DEFAULT_ADMIN_ROLE()]);
    const who = addressOf(f.wallets[8]!);
    assert.equal(await f.timelock.read.hasRole([proposerRole, who]), false);
    assert.equal(await f.timelock.read.hasRole([adminRole, who]), false);
    await viem.assertions.revertWithCustomErrorWithArgs(guardian.timelock.write.grantRole([proposerRole, who]), f.timelock, "AccessControlUnauthorizedAccount", [
      who,
      adminRole,
    ]);
  });

  it("is nobody unless one is named at deployment", async () => {
    const f = await networkHelpers.loadFixture(unguarded);
    assert.equal(f.deployment.guardian, undefined);
    const canceller = await f.timelock.read.CANCELLER_ROLE();
    const granted = await f.timelock.getEvents.RoleGranted({ role: canceller }, { fromBlock: BigInt(f.deployment.startBlock) });
    assert.deepEqual(
      granted.map((log) => getAddress(log.args.account!)),
      [f.governor.address],
    );
    const { p } = await queued(f);
    const operation = await timelockOperationId(f, p);
    for (const wallet of f.wallets) {
      await viem.assertions.revertWithCustomError(f.as(wallet).timelock.write.cancel([operation]), f.timelock, "AccessControlUnauthorizedAccount");
    }
  });

  it("loses the role when a vote revokes it", async () => {
    const f = await networkHelpers.loadFixture(guarded);
    const guardian = addressOf(f.wallets[8]!);
    const canceller = await f.timelock.read.CANCELLER_ROLE();
    const revoke = proposal(
      [{ target: f.timelock.address, data: encodeFunctionData({ abi: nsTimelockAbi, functionName: "revokeRole", args: [canceller, guardian] }) }],
      "Retire the guardian",
    );
    await viem.assertions.emitWithArgs(
      pass(connection, f, revoke, { proposer: f.wallets[0]!, voters: [f.wallets[0]!, f.wallets[1]!, f.wallets[2]!] }).then((r) => r.execute.transactionHash),
      f.timelock,
      "RoleRevoked",
      [canceller, guardian, f.timelock.address],
    );
    assert.equal(await f.timelock.read.hasRole([canceller, guardian]), false);

    const { p, id } = await queued(f);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(f.wallets[8]!).timelock.write.cancel([await timelockOperationId(f, p)]),
      f.timelock,
      "AccessControlUnauthorizedAccount",
      [guardian, canceller],
    );
    await networkHelpers.time.increase(f.settings.timelockDelay);
    await f.mined(f.governor.write.execute([p.targets, p.values, p.calldatas, p.descriptionHash]));
    assert.equal(await f.governor.read.state([id]), ProposalState.Executed);
  });
});
