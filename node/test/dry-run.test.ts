/**
 * Proposal dry-runs, end to end: a real Hardhat chain (NodeReports deployed with the others) and
 * two real node processes with NS_LLM_DRY_RUN=1, each signing with its own operator account.
 * Proposals to adopt a model are created (not voted); before the vote closes both nodes must have
 * evaluated each in their sandbox, published a JSON report on IPFS and recorded its CID, digest
 * and verdict on chain. A good model is Passed by both, with figures; a corrupt model (its bytes
 * match the manifest, but it is not a GGUF) and an embedding model whose vectors do not have the
 * dimensions its manifest declares (it loads, then fails the suite) are Failed by both.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { nodeReportsAbi, nsGovernorAbi, PROPOSAL_STATES, REPORT_VERDICTS, type DryRunReport, type DryRunStatus } from "@ns-llm/contracts";
import { unlockedWallet } from "../src/chain/index.ts";
import { proposeAdoption } from "../src/governance/index.ts";
import { DEV_KEYS, startTestChain, type TestChain } from "./helpers/chain.ts";
import { addToNodeIpfs, generationManifest, otherDemoLlama, publishManifest, publishRawManifest, sha256Hex, spawnFollowNode, type FollowNode, type Health } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

// Two operators: dev accounts 1 and 2.
const KEYS = [DEV_KEYS[1], DEV_KEYS[2]] as const;

type OnChainReport = { node: string; verdict: number; revision: number; reportedAt: number; digest: `0x${string}`; cid: string };

describe("proposal dry-runs on two nodes", () => {
  let chain: TestChain;
  let nodes: FollowNode[] = [];

  before(async () => {
    chain = await startTestChain();
    // One after the other: two llama.cpp start-ups at once on 2 shared cores only slow both.
    for (const key of KEYS) nodes.push(await spawnFollowNode({ chain, env: { NS_LLM_DRY_RUN: "1", NS_LLM_OPERATOR_KEY: key, NS_LLM_DRY_RUN_MEMORY_MB: "1024" } }));
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    await chain?.stop();
  });

  /** Publishes `bytes` and `manifest` on every node's IPFS (embedded IPFS is offline: each node reads its own). */
  async function publishEverywhere(artifacts: Uint8Array[], manifest: unknown, raw = false): Promise<{ cid: string; digest: `0x${string}` }> {
    let published: { cid: string; digest: `0x${string}` } | undefined;
    for (const node of nodes) {
      for (const bytes of artifacts) await addToNodeIpfs(node, bytes);
      const p = raw ? await publishRawManifest(node, manifest) : await publishManifest(node, manifest);
      if (published) assert.equal(p.cid, published.cid, "every node computes the same CID");
      published = { cid: p.cid, digest: p.digest };
    }
    return published!;
  }

  async function propose(role: "generation" | "embedding", cid: string, digest: `0x${string}`): Promise<bigint> {
    const wallet = unlockedWallet(chain.rpcUrl, chain.accounts[0]!, await chain.publicClient.getChainId());
    const { proposalId } = await proposeAdoption({ publicClient: chain.publicClient, wallet, deployment: chain.deployment, role, cid, digest });
    return proposalId;
  }

  const nodeReports = () => ({ address: chain.deployment.contracts.NodeReports!.address, abi: nodeReportsAbi }) as const;
  const governor = () => ({ address: chain.deployment.contracts.NSGovernor.address, abi: nsGovernorAbi }) as const;

  /** Waits for both nodes' reports on `proposalId`; checks each against its node's IPFS copy and returns them. */
  async function reportsOn(proposalId: bigint): Promise<Array<{ onChain: OnChainReport; report: DryRunReport }>> {
    const onChain = (await waitUntil(
      "both nodes' reports on chain",
      async () => {
        const page = (await chain.publicClient.readContract({ ...nodeReports(), functionName: "proposalReports", args: [proposalId, 0n, 10n] })) as OnChainReport[];
        return page.length >= 2 ? page : undefined;
      },
      240_000,
      () => nodes.map((n) => n.output.split("\n").filter((l) => l.includes("dry-run")).join("\n")).join("\n---\n"),
      500,
    ))!;
    // Still open: the reports came while contributors can vote.
    const state = PROPOSAL_STATES[await chain.publicClient.readContract({ ...governor(), functionName: "state", args: [proposalId] })];
    assert.ok(state === "Pending" || state === "Active", `the vote is still open (${state})`);
    const deadline = await chain.publicClient.readContract({ ...governor(), functionName: "proposalDeadline", args: [proposalId] });
    const out = [];
    for (const entry of onChain) {
      assert.ok(BigInt(entry.reportedAt) <= deadline, "reported before the voting period ends");
      const node = nodes.find((n) => n.output.includes(`reporting as ${entry.node}`));
      assert.ok(node, `the report of ${entry.node} comes from one of the two nodes`);
      const response = await fetch(`${node.url}/api/manifests/${entry.cid}`);
      assert.equal(response.status, 200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      assert.equal(`0x${createHash("sha256").update(bytes).digest("hex")}`, entry.digest, "the report's bytes match the digest on chain");
      const report = JSON.parse(new TextDecoder().decode(bytes)) as DryRunReport;
      assert.equal(report.proposalId, proposalId.toString());
      assert.equal(report.node, entry.node);
      assert.equal(REPORT_VERDICTS[entry.verdict], report.verdict, "the verdict on chain is the report's");
      out.push({ onChain: entry, report });
    }
    assert.equal(new Set(out.map((r) => r.onChain.node.toLowerCase())).size, 2, "two distinct operators reported");
    return out;
  }

  it("both nodes pass a good model with figures, before the vote closes", async () => {
    const gguf = otherDemoLlama(0x5eed_0016, "ns-llm-dry-run-good");
    const manifest = generationManifest({ name: "ns-llm-dry-run-good", sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${await addToNodeIpfs(nodes[0]!, gguf)}`] });
    const { cid, digest } = await publishEverywhere([gguf], manifest);
    const proposalId = await propose("generation", cid, digest);
    const reports = await reportsOn(proposalId);
    for (const { report } of reports) {
      assert.equal(report.verdict, "Passed", JSON.stringify(report.reason));
      assert.deepEqual(report.proposal, { role: "generation", cid, digest, name: "ns-llm-dry-run-good" });
      assert.equal(report.answers?.length, report.suite.prompts);
      assert.ok(report.answers!.every((a) => a.ok && a.tokens > 0 && a.text.trim() !== ""));
      assert.ok(report.figures!.tokensPerSecond! > 0 && report.figures!.loadMs > 0 && report.figures!.peakRssBytes > 0);
      assert.equal(report.figures!.passRate, 1);
      console.log(`${report.node}: load ${report.figures!.loadMs} ms, ${report.figures!.tokensPerSecond} tokens/s, first token ${report.figures!.firstTokenMs} ms, peak RSS ${Math.round(report.figures!.peakRssBytes / 1024 ** 2)} MiB`);
    }
    // Each node says what it did; the gas of recording a report.
    for (const node of nodes) {
      const status = await node.get<DryRunStatus>("/api/dry-runs");
      const entry = status.proposals.find((p) => p.proposalId === proposalId.toString());
      assert.equal(entry?.state, "reported");
      assert.equal(entry?.verdict, "Passed");
      console.log(`reportProposal gas (first report of this node on this proposal): ${entry?.report?.gasUsed}`);
    }
    if (process.env.NS_LLM_PRINT_EXAMPLES) {
      console.log(JSON.stringify(reports[0]!.report, null, 2));
      console.log(JSON.stringify(await nodes[0]!.get<DryRunStatus>("/api/dry-runs"), null, 2));
      console.log(nodes[0]!.output.split("\n").filter((l) => l.includes("dry-run:")).join("\n"));
    }
    // The dry-run did not touch what the node serves.
    const health = await nodes[0]!.get<Health>("/health");
    assert.notEqual(health.generation.model, "ns-llm-dry-run-good");
  });

  it("both nodes fail a corrupt model and one that loads but fails the suite", async () => {
    // Corrupt: the manifest's digest and size are those of its bytes, which are no GGUF.
    const junk = new Uint8Array(64 * 1024).map((_, i) => (i * 31 + 7) & 0xff);
    const corrupt = generationManifest({ name: "ns-llm-dry-run-corrupt", sha256: sha256Hex(junk), size: junk.byteLength, sources: [`ipfs://${await addToNodeIpfs(nodes[0]!, junk)}`] });
    const a = await publishEverywhere([junk], corrupt);
    // Loads, then fails: the genesis embedding model under a manifest that declares other dimensions.
    const health = await nodes[0]!.get<Health>("/health");
    const genesis = await nodes[0]!.get<{ model: { dimensions: number } }>(`/api/manifests/${health.embedding.manifest}`);
    const wrongDims = { ...genesis, name: "ns-llm-dry-run-wrong-dims", model: { ...genesis.model, dimensions: genesis.model.dimensions * 2 } };
    const b = await publishEverywhere([], wrongDims);

    const [corruptId, wrongDimsId] = [await propose("generation", a.cid, a.digest), await propose("embedding", b.cid, b.digest)];
    for (const { report } of await reportsOn(corruptId)) {
      assert.equal(report.verdict, "Failed");
      assert.equal(report.reason?.code, "load_failed", report.reason?.message);
      assert.match(report.reason!.message, /GGUF/);
    }
    for (const { report } of await reportsOn(wrongDimsId)) {
      assert.equal(report.verdict, "Failed");
      assert.equal(report.reason?.code, "suite_failed", report.reason?.message);
      assert.equal(report.figures?.dimensions, genesis.model.dimensions);
      assert.equal(report.figures?.passRate, 0);
    }
  });
});
