/**
 * NodeReports: nodes record dry-run reports against a live proposal and canary outcomes against an
 * adoption; a dApp lists every node's latest report from storage (count, at, of, pages) and the
 * whole history from events; bad input is refused and stores nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { parseEventLogs, zeroHash } from "viem";
import { nodeReportsAbi, roleId } from "@ns-llm/contracts";
import { addressOf, deployNsLlm, type DeployNsLlmReturnType, type Wallet } from "../helpers/contracts/fixture.ts";
import { adoptProposal, fakeManifest, pass, propose, ProposalState } from "../helpers/contracts/governance.ts";
import { fakeReport, Verdict } from "../helpers/contracts/reports.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deployed() {
  return deployNsLlm(connection);
}

/** A proposal to adopt a new generation model, just submitted (Pending). */
async function proposed(f: DeployNsLlmReturnType, label = "reports") {
  const { cid, digest } = fakeManifest(label);
  const { id } = await propose(f, f.wallets[0]!, adoptProposal(f.registry.address, "generation", cid, digest));
  return id;
}

/** Two node operators that hold no tokens: reporting needs no stake. */
const nodesOf = (f: DeployNsLlmReturnType): [Wallet, Wallet] => [f.wallets[7]!, f.wallets[8]!];

async function timeOf(f: DeployNsLlmReturnType, hash: `0x${string}`): Promise<bigint> {
  const receipt = await f.mined(hash);
  return (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
}

describe("NodeReports", () => {
  it("is wired to the deployment's governor and registry", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    assert.equal(await f.reports.read.governor(), f.governor.address);
    assert.equal(await f.reports.read.registry(), f.registry.address);
    assert.equal(await f.reports.read.MAX_CID_LENGTH(), 128n);
  });

  it("records each node's dry-run of a proposal; a dApp lists them from storage and from events", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const id = await proposed(f);
    assert.equal(await f.governor.read.state([id]), ProposalState.Pending);
    const [alpha, beta] = nodesOf(f);
    const a = fakeReport("alpha-dry-run");
    const b = fakeReport("beta-dry-run");

    const hashA = await f.as(alpha).reports.write.reportProposal([id, Verdict.Passed, a.cid, a.digest]);
    await viem.assertions.emitWithArgs(hashA, f.reports, "ProposalReported", [id, addressOf(alpha), 1, Verdict.Passed, a.cid, a.digest]);
    const hashB = await f.as(beta).reports.write.reportProposal([id, Verdict.Failed, b.cid, b.digest]);
    const [timeA, timeB] = [await timeOf(f, hashA), await timeOf(f, hashB)];

    const expectedA = { node: addressOf(alpha), verdict: Verdict.Passed, revision: 1, reportedAt: Number(timeA), digest: a.digest, cid: a.cid };
    const expectedB = { node: addressOf(beta), verdict: Verdict.Failed, revision: 1, reportedAt: Number(timeB), digest: b.digest, cid: b.cid };
    assert.equal(await f.reports.read.proposalReportCount([id]), 2n);
    assert.deepEqual(await f.reports.read.proposalReportAt([id, 0n]), expectedA);
    assert.deepEqual(await f.reports.read.proposalReportAt([id, 1n]), expectedB);
    assert.deepEqual(await f.reports.read.proposalReportOf([id, addressOf(beta)]), expectedB);
    assert.deepEqual(await f.reports.read.proposalReports([id, 0n, 10n]), [expectedA, expectedB]);
    assert.deepEqual(await f.reports.read.proposalReports([id, 1n, 10n]), [expectedB]);
    assert.deepEqual(await f.reports.read.proposalReports([id, 0n, 1n]), [expectedA]);
    assert.deepEqual(await f.reports.read.proposalReports([id, 2n, 10n]), []);
    assert.deepEqual(await f.reports.read.proposalReports([id, 2n ** 256n - 1n, 2n ** 256n - 1n]), []);

    // Without an indexer: the proposal id is an indexed topic.
    const events = await f.reports.getEvents.ProposalReported({ proposalId: id }, { fromBlock: BigInt(f.deployment.startBlock) });
    assert.deepEqual(
      events.map((e) => [e.args.node, e.args.verdict, e.args.cid, e.args.digest]),
      [
        [addressOf(alpha), Verdict.Passed, a.cid, a.digest],
        [addressOf(beta), Verdict.Failed, b.cid, b.digest],
      ],
    );
    // The reports of one proposal never show up under another.
    const other = await proposed(f, "another");
    assert.equal(await f.reports.read.proposalReportCount([other]), 0n);
    assert.equal((await f.reports.getEvents.ProposalReported({ proposalId: other }, { fromBlock: 0n })).length, 0);
  });

  it("replaces a node's report with its next one, counting revisions, keeping its place, and leaving the history in the events", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const id = await proposed(f);
    const [alpha, beta] = nodesOf(f);
    const refused = fakeReport("alpha-refused");
    const passed = fakeReport("alpha-passed");
    await f.mined(f.as(alpha).reports.write.reportProposal([id, Verdict.Refused, refused.cid, refused.digest]));
    await f.mined(f.as(beta).reports.write.reportProposal([id, Verdict.Passed, fakeReport("beta").cid, fakeReport("beta").digest]));
    await viem.assertions.emitWithArgs(
      f.as(alpha).reports.write.reportProposal([id, Verdict.Passed, passed.cid, passed.digest]),
      f.reports,
      "ProposalReported",
      [id, addressOf(alpha), 2, Verdict.Passed, passed.cid, passed.digest],
    );

    assert.equal(await f.reports.read.proposalReportCount([id]), 2n, "one entry per node");
    const latest = await f.reports.read.proposalReportAt([id, 0n]);
    assert.equal(latest.node, addressOf(alpha));
    assert.equal(latest.revision, 2);
    assert.equal(latest.verdict, Verdict.Passed);
    assert.equal(latest.cid, passed.cid);
    assert.equal(latest.digest, passed.digest);
    assert.equal((await f.reports.read.proposalReportAt([id, 1n])).node, addressOf(beta));

    const history = await f.reports.getEvents.ProposalReported({ proposalId: id, node: addressOf(alpha) }, { fromBlock: 0n });
    assert.deepEqual(
      history.map((e) => [e.args.revision, e.args.verdict, e.args.cid]),
      [
        [1, Verdict.Refused, refused.cid],
        [2, Verdict.Passed, passed.cid],
      ],
    );
  });

  it("answers verdict None and revision 0 for a node that has not reported, and refuses an index past the end", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const id = await proposed(f);
    const [alpha] = nodesOf(f);
    const none = await f.reports.read.proposalReportOf([id, addressOf(alpha)]);
    assert.equal(none.verdict, Verdict.None);
    assert.equal(none.revision, 0);
    assert.equal(none.cid, "");
    await viem.assertions.revertWithCustomErrorWithArgs(f.reports.read.proposalReportAt([id, 0n]), f.reports, "NodeReportsIndexOutOfRange", [0n, 0n]);
    const r = fakeReport("only");
    await f.mined(f.as(alpha).reports.write.reportProposal([id, Verdict.Passed, r.cid, r.digest]));
    await viem.assertions.revertWithCustomErrorWithArgs(f.reports.read.proposalReportAt([id, 1n]), f.reports, "NodeReportsIndexOutOfRange", [1n, 1n]);
  });

  it("refuses an unknown proposal, a missing verdict, an empty or overlong CID and a zero digest, storing nothing", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const id = await proposed(f);
    const node = f.as(nodesOf(f)[0]).reports;
    const { cid, digest } = fakeReport("bad");
    await viem.assertions.revertWithCustomErrorWithArgs(node.write.reportProposal([id + 1n, Verdict.Passed, cid, digest]), f.reports, "NodeReportsUnknownProposal", [id + 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(node.write.reportProposal([0n, Verdict.Passed, cid, digest]), f.reports, "NodeReportsUnknownProposal", [0n]);
    await viem.assertions.revertWithCustomError(node.write.reportProposal([id, Verdict.None, cid, digest]), f.reports, "NodeReportsMissingVerdict");
    await viem.assertions.revertWithCustomError(node.write.reportProposal([id, Verdict.Passed, "", digest]), f.reports, "NodeReportsEmptyCid");
    await viem.assertions.revertWithCustomErrorWithArgs(node.write.reportProposal([id, Verdict.Passed, "b".repeat(129), digest]), f.reports, "NodeReportsCidTooLong", [129n]);
    await viem.assertions.revertWithCustomError(node.write.reportProposal([id, Verdict.Passed, cid, zeroHash]), f.reports, "NodeReportsEmptyDigest");
    // A verdict past the enum's last (the ABI carries a uint8) does not even decode.
    await viem.assertions.revert(node.write.reportProposal([id, 4, cid, digest]));
    assert.equal(await f.reports.read.proposalReportCount([id]), 0n);
    // The longest CID allowed is stored whole.
    const longest = `b${"a".repeat(127)}`;
    await f.mined(node.write.reportProposal([id, Verdict.Passed, longest, digest]));
    assert.equal((await f.reports.read.proposalReportAt([id, 0n])).cid, longest);
  });

  it("records canary outcomes against an adopted version, apart from proposal reports, and refuses versions never adopted", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const generation = roleId("generation");
    const [alpha, beta] = nodesOf(f);
    const rollback = fakeReport("alpha-rollback");
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.as(alpha).reports.write.reportAdoption([generation, 1n, Verdict.Failed, rollback.cid, rollback.digest]),
      f.reports,
      "NodeReportsUnknownAdoption",
      [generation, 1n],
    );

    const m = fakeManifest("canary-v1");
    const passed = await pass(connection, f, adoptProposal(f.registry.address, "generation", m.cid, m.digest), {
      proposer: f.wallets[0]!,
      voters: [f.wallets[0]!, f.wallets[1]!, f.wallets[2]!],
    });
    assert.equal(await f.registry.read.versionCount([generation]), 1n);

    await viem.assertions.emitWithArgs(
      f.as(alpha).reports.write.reportAdoption([generation, 1n, Verdict.Failed, rollback.cid, rollback.digest]),
      f.reports,
      "AdoptionReported",
      [generation, 1n, addressOf(alpha), 1, Verdict.Failed, rollback.cid, rollback.digest],
    );
    const completed = fakeReport("beta-completed");
    const receipt = await f.mined(f.as(beta).reports.write.reportAdoption([generation, 1n, Verdict.Passed, completed.cid, completed.digest]));
    const [event] = parseEventLogs({ abi: nodeReportsAbi, logs: receipt.logs, eventName: "AdoptionReported" });
    assert.equal(event!.args.node, addressOf(beta));

    assert.equal(await f.reports.read.adoptionReportCount([generation, 1n]), 2n);
    assert.equal((await f.reports.read.adoptionReportAt([generation, 1n, 0n])).verdict, Verdict.Failed);
    assert.equal((await f.reports.read.adoptionReportOf([generation, 1n, addressOf(beta)])).cid, completed.cid);
    assert.deepEqual(
      (await f.reports.read.adoptionReports([generation, 1n, 0n, 5n])).map((r) => r.node),
      [addressOf(alpha), addressOf(beta)],
    );
    // Another role's version 1, version 0 and version 2 were never adopted.
    for (const [role, version] of [
      [roleId("embedding"), 1n],
      [generation, 0n],
      [generation, 2n],
    ] as const) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.as(alpha).reports.write.reportAdoption([role, version, Verdict.Failed, rollback.cid, rollback.digest]),
        f.reports,
        "NodeReportsUnknownAdoption",
        [role, version],
      );
    }
    assert.equal(await f.reports.read.adoptionReportCount([generation, 2n]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(f.reports.read.adoptionReportAt([generation, 1n, 2n]), f.reports, "NodeReportsIndexOutOfRange", [2n, 2n]);

    // Proposal reports are a separate list, and a report may still come after the vote closed.
    assert.equal(await f.reports.read.proposalReportCount([passed.id]), 0n);
    const late = fakeReport("late-dry-run");
    await f.mined(f.as(alpha).reports.write.reportProposal([passed.id, Verdict.Passed, late.cid, late.digest]));
    assert.equal(await f.governor.read.state([passed.id]), ProposalState.Executed);
    assert.equal(await f.reports.read.proposalReportCount([passed.id]), 1n);
  });
});
