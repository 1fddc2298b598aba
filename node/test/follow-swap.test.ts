/**
 * Follow the chain, end to end: a real Hardhat chain, a real node process (`ns-llm serve --demo`,
 * embedded IPFS, llama.cpp and ONNX engines, one thread). A second, different demo model is added
 * to the node's IPFS through the node (`POST /api/ipfs`), its manifest published
 * (`POST /api/manifests`), and its adoption taken through the governance path (propose, vote,
 * queue, execute). The running node must swap to it by itself while a steady stream of requests
 * (/generate, streamed /generate, /embed) sees no failure, each answer naming the old model or the
 * new one. Prints the seconds from the execute receipt to the first answer of the new model.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { computeCid } from "../src/ipfs/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import {
  addToNodeIpfs,
  adopt,
  auditEntries,
  generationManifest,
  otherDemoLlama,
  publishManifest,
  sha256Hex,
  spawnFollowNode,
  type FollowNode,
  type GovernanceState,
  type Health,
} from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

type Answer = { route: string; status: number; model: string | null; manifest: string | null; source?: string; sentAt: number; receivedAt: number; error?: string };

describe("follow the chain: adopt a new generation model", () => {
  let chain: TestChain;
  let node: FollowNode;

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain });
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  it("swaps to the adopted model while a steady stream of requests sees no failure", async () => {
    const before = await node.get<Health>("/health");
    assert.equal(before.generation.ready, true);
    const old = { model: before.generation.model!, manifest: before.generation.manifest! };
    const embedModel = before.embedding.model!;

    // The new model: other weights, another name, added to the node's IPFS through the node.
    const name = "ns-llm-test-llama-b";
    const gguf = otherDemoLlama(0x0b0b_0b0b, name);
    const artifactCid = await addToNodeIpfs(node, gguf);
    assert.equal(artifactCid, await computeCid(gguf), "the node's CID is the one every node computes");
    const { cid, digest } = await publishManifest(node, generationManifest({ name, sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${artifactCid}`] }));

    // The steady stream: each loop sends one request, waits for its answer, pauses 20 ms.
    const answers: Answer[] = [];
    let streaming = true;
    const loop = async (route: string, send: () => Promise<Omit<Answer, "route" | "sentAt" | "receivedAt">>) => {
      while (streaming) {
        const sentAt = Date.now();
        let answer: Omit<Answer, "route" | "sentAt" | "receivedAt">;
        try {
          answer = await send();
        } catch (error) {
          answer = { status: 0, model: null, manifest: null, error: (error as Error).message };
        }
        answers.push({ route, sentAt, receivedAt: Date.now(), ...answer });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const postJson = (route: string, body: unknown) =>
      fetch(`${node.url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const loops = [
      loop("/generate", async () => {
        const r = await postJson("/generate", { prompt: "Say something", maxTokens: 4, temperature: 0 });
        const body = (await r.json()) as { model?: string; manifest?: string; source?: string; error?: { message: string } };
        return { status: r.status, model: body.model ?? null, manifest: body.manifest ?? null, source: body.source, error: body.error?.message };
      }),
      loop("/generate stream", async () => {
        const r = await postJson("/generate", { prompt: "Tell me more", maxTokens: 6, temperature: 0, stream: true });
        const text = await r.text();
        const events = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
        const done = events.find((e) => e.done === true) as { model?: string; manifest?: string; source?: string; error?: unknown } | undefined;
        const header = r.headers.get("x-ns-llm-model");
        const ok = r.status === 200 && done !== undefined && !events.some((e) => e.error) && (done.model ?? header) === header;
        return {
          status: ok ? r.status : r.status === 200 ? 599 : r.status,
          model: done?.model ?? header,
          manifest: done?.manifest ?? r.headers.get("x-ns-llm-manifest"),
          source: done?.source,
          ...(ok ? {} : { error: text.slice(0, 300) }),
        };
      }),
      loop("/embed", async () => {
        const r = await postJson("/embed", { input: "a steady stream" });
        const body = (await r.json()) as { model?: string; manifest?: string; error?: { message: string } };
        return { status: r.status, model: body.model ?? null, manifest: body.manifest ?? null, error: body.error?.message };
      }),
    ];

    try {
      await waitUntil("answers before the swap", async () => answers.filter((a) => a.route === "/generate").length >= 3);
      const { executedAt } = await adopt(chain, { role: "generation", cid, digest, name });
      const first = await waitUntil(
        "an answer of the new model",
        async () => answers.find((a) => a.model === name && a.receivedAt >= executedAt),
        60_000,
        () => node.output,
      );
      const seconds = (first.receivedAt - executedAt) / 1000;
      const appliedIn = /applied generation v\d+ \S+ \(\S+\) in (\d+) ms/.exec(node.output)?.[1];
      console.log(`swap latency: ${seconds.toFixed(2)} s from the execute receipt to the first answer of the new model (${first.route}); the node applied it in ${appliedIn} ms`);
      // Keep the stream going a little on the new model.
      const after = answers.length;
      await waitUntil("answers after the swap", async () => answers.slice(after).filter((a) => a.route === "/generate").length >= 3);
    } finally {
      streaming = false;
      await Promise.all(loops);
    }

    const failures = answers.filter((a) => a.status !== 200);
    assert.deepEqual(failures, [], "every request of the stream succeeded");
    for (const a of answers) {
      if (a.route === "/embed") {
        assert.equal(a.model, embedModel, `${a.route} names the embedding model`);
        continue;
      }
      assert.equal(a.source, "llm", `${a.route} was answered by a model, not by search: ${JSON.stringify(a)}`);
      if (a.model === old.model) assert.equal(a.manifest, old.manifest);
      else assert.deepEqual({ model: a.model, manifest: a.manifest }, { model: name, manifest: cid }, `${a.route} names the old or the new model`);
    }
    const firstNew = Math.min(...answers.filter((a) => a.model === name).map((a) => a.receivedAt));
    const lateOld = answers.filter((a) => a.route !== "/embed" && a.model === old.model && a.sentAt > firstNew);
    assert.deepEqual(lateOld, [], "no request sent after the swap is answered by the old model");
    const generated = answers.filter((a) => a.route !== "/embed");
    assert.ok(generated.some((a) => a.model === old.model) && generated.some((a) => a.model === name), "the stream saw both models");
    console.log(`stream: ${answers.length} requests (${generated.filter((a) => a.model === old.model).length} old, ${generated.filter((a) => a.model === name).length} new, ${answers.length - generated.length} /embed), 0 failures`);

    // The node says so everywhere: /health, /v1/models, /api/governance, /metrics, the audit log.
    const health = await node.get<Health>("/health");
    assert.deepEqual({ model: health.generation.model, manifest: health.generation.manifest, ready: health.generation.ready }, { model: name, manifest: cid, ready: true });
    assert.equal(health.status, "ok", health.reasons.join("; "));
    const models = await node.get<{ data: Array<{ id: string; ns_llm: { role: string; manifest: string | null } }> }>("/v1/models");
    assert.deepEqual(models.data.find((m) => m.ns_llm.role === "generation"), { id: name, object: "model", created: 0, owned_by: "ns-llm", ns_llm: { role: "generation", manifest: cid } });
    const governance = await node.get<GovernanceState>("/api/governance");
    assert.equal(governance.applied.generation?.cid, cid);
    assert.equal(governance.applied.generation?.model, name);
    assert.equal(governance.lastError, null);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /ns_llm_model_swaps_total\{role="generation"\} [1-9]/);
    const audit = await auditEntries(node);
    assert.ok(audit.some((e) => e.type === "governance" && e.step === "applied" && e.cid === cid), "the audit log records the adoption");

    const answer = (await (await fetch(`${node.url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "Hi", maxTokens: 3 }) })).json()) as {
      model: string;
      manifest: string;
    };
    assert.deepEqual({ model: answer.model, manifest: answer.manifest }, { model: name, manifest: cid });
  });
});
