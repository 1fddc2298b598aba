/**
 * Gas report: what each governance step, an adoption, an audit anchor and a node's report cost
 * (the receipts' gasUsed, intrinsic 21,000 included), and each contract's deployed code size and
 * deployment gas.
 * Printed as tables by the last test; the tests only check that each figure was measured and that
 * every contract fits under the EIP-170 limit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { size, type Hex } from "viem";
import { CONTRACT_NAMES, roleId, type ContractName } from "@ns-llm/contracts";
import { addressOf, deployNsLlm, type Wallet } from "../helpers/contracts/fixture.ts";
import { adoptProposal, closeVoting, fakeManifest, openVoting, pass, propose, Vote } from "../helpers/contracts/governance.ts";
import { fakeReport, Verdict } from "../helpers/contracts/reports.ts";

const connection = await network.create();
const { networkHelpers } = connection;

/** EIP-170: the most code a contract may deploy. */
const MAX_CODE_SIZE = 24_576;

type Row = { operation: string; gas: bigint; note: string };
const gasRows: Row[] = [];
const sizeRows: { contract: ContractName; bytes: number; deployGas: bigint }[] = [];

const record = (operation: string, gas: bigint, note = "") => gasRows.push({ operation, gas, note });

function table(headers: string[], rows: string[][], rightAligned: number[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (rightAligned.includes(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

async function deployed() {
  return deployNsLlm(connection);
}

describe("gas report", () => {
  it("measures a proposal's lifecycle and ModelRegistry.adopt", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alice, bob, carol, dan] = f.wallets as [Wallet, Wallet, Wallet, Wallet];

    const v1 = fakeManifest("gas-generation-v1");
    const first = await pass(connection, f, adoptProposal(f.registry.address, "generation", v1.cid, v1.digest), {
      proposer: alice,
      voters: [alice, bob, carol],
    });
    record("propose", first.propose.gasUsed, "one action: adopt(role, cid, digest)");
    record("castVote", first.votes[0]!.gasUsed, "first vote, reaches quorum (late-quorum bookkeeping)");
    record("castVote", first.votes[1]!.gasUsed, "a later vote");
    record("queue", first.queue.gasUsed, "schedules the batch in the timelock");
    record("execute", first.execute.gasUsed, "runs adopt: the role's first version");

    const v2 = fakeManifest("gas-generation-v2");
    const second = await pass(connection, f, adoptProposal(f.registry.address, "generation", v2.cid, v2.digest), {
      proposer: bob,
      voters: [alice, bob, carol],
    });
    record("execute", second.execute.gasUsed, "runs adopt: version 2 of the role");

    // A vote signed off-chain and relayed by someone else.
    const v3 = fakeManifest("gas-generation-v3");
    const p = adoptProposal(f.registry.address, "generation", v3.cid, v3.digest);
    const { id } = await propose(f, alice, p);
    await openVoting(connection, f, id);
    await f.mined(f.as(alice).governor.write.castVote([id, Vote.For]));
    const [, name, version, chainId, verifyingContract] = await f.governor.read.eip712Domain();
    const signature = await dan.signTypedData({
      account: dan.account,
      domain: { name, version, chainId, verifyingContract },
      types: {
        Ballot: [
          { name: "proposalId", type: "uint256" },
          { name: "support", type: "uint8" },
          { name: "voter", type: "address" },
          { name: "nonce", type: "uint256" },
        ],
      },
      primaryType: "Ballot",
      message: { proposalId: id, support: Vote.For, voter: addressOf(dan), nonce: await f.governor.read.nonces([addressOf(dan)]) },
    });
    const bySig = await f.mined(f.as(f.wallets[9]!).governor.write.castVoteBySig([id, Vote.For, addressOf(dan), signature]));
    record("castVoteBySig", bySig.gasUsed, "relayed EIP-712 ballot, a later vote");
    await closeVoting(connection, f, id);

    // adopt on its own, as the timelock calls it (an estimate from the timelock's address).
    const adoptGas = async (role: "generation" | "embedding", label: string) => {
      const m = fakeManifest(label);
      return f.publicClient.estimateContractGas({
        address: f.registry.address,
        abi: f.registry.abi,
        functionName: "adopt",
        args: [roleId(role), m.cid, m.digest],
        account: f.timelock.address,
      });
    };
    record("adopt (estimate)", await adoptGas("embedding", "gas-embedding-v1"), "direct call by the timelock, first version of a role");
    record("adopt (estimate)", await adoptGas("generation", "gas-generation-v3"), "direct call by the timelock, version 3 of a role");

    const delegated = await f.mined(f.as(f.wallets[6]!).token.write.delegate([addressOf(f.wallets[6]!)]));
    record("delegate", delegated.gasUsed, "NSToken.delegate to oneself, no balance");
    for (const row of gasRows) assert.ok(row.gas > 21_000n, `${row.operation} measured`);
  });

  it("measures AuditAnchor.anchor", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const node = f.as(f.wallets[3]!).anchor;
    const root = (i: number): Hex => fakeManifest(`root-${i}`).digest;
    const batches: [bigint, bigint][] = [
      [0n, 99n],
      [100n, 199n],
      [200n, 100_199n],
    ];
    const notes = ["batch 0 (entries 0..99), the node's first", "batch 1 (entries 100..199)", "batch 2 (entries 200..100,199): size does not matter"];
    for (const [i, [from, to]] of batches.entries()) {
      const receipt = await f.mined(node.write.anchor([root(i), from, to]));
      record("anchor", receipt.gasUsed, notes[i]!);
    }
    const other = await f.mined(f.as(f.wallets[4]!).anchor.write.anchor([root(9), 0n, 9n]));
    record("anchor", other.gasUsed, "batch 0 of a second node");
    assert.equal(await f.anchor.read.batchCount([addressOf(f.wallets[3]!)]), 3n);
  });

  it("measures NodeReports writes", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alpha, beta] = [f.wallets[7]!, f.wallets[8]!];
    const m = fakeManifest("gas-reports");
    const { id } = await propose(f, f.wallets[0]!, adoptProposal(f.registry.address, "generation", m.cid, m.digest));
    const report = async (wallet: Wallet, label: string, verdict: number = Verdict.Passed) => {
      const r = fakeReport(label);
      return (await f.mined(f.as(wallet).reports.write.reportProposal([id, verdict, r.cid, r.digest]))).gasUsed;
    };
    record("reportProposal", await report(alpha, "alpha-1"), "the proposal's first report (59-char CIDv1)");
    record("reportProposal", await report(beta, "beta-1", Verdict.Failed), "a second node on the same proposal");
    record("reportProposal", await report(alpha, "alpha-2", Verdict.Refused), "a node replaces its report (revision 2)");

    await pass(connection, f, adoptProposal(f.registry.address, "embedding", m.cid, m.digest), { proposer: f.wallets[0]!, voters: [f.wallets[0]!, f.wallets[1]!, f.wallets[2]!] });
    const rollback = fakeReport("rollback");
    const adoption = await f.mined(f.as(alpha).reports.write.reportAdoption([roleId("embedding"), 1n, Verdict.Failed, rollback.cid, rollback.digest]));
    record("reportAdoption", adoption.gasUsed, "a canary rollback, the adoption's first report");
    assert.equal(await f.reports.read.proposalReportCount([id]), 2n);
  });

  it("measures each contract's deployed size and deployment gas", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const creations = new Map<string, bigint>();
    const latest = await f.publicClient.getBlockNumber();
    for (let n = BigInt(f.deployment.startBlock); n <= latest; n++) {
      const block = await f.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.to !== null) continue;
        const receipt = await f.publicClient.getTransactionReceipt({ hash: tx.hash });
        creations.set(receipt.contractAddress!.toLowerCase(), receipt.gasUsed);
      }
    }
    for (const contract of CONTRACT_NAMES) {
      const { address } = f.deployment.contracts[contract];
      const code = await f.publicClient.getCode({ address });
      assert.ok(code, `${contract} has code`);
      const bytes = size(code);
      assert.ok(bytes <= MAX_CODE_SIZE, `${contract} is ${bytes} bytes, over the EIP-170 limit`);
      sizeRows.push({ contract, bytes, deployGas: creations.get(address.toLowerCase()) ?? 0n });
    }
  });

  it("prints the tables", () => {
    const fmt = (n: bigint | number) => n.toLocaleString("en-US");
    console.log(`\nGas used (DEV_SETTINGS, 5 contributors of 1,000 NSG; optimizer on, 200 runs)\n`);
    console.log(table(["operation", "gas", "note"], gasRows.map((r) => [r.operation, fmt(r.gas), r.note]), [1]));
    console.log(`\nDeployed contracts (EIP-170 limit ${fmt(MAX_CODE_SIZE)} bytes)\n`);
    console.log(
      table(
        ["contract", "runtime bytes", "% of limit", "deployment gas"],
        sizeRows.map((r) => [r.contract, fmt(r.bytes), `${((r.bytes / MAX_CODE_SIZE) * 100).toFixed(1)}%`, fmt(r.deployGas)]),
        [1, 2, 3],
      ),
    );
    console.log();
    assert.equal(sizeRows.length, CONTRACT_NAMES.length);
  });
});
