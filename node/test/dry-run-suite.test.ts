/**
 * The governed evaluation suite (role `evaluation`), end to end on a Hardhat chain with a real node
 * process running dry-runs: a vote adopts suite A; the next dry-run asks A's prompts, checks A's
 * properties and names A's CID in its report. A second vote adopts suite B, which requires a word
 * the demo models never write: the next dry-run checks that instead, and fails the model for it.
 * Also: the schema refuses an evaluation manifest that names a model, or has no prompts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nodeReportsAbi, type DryRunReport } from "@ns-llm/contracts";
import { unlockedWallet } from "../src/chain/index.ts";
import { proposeAdoption } from "../src/governance/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { addToNodeIpfs, adopt, generationManifest, otherDemoLlama, publishManifest, sha256Hex, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

const KEY = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a" as const; // Hardhat dev key #4

describe("the governed evaluation suite", () => {
  let chain: TestChain;
  let node: FollowNode;

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain, env: { NS_LLM_DRY_RUN: "1", NS_LLM_OPERATOR_KEY: KEY, NS_LLM_DRY_RUN_MEMORY_MB: "1024" } });
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  async function adoptSuite(name: string, evaluation: Record<string, unknown>): Promise<string> {
    const { cid, digest } = await publishManifest(node, { schema: "ns-llm.manifest/v1", role: "evaluation", name, evaluation });
    await adopt(chain, { role: "evaluation", cid, digest, name });
    await waitUntil("the suite to apply", async () => (await node.get("/api/governance")).applied?.evaluation?.cid === cid, 60_000, () => node.output.slice(-2000), 100);
    return cid;
  }

  /** Proposes (no vote) a fresh demo model and returns this node's dry-run report on it. */
  async function dryRunOfNewModel(seed: number, name: string): Promise<DryRunReport> {
    const gguf = otherDemoLlama(seed, name);
    const manifest = generationManifest({ name, sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${await addToNodeIpfs(node, gguf)}`] });
    const { cid, digest } = await publishManifest(node, manifest);
    const wallet = unlockedWallet(chain.rpcUrl, chain.accounts[0]!, await chain.publicClient.getChainId());
    const { proposalId } = await proposeAdoption({ publicClient: chain.publicClient, wallet, deployment: chain.deployment, role: "generation", cid, digest });
    const entry = await waitUntil(
      "the report on chain",
      async () => {
        const page = await chain.publicClient.readContract({ address: chain.deployment.contracts.NodeReports!.address, abi: nodeReportsAbi, functionName: "proposalReports", args: [proposalId, 0n, 1n] });
        return page[0];
      },
      240_000,
      () => node.output.split("\n").filter((l) => l.includes("dry-run")).join("\n"),
      500,
    );
    return (await node.get(`/api/manifests/${entry!.cid}`)) as DryRunReport;
  }

  it("an evaluation manifest with a model, or without prompts, is refused before any vote", async () => {
    const withModel = await node.post("/api/manifests", { schema: "ns-llm.manifest/v1", role: "evaluation", name: "bad", evaluation: { prompts: [{ prompt: "x" }] }, model: { format: "gguf", artifacts: [] } });
    assert.equal(withModel.status, 400);
    const noPrompts = await node.post("/api/manifests", { schema: "ns-llm.manifest/v1", role: "evaluation", name: "bad", evaluation: { prompts: [] } });
    assert.equal(noPrompts.status, 400);
    const stray = await node.post("/api/manifests", { schema: "ns-llm.manifest/v1", role: "parameters", name: "bad", parameters: {}, evaluation: { prompts: [{ prompt: "x" }] } });
    assert.equal(stray.status, 400, "only the evaluation role carries a suite");
  });

  it("a vote on the suite changes what the next dry-run checks", async () => {
    const suiteA = await adoptSuite("suite-a", {
      maxTokens: 12,
      prompts: [
        { prompt: "Hello, who are you?", mustNotContain: ["as an ai"], maxLatencyMs: 60_000 },
        { prompt: "Name three colors." },
      ],
    });
    const a = await dryRunOfNewModel(0x5eed_1601, "ns-llm-suite-a-model");
    assert.equal(a.verdict, "Passed", JSON.stringify(a.reason));
    assert.deepEqual(a.suite, { id: suiteA, prompts: 2, name: "suite-a" });
    assert.deepEqual(a.answers!.map((x) => x.prompt), ["Hello, who are you?", "Name three colors."]);
    assert.deepEqual(a.answers![0]!.checks!.map((c) => [c.check, c.ok]), [["answered", true], ["must_not_contain", true], ["max_latency", true]]);
    assert.ok(a.answers!.every((x) => x.tokens <= 12));

    // Suite B wants a word that is not in the demo vocabulary: no demo model can pass it.
    const suiteB = await adoptSuite("suite-b", { passRate: 1, prompts: [{ prompt: "What animal has stripes?", mustContain: ["zebra"] }] });
    const b = await dryRunOfNewModel(0x5eed_1602, "ns-llm-suite-b-model");
    assert.equal(b.verdict, "Failed");
    assert.equal(b.reason?.code, "suite_failed");
    assert.match(b.reason!.message, /must_contain/);
    assert.deepEqual(b.suite, { id: suiteB, prompts: 1, name: "suite-b" });
    assert.deepEqual(b.answers![0]!.checks!.map((c) => [c.check, c.ok, c.detail]), [["answered", true, undefined], ["must_contain", false, "zebra"]]);
    if (process.env.NS_LLM_PRINT_EXAMPLES) console.log(JSON.stringify(b, null, 2));
  });
});
