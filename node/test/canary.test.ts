/**
 * Canary swaps on a real Hardhat chain (issue 16), with a real node (llama.cpp, Helia, node:sqlite)
 * and real broken models the test writes itself (no mock anywhere):
 *
 * - "degenerate": a demo llama that loads and passes the smoke test but repeats one word forever,
 *   so the governed coherence layer refuses its answers;
 * - "short context": a demo llama whose file says its context holds 16 tokens: it answers "Hello"
 *   (the smoke test) but fails every real prompt;
 * - "good": another demo llama (other weights).
 *
 * Vote 1 (share 0.5, 4 requests, 600 s, refusals +25% at most): both broken models are rolled back
 * with zero failed client requests (every answer of the canary period comes from the old model
 * or, for its share, from a healthy new one), audited, counted in /metrics, shown in /health and
 * reported Failed on chain with `NodeReports.reportAdoption`; neither is tried again until a new
 * adoption. The good one completes the swap after its 4 requests (not after 600 s), reported Passed.
 * Vote 2 (share 1, 3 s, 1000 requests, error and refusal tolerances 1): a new adoption of the same
 * short-context model gets every request, ends by time, and completes: the votes changed the verdict.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { nodeReportsAbi, REPORT_VERDICTS, roleId, type AdoptionReport, type CanaryRun, type HealthReport, type ManifestParameters } from "@ns-llm/contracts";
import { encodeDemoLlama } from "../src/demo/index.ts";
import { json, metricValue, readSse, startTestNode, type TestNode } from "./helpers/api-node.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { adopt, generationManifest, sha256Hex } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

// Hardhat's well-known dev key #3 (never use it on a real network): the node's operator, apart
// from account #0 that proposes and votes, so that their transactions never race for a nonce.
const OPERATOR_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6" as const;
const OPERATOR = privateKeyToAccount(OPERATOR_KEY).address;

let chain: TestChain;
let node: TestNode;
let parametersVersion = 0;

before(async () => {
  chain = await startTestChain();
  node = await startTestNode({ chain: true, sequences: 2 }, { NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_OPERATOR_KEY: OPERATOR_KEY });
});

after(async () => {
  await node?.stop();
  await chain?.stop();
});

const health = () => node.health();

async function vote(parameters: ManifestParameters): Promise<void> {
  const name = `ns-llm-test-canary-${++parametersVersion}`;
  const published = await fetch(`${node.url}/api/manifests`, json({ schema: "ns-llm.manifest/v1", role: "parameters", name, parameters }));
  assert.equal(published.status, 200, await published.clone().text());
  const { cid, digest } = (await published.json()) as { cid: string; digest: `0x${string}` };
  await adopt(chain, { role: "parameters", cid, digest, name });
  await waitUntil("the parameters to apply", async () => node.governed.source?.cid === cid, 30_000, undefined, 20);
}

/** Publishes `gguf` and its manifest on the node's IPFS and adopts it through the governor. */
async function adoptModel(name: string, gguf: Uint8Array, proposal = name): Promise<{ cid: string; since: number }> {
  const since = Date.now() - 1000;
  const added = await fetch(`${node.url}/api/ipfs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.from(gguf) });
  assert.equal(added.status, 200);
  const artifact = ((await added.json()) as { cid: string }).cid;
  const manifest = generationManifest({ name, sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${artifact}`] });
  const published = await fetch(`${node.url}/api/manifests`, json(manifest));
  assert.equal(published.status, 200, await published.clone().text());
  const { cid, digest } = (await published.json()) as { cid: string; digest: `0x${string}` };
  // The proposal's description names it: a second proposal of one manifest needs another.
  await adopt(chain, { role: "generation", cid, digest, name: proposal });
  return { cid, since };
}

type Answer = { status: number; code?: string; source: string; model: string; manifest: string | null; finishReason: string; text: string };

/** One generation request, streamed or not, as the client sees it. */
async function ask(i: number): Promise<Answer> {
  const stream = i % 2 === 1;
  // Long enough for the coherence layer (12 words) and for no 16-token context.
  const body = { prompt: `Tell me about the sea, the boats and the people who live by the water, number ${i}`, maxTokens: 24, temperature: 0, seed: i, stream };
  const response = await fetch(`${node.url}/generate`, json(body));
  if (!stream) {
    const b = (await response.json()) as Record<string, any>;
    return { status: response.status, code: b.error?.code, source: b.source, model: b.model, manifest: b.manifest, finishReason: b.finishReason, text: b.text };
  }
  if (!response.ok) return { status: response.status, code: ((await response.json()) as any).error?.code, source: "", model: "", manifest: null, finishReason: "none", text: "" };
  const events = (await readSse(response)) as Array<Record<string, any>>;
  const done = events.find((e) => e.done) ?? {};
  return { status: response.status, source: done.source, model: done.model, manifest: done.manifest, finishReason: done.finishReason ?? "none", text: events.map((e) => e.token ?? "").join("") };
}

/**
 * Waits for the canary of `cid` to start, then sends requests until it ends; returns every answer
 * the clients got during it and the canary as it ended.
 */
async function trafficThrough(cid: string, since: number): Promise<{ answers: Answer[]; run: CanaryRun }> {
  const started = () => {
    const run = health().canary?.generation;
    return run?.cid === cid && Date.parse(run.startedAt) >= since;
  };
  await waitUntil("the canary to start", async () => started(), 60_000, () => JSON.stringify(health().governance), 20);
  const answers: Answer[] = [];
  for (let i = 0; health().canary!.generation!.state === "running"; i++) {
    assert.ok(i < 200, "the canary ends");
    answers.push(await ask(i));
  }
  await waitUntil("the follower to settle", async () => !node.following!.state().applying.generation, 30_000, undefined, 20);
  return { answers, run: health().canary!.generation! };
}

/** Waits for the run's report on chain; checks it against its bytes on IPFS and returns it. */
async function onChainReport(run: CanaryRun): Promise<{ verdict: string; report: AdoptionReport; gasUsed: string }> {
  await waitUntil("the adoption report", async () => health().canary?.generation?.report !== undefined, 60_000, undefined, 50);
  const recorded = health().canary!.generation!.report!;
  assert.ok("cid" in recorded, JSON.stringify(recorded));
  const onChain = await chain.publicClient.readContract({
    address: chain.deployment.contracts.NodeReports!.address,
    abi: nodeReportsAbi,
    functionName: "adoptionReportOf",
    args: [roleId("generation"), BigInt(run.version!), OPERATOR],
  });
  assert.equal(onChain.cid, recorded.cid);
  assert.equal(onChain.digest, recorded.digest);
  const bytes = new Uint8Array(await (await fetch(`${node.url}/api/manifests/${onChain.cid}`)).arrayBuffer());
  assert.equal(`0x${createHash("sha256").update(bytes).digest("hex")}`, onChain.digest, "the report's bytes match the digest on chain");
  const report = JSON.parse(new TextDecoder().decode(bytes)) as AdoptionReport;
  assert.equal(REPORT_VERDICTS[onChain.verdict], report.verdict, "the verdict on chain is the report's");
  assert.deepEqual(report.adoption, { role: "generation", version: run.version, cid: run.cid, digest: run.digest, name: run.name });
  return { verdict: report.verdict, report, gasUsed: recorded.gasUsed };
}

async function auditSteps(cid: string): Promise<Array<Record<string, any>>> {
  // The last 1000 entries: every answer is audited too.
  const { total } = (await (await fetch(`${node.url}/api/audit?limit=1`)).json()) as { total: number };
  const page = (await (await fetch(`${node.url}/api/audit?from=${Math.max(0, total - 1000)}&limit=1000`)).json()) as { entries: Array<Record<string, any>> };
  return page.entries.filter((e) => e.type === "governance" && e.cid === cid);
}

const metrics = async () => (await fetch(`${node.url}/metrics`)).text();

describe("canary swaps", { concurrency: false }, () => {
  let original: { model: string; cid: string | null };
  const gas: string[] = [];

  after(() => {
    if (gas.length) console.log(`# reportAdoption gas: ${gas.join(", ")}`);
  });

  it("vote 1: a share of 0.5 for 4 requests, refusals at most 25% worse; coherence checked", async () => {
    await vote({ canary: { share: 0.5, minRequests: 4, durationSec: 600, maxRefusalRateDelta: 0.25 }, validation: { minCoherence: 0.2 } });
    const h = health();
    original = { model: h.generation.model!, cid: h.generation.manifest };
    assert.ok(original.cid, "the genesis model serves");
  });

  for (const broken of [
    { name: "ns-llm-canary-degenerate", bytes: () => encodeDemoLlama({ seed: 0x16_0001, name: "degenerate", loopWord: "vote" }), reason: /validation refusal rate 100%/ },
    { name: "ns-llm-canary-short-context", bytes: () => encodeDemoLlama({ seed: 0x16_0002, name: "short", contextLength: 16 }), reason: /error rate 100%/ },
  ]) {
    it(`${broken.name}: rolled back with zero failed client requests, audited, reported Failed on chain, not retried`, async () => {
      const { cid, since } = await adoptModel(broken.name, broken.bytes());
      const { answers, run } = await trafficThrough(cid, since);

      // Every client got a good answer from the model that was serving.
      assert.ok(answers.length >= 8, `${answers.length} requests`);
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.equal(a.source, "llm");
        assert.equal(a.manifest, original.cid, "answered by the current model");
        assert.equal(a.finishReason, "length", `not refused, not failed: ${a.text}`);
        assert.doesNotMatch(a.text, /vote vote vote/);
      }
      assert.equal(run.state, "rolled_back");
      assert.match(run.reasons.join("; "), broken.reason);
      assert.equal(run.candidate.requests, 4, "minRequests ended it");
      assert.equal(run.retried, 4, "each failure on the new model was answered again by the current one");
      assert.deepEqual(run.settings, { share: 0.5, durationSec: 600, minRequests: 4, maxErrorRateDelta: 0, maxLatencyRatio: 2, maxRefusalRateDelta: 0.25 });

      // /health: the old model serves; the adoption is refused for good with the canary's reason.
      const h = health();
      assert.equal(h.generation.manifest, original.cid);
      const error = (h.governance as { errors?: Record<string, { code: string; cid: string; retrying: boolean }> }).errors?.generation;
      assert.equal(error?.code, "canary_rolled_back");
      assert.equal(error?.cid, cid);
      assert.equal(error?.retrying, false);

      // The audit log: started, rolled back, refused, reported.
      const { verdict, report, gasUsed } = await onChainReport(run);
      gas.push(gasUsed);
      assert.equal(verdict, "Failed");
      assert.equal(report.outcome, "rolled_back");
      assert.equal(report.candidate.requests, 4);
      const steps = (await auditSteps(cid)).map((e) => (e.step === "refused" ? `refused:${e.code}` : e.step));
      for (const step of ["canary-started", "canary-rolled-back", "refused:canary_rolled_back", "canary-reported"]) assert.ok(steps.includes(step), `${step} in ${steps}`);

      // Not tried again: the follower syncs, nothing starts, the old model keeps every request.
      await node.following!.follower!.synced();
      assert.equal(health().canary!.generation!.cid, cid);
      assert.equal(health().canary!.generation!.state, "rolled_back");
      assert.equal((await ask(100)).manifest, original.cid);
      if (process.env.NS_LLM_PRINT_EXAMPLES) console.log(JSON.stringify({ canary: health().canary, report }, null, 2));
    });
  }

  it("the rollbacks are in /metrics", async () => {
    const text = await metrics();
    assert.equal(metricValue(text, 'ns_llm_canary_outcomes_total{role="generation",outcome="rolled_back"}'), 2);
    assert.equal(metricValue(text, "ns_llm_canary_retries_total"), 8);
    assert.equal(metricValue(text, 'ns_llm_canary_requests_total{model="candidate",outcome="refused"}'), 4);
    assert.equal(metricValue(text, 'ns_llm_canary_requests_total{model="candidate",outcome="error"}'), 4);
    assert.equal(metricValue(text, "ns_llm_canary_running"), 0);
  });

  it("a good model completes the swap after its 4 requests, audited and reported Passed", async () => {
    const started = Date.now();
    const { cid, since } = await adoptModel("ns-llm-canary-good", encodeDemoLlama({ seed: 0x16_0003, name: "good" }));
    const { answers, run } = await trafficThrough(cid, since);
    assert.ok(Date.now() - started < 600_000);
    assert.equal(run.state, "completed", run.reasons.join("; "));
    assert.equal(run.candidate.requests, 4);
    assert.equal(run.retried, 0);
    for (const a of answers) assert.equal(a.status, 200);
    assert.equal(answers.filter((a) => a.manifest === cid).length, 4, "the new model answered its share, as answers of their own");
    assert.equal(health().generation.manifest, cid, "the new model serves");
    assert.equal((await ask(200)).manifest, cid);
    const { verdict, gasUsed } = await onChainReport(run);
    gas.push(gasUsed);
    assert.equal(verdict, "Passed");
    const steps = (await auditSteps(cid)).map((e) => e.step);
    for (const step of ["canary-started", "canary-completed", "applied", "canary-reported"]) assert.ok(steps.includes(step), `${step} in ${steps}`);
    console.log(`# canary completed: candidate p50 ${run.candidate.p50Ms} ms over ${run.candidate.requests} requests, current p50 ${run.current.p50Ms} ms over ${run.current.requests}`);
  });

  it("vote 2 (share 1, 3 s, tolerances 1): a new adoption of the short-context model gets every request, ends by time and completes", async () => {
    await vote({ canary: { share: 1, durationSec: 3, minRequests: 1000, maxErrorRateDelta: 1, maxRefusalRateDelta: 1 }, validation: { minCoherence: 0.2 } });
    const serving = health().generation.manifest;
    const { cid, since } = await adoptModel("ns-llm-canary-short-context", encodeDemoLlama({ seed: 0x16_0002, name: "short", contextLength: 16 }), "ns-llm-canary-short-context, again");
    const { answers: all, run } = await trafficThrough(cid, since);
    // A canary that ends by time can end, and its model take over, while the last request is on its
    // way: the new model's 16 tokens of context then refuse the prompt, as they would any other time.
    const last = all.at(-1)!;
    const answers = last.status === 400 && last.code === "prompt_too_long" ? all.slice(0, -1) : all;
    assert.equal(run.state, "completed", run.reasons.join("; "));
    assert.ok(run.candidate.requests > 0 && run.candidate.requests < 1000, "ended by durationSec, not minRequests");
    assert.equal(run.candidate.errors, run.candidate.requests, "every request went to the new model, and failed there");
    assert.equal(run.current.requests, run.retried, "the current model answered only the retries");
    for (const a of answers) {
      assert.equal(a.status, 200, "still no failed request");
      assert.equal(a.manifest, serving);
    }
    assert.equal(health().generation.manifest, cid, "the tolerances of vote 2 let it through");
    assert.equal((await onChainReport(run)).verdict, "Passed");
  });
});
