/**
 * The dry-run sandbox on its own: a model evaluated in a child process, a model over the memory
 * budget refused before anything is downloaded, a sandbox that goes over its budget while running
 * stopped (the process is gone, the caller carries on), a corrupt model Failed, and proposals read
 * for the adoption they make.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeFunctionData, type Address } from "viem";
import { modelRegistryAbi, roleId } from "@ns-llm/contracts";
import { encodeDemoLlama } from "../src/demo/index.ts";
import { adoptionOf, BUILTIN_SUITE, evaluateProposal, runSandbox } from "../src/dry-run/index.ts";
import { openModelStore } from "../src/inference/store/index.ts";
import { encodeManifest, manifestDigest, parseManifest } from "../src/manifest/index.ts";
import { generationManifest, sha256Hex } from "./helpers/follow.ts";

const MiB = 1024 ** 2;

describe("dry-run sandbox", () => {
  let dir: string;
  let model: string;
  let gguf: Uint8Array;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-sandbox-"));
    gguf = encodeDemoLlama({ seed: 0x5a4d_b0c5, name: "sandbox-test" });
    model = path.join(dir, "model.gguf");
    await writeFile(model, gguf);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const job = (modelPath: string) => ({ role: "generation" as const, modelPath, name: "sandbox-test", threads: 1, contextSize: 512, prompts: BUILTIN_SUITE.prompts, maxTokens: 8 });

  it("evaluates a model in its own process and answers every prompt", async () => {
    const outcome = await runSandbox({ job: job(model), memoryBudgetBytes: 1024 * MiB, timeoutMs: 120_000 });
    assert.equal(outcome.kind, "done");
    assert.ok(outcome.kind === "done" && outcome.result.ok);
    assert.notEqual(outcome.pid, process.pid);
    const { answers } = outcome.result as { answers: Array<{ ok: boolean; tokens: number }> };
    assert.equal(answers.length, BUILTIN_SUITE.prompts.length);
    assert.ok(answers.every((a) => a.ok && a.tokens > 0));
  });

  it("stops a sandbox that goes over its memory budget while running", async () => {
    // A Node process alone is over 30 MiB resident: the budget is crossed while it starts.
    const outcome = await runSandbox({ job: job(model), memoryBudgetBytes: 30 * MiB, timeoutMs: 120_000 });
    assert.equal(outcome.kind, "over_budget");
    assert.ok(outcome.peakRssBytes > 30 * MiB);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.throws(() => process.kill(outcome.pid!, 0), "the sandbox process is gone");
  });

  it("reports a corrupt model as a load failure", async () => {
    const junk = path.join(dir, "junk.gguf");
    await writeFile(junk, new Uint8Array(4096).fill(7));
    const outcome = await runSandbox({ job: job(junk), memoryBudgetBytes: 1024 * MiB, timeoutMs: 120_000 });
    assert.ok(outcome.kind === "done" && !outcome.result.ok && outcome.result.stage === "load");
  });

  it("refuses a model larger than the budget before downloading it", async () => {
    const home = await mkdtemp(path.join(dir, "home-"));
    const store = openModelStore(home);
    const manifest = generationManifest({ name: "too-big", sha256: sha256Hex(gguf), size: gguf.byteLength, sources: ["https://example.invalid/model.gguf"] });
    const bytes = encodeManifest(manifest as never);
    let fetched = 0;
    const report = await evaluateProposal({
      adoption: { proposalId: 42n, role: "generation", cid: "bafkreitoobig", digest: manifestDigest(bytes) },
      chainId: 31337,
      node: "0x0000000000000000000000000000000000000001",
      fetchManifest: async () => bytes,
      parseManifest: (b) => parseManifest(b),
      store,
      fetchers: {
        "https:": async () => {
          fetched++;
          throw new Error("no download expected");
        },
      },
      suite: BUILTIN_SUITE,
      memoryBudgetBytes: gguf.byteLength, // under size x 1.5
      signal: new AbortController().signal,
      software: "test",
    });
    assert.equal(report.verdict, "Refused");
    assert.equal(report.reason?.code, "over_memory_budget");
    assert.match(report.reason!.message, /dry-run budget is \d+ MiB/);
    assert.equal(report.sandbox.modelBytes, gguf.byteLength);
    assert.equal(fetched, 0, "nothing was downloaded");
    assert.deepEqual(await store.list(), []);
  });

  it("refuses a manifest whose bytes do not match the proposal's digest", async () => {
    const bytes = encodeManifest(generationManifest({ name: "m", sha256: sha256Hex(gguf), size: gguf.byteLength, sources: ["ipfs://bafkreim"] }) as never);
    const report = await evaluateProposal({
      adoption: { proposalId: 7n, role: "generation", cid: "bafkreim", digest: `0x${"00".repeat(31)}01` },
      chainId: 31337,
      node: "0x0000000000000000000000000000000000000001",
      fetchManifest: async () => bytes,
      parseManifest: (b) => parseManifest(b),
      store: openModelStore(await mkdtemp(path.join(dir, "home-"))),
      fetchers: {},
      suite: BUILTIN_SUITE,
      memoryBudgetBytes: 1024 * MiB,
      signal: new AbortController().signal,
      software: "test",
    });
    assert.deepEqual([report.verdict, report.reason?.code], ["Refused", "digest_mismatch"]);
  });

  it("reads the adoption a proposal makes on the registry, and nothing else", () => {
    const registry: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const digest = `0x${"ab".repeat(32)}` as const;
    const adopt = encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId("embedding"), "bafkreicid", digest] });
    assert.deepEqual(adoptionOf(registry, [registry], [adopt]), { role: "embedding", cid: "bafkreicid", digest });
    assert.equal(adoptionOf(registry, ["0x0000000000000000000000000000000000000002"], [adopt]), undefined, "another target");
    assert.equal(adoptionOf(registry, [registry], ["0xdeadbeef"]), undefined, "another call");
  });
});
