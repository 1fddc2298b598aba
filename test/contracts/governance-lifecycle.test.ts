/**
 * The governance loop end to end, for each role: contributors (delegated at deployment) propose
 * `ModelRegistry.adopt`, vote, queue it in the timelock, wait its delay and execute; the registry
 * then serves the new manifest and keeps every earlier one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { parseEther, parseEventLogs } from "viem";
import { modelRegistryAbi, ROLES, roleId } from "@ns-llm/contracts";
import { addressOf, deployNsLlm } from "../helpers/contracts/fixture.ts";
import {
  adoptCall,
  adoptProposal,
  closeVoting,
  fakeManifest,
  openVoting,
  pass,
  propose,
  proposal,
  ProposalState,
  vote,
} from "../helpers/contracts/governance.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deployed() {
  return deployNsLlm(connection);
}

describe("governance lifecycle", () => {
  for (const role of ROLES) {
    it(`adopts a manifest for ${role}: delegate, propose, vote, queue, wait, execute`, async () => {
      const f = await networkHelpers.loadFixture(deployed);
      const [alice, bob, carol] = f.wallets;
      const stranger = f.wallets[9]!; // holds no tokens: execution is open to anyone
      const m = fakeManifest(role);
      const p = adoptProposal(f.registry.address, role, m.cid, m.digest);

      // Delegation happened at deployment: each contributor votes with its own 1,000 NSG.
      assert.equal(await f.token.read.getVotes([alice!.account.address]), parseEther("1000"));

      const { id } = await propose(f, alice!, p);
      assert.equal(await f.governor.read.state([id]), ProposalState.Pending);
      assert.equal(await f.governor.read.proposalProposer([id]), addressOf(alice!));

      await openVoting(connection, f, id);
      assert.equal(await f.governor.read.state([id]), ProposalState.Active);
      await vote(f, id, [alice!, bob!, carol!]);
      const [against, inFavour, abstain] = await f.governor.read.proposalVotes([id]);
      assert.deepEqual([against, inFavour, abstain], [0n, parseEther("3000"), 0n]);
      assert.equal(await f.governor.read.hasVoted([id, bob!.account.address]), true);

      await closeVoting(connection, f, id);
      assert.equal(await f.governor.read.state([id]), ProposalState.Succeeded);
      await f.mined(f.as(stranger).governor.write.queue([p.targets, p.values, p.calldatas, p.descriptionHash]));
      assert.equal(await f.governor.read.state([id]), ProposalState.Queued);
      const eta = await f.governor.read.proposalEta([id]);
      assert.equal(eta, BigInt(await networkHelpers.time.latest()) + BigInt(f.settings.timelockDelay));

      // The timelock holds it for its delay.
      await viem.assertions.revertWithCustomError(
        f.as(stranger).governor.write.execute([p.targets, p.values, p.calldatas, p.descriptionHash]),
        f.timelock,
        "TimelockUnexpectedOperationState",
      );
      await networkHelpers.time.increase(f.settings.timelockDelay);

      const hash = await f.as(stranger).governor.write.execute([p.targets, p.values, p.calldatas, p.descriptionHash]);
      await viem.assertions.emitWithArgs(hash, f.registry, "ManifestAdopted", [roleId(role), 1n, m.cid, m.digest]);
      await viem.assertions.emitWithArgs(hash, f.governor, "ProposalExecuted", [id]);
      const receipt = await f.mined(hash);
      const block = await f.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      assert.equal(await f.governor.read.state([id]), ProposalState.Executed);

      assert.deepEqual(await f.registry.read.current([roleId(role)]), [1n, m.cid, m.digest, block.timestamp]);
      assert.equal(await f.registry.read.versionCount([roleId(role)]), 1n);
      for (const other of ROLES.filter((r) => r !== role)) {
        assert.deepEqual(await f.registry.read.current([roleId(other)]), [0n, "", `0x${"0".repeat(64)}`, 0n]);
      }
    });
  }

  it("keeps every role's history across two adoptions", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol] = f.wallets as [typeof f.deployer, typeof f.deployer, typeof f.deployer];
    const versions = [1n, 2n] as const;
    const manifests = ROLES.map((role) => versions.map((v) => fakeManifest(`${role}-v${v}`)));
    const executedAt: bigint[] = [];

    for (const [i, v] of versions.entries()) {
      // One proposal adopts all three roles at once.
      const p = proposal(
        ROLES.map((role, r) => adoptCall(f.registry.address, role, manifests[r]![i]!.cid, manifests[r]![i]!.digest)),
        `Release ${v}`,
      );
      const { execute } = await pass(connection, f, p, { proposer: bob, voters: [alice, bob, carol] });
      const events = parseEventLogs({ abi: modelRegistryAbi, logs: execute.logs, eventName: "ManifestAdopted" });
      assert.deepEqual(
        events.map((e) => e.args),
        ROLES.map((role, r) => ({ role: roleId(role), version: v, cid: manifests[r]![i]!.cid, digest: manifests[r]![i]!.digest })),
      );
      executedAt.push((await f.publicClient.getBlock({ blockNumber: execute.blockNumber })).timestamp);
    }

    for (const [r, role] of ROLES.entries()) {
      const id = roleId(role);
      assert.equal(await f.registry.read.versionCount([id]), 2n);
      const latest = manifests[r]![1]!;
      assert.deepEqual(await f.registry.read.current([id]), [2n, latest.cid, latest.digest, executedAt[1]]);
      for (const [i, v] of versions.entries()) {
        const m = manifests[r]![i]!;
        assert.deepEqual(await f.registry.read.adoptionOf([id, v]), [m.cid, m.digest, executedAt[i]]);
      }
      await viem.assertions.revertWithCustomErrorWithArgs(f.registry.read.adoptionOf([id, 3n]), f.registry, "ModelRegistryNoSuchVersion", [id, 3n]);
      await viem.assertions.revertWithCustomErrorWithArgs(f.registry.read.adoptionOf([id, 0n]), f.registry, "ModelRegistryNoSuchVersion", [id, 0n]);
    }
  });

  it("lets the registry's custom errors surface through the governor and the timelock", async () => {
    // A passed proposal with an empty manifest fails at execution, with the registry's own error.
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob] = f.wallets;
    const p = adoptProposal(f.registry.address, "generation", "", fakeManifest("empty").digest);
    const { id } = await propose(f, alice!, p);
    await openVoting(connection, f, id);
    await vote(f, id, [alice!, bob!]);
    await closeVoting(connection, f, id);
    await f.mined(f.governor.write.queue([p.targets, p.values, p.calldatas, p.descriptionHash]));
    await networkHelpers.time.increase(f.settings.timelockDelay);
    await viem.assertions.revertWithCustomError(
      f.governor.write.execute([p.targets, p.values, p.calldatas, p.descriptionHash]),
      f.registry,
      "ModelRegistryEmptyManifest",
    );
    assert.equal(await f.governor.read.state([id]), ProposalState.Queued);
    assert.equal(await f.registry.read.versionCount([roleId("generation")]), 0n);
  });
});
