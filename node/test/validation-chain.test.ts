/**
 * Answer validation governed on a real Hardhat chain (issue 15), with a real node process
 * (`ns-llm serve --demo`, llama.cpp, onnxruntime):
 *
 * - a vote adopts the demo toxicity classifier (role `moderation`) and a `maxToxicity` threshold;
 * - a streamed answer whose later sentence/window is over the threshold is stopped there: the
 *   client gets exactly the units before it, none of the offending one, finish reason
 *   content_filter and the layer that refused it;
 * - a vote that raises the threshold changes the next verdict on the same request;
 * - every answer's audit entry carries its scores and verdict, and its output digest is the
 *   digest of what was sent;
 * - a rule that does not compile, or compiles too large, is refused before any vote, with the reason.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { textDigest } from "@ns-llm/contracts";
import { demoToxicityBytes, demoToxicityName } from "../src/demo/index.ts";
import { demoVocab } from "../src/demo/demo-vocab.ts";
import { createToxicityClassifier, splitUnits, type ToxicityClassifier } from "../src/validation/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { addToNodeIpfs, adopt, auditEntries, publishManifest, sha256Hex, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
import { sseReader } from "./helpers/api-node.ts";
import { waitUntil } from "./helpers/processes.ts";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

type Verdict = { verdict: string; layer?: string; toxicity: number; coherence: number | null; scorer: { kind: string; model: string }; maxToxicity: number | null };
type Done = { done: true; finishReason: string; auditSeq: number; validation: Verdict };

describe("validation governed on chain", () => {
  let chain: TestChain;
  let node: FollowNode;
  let classifier: ToxicityClassifier;
  let dir: string;
  const prompt = "Tell me about the people and the water";
  let request: { prompt: string; maxTokens: number; temperature: number; seed: number; stream: true };
  let units: string[];
  let scores: number[];
  let k: number;
  let threshold: number;

  const stream = async (): Promise<{ text: string; done: Done }> => {
    const events = sseReader(await node.post("/generate", request));
    let text = "";
    let done: Done | undefined;
    for (let e = await events.next(); e !== undefined; e = await events.next()) {
      const event = e as { token?: string } & Partial<Done>;
      if (event.token !== undefined) text += event.token;
      if (event.done) done = event as Done;
    }
    assert.ok(done, "the stream ends with its summary");
    return { text, done };
  };

  const adoptParameters = async (validation: Record<string, unknown>) => {
    const manifest = await publishManifest(node, { schema: "ns-llm.manifest/v1", role: "parameters", name: "validation-test", parameters: { validation } });
    await adopt(chain, { role: "parameters", ...manifest, name: "validation-test" });
    await waitUntil("the parameters to apply", async () => {
      const health = await node.get<{ validation: { maxToxicity: number | null } }>("/health");
      return health.validation.maxToxicity === (validation.maxToxicity ?? null);
    }, 60_000, () => node.output);
  };

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain });
    // Every later vote names only validation, so the sampling defaults from here on are the
    // node's own: vote that first (a threshold nothing reaches), or the answer searched for below
    // would be sampled under the genesis's topK/repeatPenalty and differ from the later ones.
    await adoptParameters({ maxToxicity: 1 });
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-validation-"));
    await writeFile(path.join(dir, "model.onnx"), demoToxicityBytes());
    await writeFile(path.join(dir, "vocab.txt"), demoVocab.join("\n") + "\n");
    classifier = await createToxicityClassifier({ model: path.join(dir, "model.onnx") });

    // The demo model's words are random but repeatable: find an answer whose toxicity (under the
    // demo classifier, as the node will score it) rises past every earlier unit at some later unit.
    for (let seed = 1; seed <= 12 && units === undefined; seed++) {
      const candidate = { prompt: `${prompt} ${seed}`, maxTokens: 128, temperature: 0, seed: 7, stream: true as const };
      const response = await node.post("/generate", { ...candidate, stream: false });
      const text = ((await response.json()) as { text: string }).text;
      const u = splitUnits(text);
      const s = await classifier.score(u);
      for (let i = 1; i < u.length; i++) {
        const before_ = Math.max(...s.slice(0, i));
        if (s[i]! - before_ > 0.02) {
          [request, units, scores, k, threshold] = [candidate, u, s, i, (before_ + s[i]!) / 2];
          break;
        }
      }
    }
    assert.ok(units !== undefined, "some demo answer has a unit more toxic than every unit before it");
  });

  after(async () => {
    await classifier?.dispose();
    await node?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses a rule that does not compile, or compiles too large, before any vote", async () => {
    const bad = await node.post("/api/manifests", {
      schema: "ns-llm.manifest/v1",
      role: "parameters",
      name: "bad-rules",
      parameters: {
        validation: {
          rules: [
            { id: "lookahead", kind: "regex", pattern: "secret(?=key)" },
            { id: "huge", kind: "regex", pattern: "(abcdefghijklmnopqrstuvwxyz){1000}" },
            { id: "fine", kind: "forbid", phrase: "seed phrase" },
          ],
        },
      },
    });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { code: string; problems: Array<{ pointer: string; message: string }> } };
    assert.equal(body.error.code, "manifest_invalid");
    const byPointer = Object.fromEntries(body.error.problems.map((p) => [p.pointer, p.message]));
    assert.match(byPointer["/parameters/validation/rules/0/pattern"]!, /does not compile.*\(\?=/);
    assert.match(byPointer["/parameters/validation/rules/1/pattern"]!, /compiles to \d+ instructions, more than 20000/);
    assert.equal(byPointer["/parameters/validation/rules/2/phrase"], undefined);
  });

  it("scores with the lexicon until a vote adopts the demo classifier, then with it", async () => {
    const first = await stream();
    assert.equal(first.done.validation.scorer.kind, "lexicon");
    assert.equal(first.done.validation.verdict, "pass");

    const model = demoToxicityBytes();
    const vocab = new TextEncoder().encode(demoVocab.join("\n") + "\n");
    const [modelCid, vocabCid] = [await addToNodeIpfs(node, model), await addToNodeIpfs(node, vocab)];
    const manifest = await publishManifest(node, {
      schema: "ns-llm.manifest/v1",
      role: "moderation",
      name: demoToxicityName,
      model: {
        format: "onnx",
        license: "MIT",
        artifacts: [
          { path: "model.onnx", sha256: sha256Hex(model), size: model.byteLength, sources: [`ipfs://${modelCid}`] },
          { path: "vocab.txt", sha256: sha256Hex(vocab), size: vocab.byteLength, sources: [`ipfs://${vocabCid}`] },
        ],
      },
    });
    await adopt(chain, { role: "moderation", ...manifest, name: demoToxicityName });
    await waitUntil("the classifier to serve", async () => {
      const health = await node.get<{ validation: { toxicity: { kind: string; manifest?: string } } }>("/health");
      return health.validation.toxicity.kind === "classifier" && health.validation.toxicity.manifest === manifest.cid;
    }, 60_000, () => node.output);
    const second = await stream();
    assert.deepEqual(second.done.validation.scorer, { kind: "classifier", model: demoToxicityName, manifest: manifest.cid });
    // (The demo genesis's own maxToxicity, 0.5, may already stop it: the score is that of the highest unit it examined.)
    assert.ok(scores.some((s) => Math.abs(second.done.validation.toxicity - s) < 1e-3), "the node's score is the classifier's");
  });

  it("stops a streamed answer at the unit over the voted threshold, sending nothing of it", async () => {
    await adoptParameters({ maxToxicity: threshold });
    const { text, done } = await stream();
    assert.equal(done.finishReason, "content_filter");
    assert.equal(done.validation.verdict, "refused");
    assert.equal(done.validation.layer, "toxicity");
    assert.equal(done.validation.maxToxicity, threshold);
    assert.equal(text, units.slice(0, k).join(""), "exactly the units before the offending one");
    assert.ok(!text.includes(units[k]!.trim()), "nothing of the offending unit");

    const entry = (await auditEntries(node)).find((e) => e.seq === done.auditSeq)!;
    const parameters = entry.parameters as { validation: Verdict; finishReason: string };
    assert.equal(parameters.finishReason, "content_filter");
    assert.equal(parameters.validation.verdict, "refused");
    assert.equal(parameters.validation.layer, "toxicity");
    assert.ok(parameters.validation.toxicity > threshold);
    assert.equal(entry.outputSha256, textDigest(text), "the entry's output digest is that of what was sent");
  });

  it("changes the next verdict when a vote raises the threshold", async () => {
    const raised = Math.min(1, Math.max(...scores) + 0.001);
    await adoptParameters({ maxToxicity: raised });
    const { text, done } = await stream();
    assert.notEqual(done.finishReason, "content_filter");
    assert.equal(done.validation.verdict, "pass");
    assert.ok(text.startsWith(units.slice(0, k + 1).join("")), "the unit refused before is sent now");
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /ns_llm_validation_refusals_total\{rule="toxicity"\} [1-9]/);
    assert.match(metrics, /ns_llm_validation_toxicity_bucket\{le="0.5"\} \d+/);
    assert.match(metrics, /ns_llm_validation_coherence_count \d+/);
    const entry = (await auditEntries(node)).find((e) => e.seq === done.auditSeq)!;
    assert.equal((entry.parameters as { validation: Verdict }).validation.verdict, "pass");
  });

  it("a vote on rules, on maxChars, on minChars and on minCoherence each changes the next verdict", async () => {
    const vote = async (validation: Record<string, unknown>) => {
      const manifest = await publishManifest(node, { schema: "ns-llm.manifest/v1", role: "parameters", name: "validation-layers", parameters: { validation } });
      await adopt(chain, { role: "parameters", ...manifest, name: "validation-layers" });
      await waitUntil("the vote to apply", async () => {
        const governance = await node.get<{ applied: Record<string, { cid: string } | null> }>("/api/governance");
        return governance.applied.parameters?.cid === manifest.cid;
      }, 60_000, () => node.output);
    };
    const word = units[0]!.trim().split(/\s+/)[0]!;

    await vote({ rules: [{ id: "no-first-word", kind: "forbid", phrase: word }] });
    const ruled = await stream();
    assert.equal(ruled.done.finishReason, "content_filter");
    assert.equal(ruled.done.validation.layer, "rule");
    assert.ok(!ruled.text.toLowerCase().includes(word.toLowerCase()), "nothing of the unit holding the forbidden phrase");

    await vote({ maxChars: 10 });
    const long = await stream();
    assert.equal(long.done.validation.verdict, "refused");
    assert.equal(long.done.validation.layer, "length");
    assert.ok(long.text.length <= 10, `sent ${long.text.length} characters`);

    await vote({ minChars: 100_000 });
    const short = await stream();
    assert.equal(short.done.validation.verdict, "refused");
    assert.equal(short.done.validation.layer, "length", "a 128-token answer is shorter than the voted minimum");

    // Coherence is below 1 for any answer that is not its own prompt (relevance < 1).
    await vote({ minCoherence: 1 });
    const incoherent = await stream();
    assert.equal(incoherent.done.validation.verdict, "refused");
    assert.equal(incoherent.done.validation.layer, "coherence");

    await vote({});
    const free = await stream();
    assert.equal(free.done.finishReason, "length", "with no rule, bound or threshold the answer runs to maxTokens");
  });
});
