/**
 * Every field of the parameters schema takes effect: on a real Hardhat chain, proposals adopted
 * through the governor (propose, vote, queue, execute) change the parameters of a running node, and
 * the next answer, admission decision, batch or cache lookup shows each change. One chain and one
 * node for the whole file; three adoptions, each changing several fields, keep it fast.
 *
 *   A: sampling (temperature, topP, topK), systemPrompt, cacheSimilarity, audit batching, limits
 *      (maxConcurrent, maxQueue, maxPromptTokens, maxEmbedBatch, maxInputChars)
 *   B: maxTokens, validation.denyPatterns (at the node and at the gateway's cache)
 *   C: repeatPenalty, limits.requestTimeoutMs, limits.maxQueue above the operator's ceiling
 *
 * It also measures how long an adoption takes from the execute transaction's receipt to the node
 * applying it (the median is printed as a diagnostic, never asserted).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ManifestParameters } from "@ns-llm/contracts";
import { createGateway, type Gateway } from "../src/gateway/index.ts";
import { json, metricValue, readSse, sseReader, startTestNode, type TestNode } from "./helpers/api-node.ts";
import { DEV_KEY_0, startTestChain, type TestChain } from "./helpers/chain.ts";
import { adopt } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

const LONG = { prompt: "tell me everything", maxTokens: 3000, stream: true };
/** The operator's ceiling on the queue in this test (NS_LLM_MAX_QUEUE). */
const QUEUE_CEILING = 4;

let chain: TestChain;
let node: TestNode;
let gateway: Gateway;
let gatewayUrl: string;
let gatewayHome: string;
const latencies: number[] = [];
let version = 0;

before(async () => {
  chain = await startTestChain();
  node = await startTestNode(
    { chain: true, contextSize: 4096, sequences: 2, scheduler: { maxOutputTokens: 4000 } },
    { NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_MAX_QUEUE: String(QUEUE_CEILING), NS_LLM_AUDIT_RECORD_TEXT: "1", NS_LLM_OPERATOR_KEY: DEV_KEY_0 },
  );
  gatewayHome = await mkdtemp(path.join(os.tmpdir(), "ns-llm-governed-gw-"));
  gateway = await createGateway({ nodeUrls: [node.url], home: gatewayHome, cacheSimilarity: 0.999, client: { healthCheckMs: 0 } });
  gatewayUrl = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await gateway?.close();
  await node?.stop();
  await chain?.stop();
  if (gatewayHome) await rm(gatewayHome, { recursive: true, force: true });
  if (latencies.length) {
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`# adoption -> applied (ms, from the execute receipt): ${sorted.join(", ")}; median ${sorted[Math.floor(sorted.length / 2)]}`);
  }
});

/** Publishes a parameters manifest through the node and adopts it through the governor; resolves once the node applied it. */
async function vote(parameters: ManifestParameters): Promise<void> {
  const name = `ns-llm-test-governed-${++version}`;
  const published = await fetch(`${node.url}/api/manifests`, json({ schema: "ns-llm.manifest/v1", role: "parameters", name, parameters }));
  assert.equal(published.status, 200, await published.clone().text());
  const { cid, digest } = (await published.json()) as { cid: string; digest: `0x${string}` };
  let appliedAt = 0;
  const stop = node.governed.onChange((g) => {
    if (g.source?.cid === cid && appliedAt === 0) appliedAt = Date.now();
  });
  try {
    const { executedAt } = await adopt(chain, { role: "parameters", cid, digest, name });
    await waitUntil("the node to apply the adoption", async () => appliedAt > 0, 30_000, undefined, 5);
    latencies.push(appliedAt - executedAt);
  } finally {
    stop();
  }
}

const post = async (route: string, body: unknown) => {
  const response = await fetch(`${node.url}${route}`, json(body));
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};
const generate = (body: Record<string, unknown>) => post("/generate", body);
const auditEntry = async (seq: number) => ((await (await fetch(`${node.url}/api/audit?from=${seq}&limit=1`)).json()) as { entries: Array<Record<string, any>> }).entries[0]!;
const metrics = async () => (await fetch(`${node.url}/metrics`)).text();
const viaGateway = async (body: Record<string, unknown>) => {
  const response = await fetch(`${gatewayUrl}/generate`, json(body));
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, any>;
};

/** Starts a long streamed generation and resolves once its first token arrived (it holds a slot). */
async function holdSlot(): Promise<{ release(): Promise<void> }> {
  const controller = new AbortController();
  const response = await fetch(`${node.url}/generate`, { ...json(LONG), signal: controller.signal });
  const reader = sseReader(response);
  await reader.next();
  return {
    async release() {
      controller.abort();
      await node.scheduler.idle();
    },
  };
}

const PHASE_A: ManifestParameters = {
  temperature: 0.7,
  topP: 0.9,
  topK: 1,
  // Short: the chats below must stay under limits.maxPromptTokens.
  systemPrompt: "Answer as the governed assistant.",
  cacheSimilarity: 0.5,
  audit: { batchSize: 3, batchSeconds: 3600 },
  limits: { maxConcurrent: 1, maxQueue: 1, maxPromptTokens: 40, maxEmbedBatch: 2, maxInputChars: 50 },
};

describe("governed parameters take effect on the next request", { concurrency: false }, () => {
  /** Phase A's greedy answer to a prompt, and its first word (phase B denies it). */
  let greedy: string;
  let firstWord: string;
  let chatPromptTokensBefore: number;

  it("(before any vote) the node's defaults: sampling from the request, no system prompt, the gateway's own threshold", async () => {
    const chat = await post("/v1/chat/completions", { messages: [{ role: "user", content: "Hello" }], max_tokens: 2 });
    chatPromptTokensBefore = chat.body.usage.prompt_tokens;
    // Two near-unrelated prompts are two misses at the gateway's 0.999.
    assert.equal((await viaGateway({ prompt: "Who are you?", maxTokens: 12, stop: " " })).source, "llm");
    assert.equal((await viaGateway({ prompt: "Where is the harbour?", maxTokens: 12, stop: " " })).source, "llm");
  });

  describe("adoption A", { concurrency: false }, () => {
    before(async () => {
      await vote(PHASE_A);
    });

    it("topK: 1 makes sampling greedy, so the seed no longer matters", async () => {
      const answers = new Set<string>();
      for (const seed of [1, 2, 3]) answers.add((await generate({ prompt: "Who are you?", maxTokens: 12, seed })).body.text);
      assert.equal(answers.size, 1, `three seeds gave ${[...answers].join(" | ")}`);
      greedy = [...answers][0]!;
      firstWord = greedy.trim().split(/\s+/)[0]!;
      assert.ok(firstWord.length > 0);
    });

    it("temperature, topP and topK: the answer's audit entry records them as what the engine ran with (and the text, NS_LLM_AUDIT_RECORD_TEXT=1)", async () => {
      const { body } = await generate({ prompt: "Who are you?", maxTokens: 12 });
      const entry = await auditEntry(body.auditSeq);
      assert.equal(entry.parameters.temperature, 0.7);
      assert.equal(entry.parameters.topP, 0.9);
      assert.equal(entry.parameters.topK, 1);
      assert.equal(entry.input, "Who are you?");
      assert.equal(entry.output, body.text);
      // A request's own value still wins over the governed default.
      const own = await generate({ prompt: "Who are you?", maxTokens: 4, temperature: 0.2 });
      assert.equal((await auditEntry(own.body.auditSeq)).parameters.temperature, 0.2);
    });

    it("systemPrompt: put before a chat with no system message (more prompt tokens)", async () => {
      const chat = await post("/v1/chat/completions", { messages: [{ role: "user", content: "Hello" }], max_tokens: 2 });
      assert.equal(chat.status, 200, JSON.stringify(chat.body));
      assert.ok(chat.body.usage.prompt_tokens >= chatPromptTokensBefore + 4, `${chat.body.usage.prompt_tokens} vs ${chatPromptTokensBefore}`);
      // A chat with a system message of its own keeps it.
      const own = await post("/v1/chat/completions", { messages: [{ role: "system", content: "Hi." }, { role: "user", content: "Hello" }], max_tokens: 2 });
      assert.ok(own.body.usage.prompt_tokens < chat.body.usage.prompt_tokens);
    });

    it("limits.maxPromptTokens: a longer prompt is refused with 400 prompt_too_long", async () => {
      const { status, body } = await generate({ prompt: "word ".repeat(60), maxTokens: 2 });
      assert.equal(status, 400);
      assert.equal(body.error.code, "prompt_too_long");
      assert.match(body.error.message, /at most 40/);
    });

    it("limits.maxConcurrent and limits.maxQueue: one runs, one waits, the next is refused with 429 (counted by reason)", async () => {
      const before = metricValue(await metrics(), 'ns_llm_rejected_requests_total{reason="queue_full"}');
      const slot = await holdSlot();
      try {
        const waiting = fetch(`${node.url}/generate`, json({ prompt: "wait for me", maxTokens: 2 }));
        await waitUntil("the second request to wait", async () => node.scheduler.stats().queued === 1, 10_000, undefined, 5);
        assert.deepEqual(node.scheduler.stats(), { active: 1, queued: 1, limit: 1, maxQueue: 1 });
        const refused = await fetch(`${node.url}/generate`, json({ prompt: "no room", maxTokens: 2 }));
        assert.equal(refused.status, 429);
        assert.equal(((await refused.json()) as any).error.code, "queue_full");
        await slot.release();
        assert.equal((await waiting).status, 200);
      } finally {
        await slot.release();
      }
      assert.equal(metricValue(await metrics(), 'ns_llm_rejected_requests_total{reason="queue_full"}') - before, 1);
    });

    it("limits.maxEmbedBatch: five texts go to the engine in batches of at most two", async () => {
      const before = await metrics();
      const { status, body } = await post("/embed", { input: ["one", "two", "three", "four", "five"] });
      assert.equal(status, 200);
      assert.equal(body.embeddings.length, 5);
      const now = await metrics();
      assert.equal(metricValue(now, "ns_llm_embedding_batch_size_count") - metricValue(before, "ns_llm_embedding_batch_size_count"), 3);
      assert.equal(metricValue(now, 'ns_llm_embedding_batch_size_bucket{le="2"}') - metricValue(before, 'ns_llm_embedding_batch_size_bucket{le="2"}'), 3);
    });

    it("limits.maxInputChars: a longer text to embed is refused with 400", async () => {
      const { status, body } = await post("/embed", { input: ["short", "x".repeat(51)] });
      assert.equal(status, 400);
      assert.match(body.error.message, /input 1 has 51 characters; this node accepts at most 50/);
    });

    it("cacheSimilarity: the gateway's lookup uses the governed threshold (0.5: a loosely similar prompt now hits)", async () => {
      // The adoption emptied the gateway's entries of the old parameters: asked again, the node answers.
      const first = await viaGateway({ prompt: "Who are you?", maxTokens: 12, stop: " " });
      assert.equal(first.source, "llm");
      assert.equal(first.text, firstWord, "the gateway's answer is phase A's greedy first word");
      const loose = await viaGateway({ prompt: "Where is the harbour?", maxTokens: 12, stop: " " });
      assert.equal(loose.source, "cache");
      assert.ok(loose.similarity >= 0.5 && loose.similarity < 0.999, `similarity ${loose.similarity}`);
      assert.equal(((await (await fetch(`${gatewayUrl}/health`)).json()) as any).cache.similarity, 0.5);
    });

    it("audit.batchSize: batches now close every 3 entries, and are anchored on chain (ns_llm_audit_anchors_total moves)", async () => {
      const anchorsBefore = metricValue(await metrics(), "ns_llm_audit_anchors_total");
      const since = Date.now();
      for (let i = 0; i < 7; i++) await generate({ prompt: `entry ${i}`, maxTokens: 1 });
      // A batch is closed by the log after the append that fills it commits, not before that
      // answer is sent: read until both have closed (the default, 100, would close none at all).
      let closed: Array<{ size: number; closedAt: string }> = [];
      await waitUntil("two batches of 3 to close", async () => {
        const { batches } = (await (await fetch(`${node.url}/api/audit/batches?from=0&limit=1000`)).json()) as { batches: Array<{ size: number; closedAt: string }> };
        closed = batches.filter((b) => Date.parse(b.closedAt) >= since);
        return closed.length >= 2;
      }, 10_000, () => `batches closed since: ${JSON.stringify(closed)}`, 50);
      // A batch closes once it holds 3 entries; entries appended in the same transaction (an
      // anchor entry, a request's) may join it. The default (100) would have closed none here.
      for (const b of closed) assert.ok(b.size >= 3 && b.size <= 5, `a batch of ${b.size}`);
      await waitUntil("the closed batches to be anchored", async () => metricValue(await metrics(), "ns_llm_audit_anchors_total") >= anchorsBefore + 2, 30_000, undefined, 50);
    });
  });

  describe("adoption B", { concurrency: false }, () => {
    /** Entries the gateway had dropped before this vote (it drops at its next request, or its periodic check). */
    let purgedBefore: number;
    before(async () => {
      // Phase A's answer to this prompt is in the gateway's cache: a hit, before the vote.
      assert.equal((await viaGateway({ prompt: "Who are you?", maxTokens: 12, stop: " " })).source, "cache");
      purgedBefore = metricValue(await (await fetch(`${gatewayUrl}/metrics`)).text(), "ns_llm_gateway_cache_purged_total");
      await vote({ ...PHASE_A, maxTokens: 6, validation: { denyPatterns: [firstWord] } });
    });

    it("maxTokens: an answer with no length of its own stops at 6 tokens; a request cannot ask for more", async () => {
      const { body } = await generate({ prompt: "Describe the harbour", seed: 3 });
      assert.equal(body.tokens, 6);
      assert.equal(body.finishReason, "length");
      const more = await generate({ prompt: "Describe the harbour", maxTokens: 50 });
      assert.ok(more.body.tokens <= 6);
    });

    it("validation.denyPatterns: the node's next answer stops before the pattern (content_filter)", async () => {
      const { body } = await generate({ prompt: "Who are you?", maxTokens: 6 });
      assert.equal(body.finishReason, "content_filter");
      assert.ok(!body.text.toLowerCase().includes(firstWord.toLowerCase()));
      assert.ok(greedy.toLowerCase().includes(firstWord.toLowerCase()));
    });

    it("gateway: a vote adding a deny pattern stops a cached answer containing it", async () => {
      const answer = await viaGateway({ prompt: "Who are you?", maxTokens: 12, stop: " " });
      assert.notEqual(answer.source, "cache");
      assert.ok(!String(answer.text).toLowerCase().includes(firstWord.toLowerCase()), `the gateway answered ${JSON.stringify(answer.text)}`);
      const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
      assert.ok(metricValue(text, "ns_llm_gateway_cache_purged_total") > purgedBefore);
      // A cut answer is not cached: asked again, it is not a hit either.
      assert.notEqual((await viaGateway({ prompt: "Who are you?", maxTokens: 12, stop: " " })).source, "cache");
    });
    it("gateway: documents holding a deny pattern are left out of search answers", async () => {
      gateway.documents.add([
        { id: "vault.md#open", title: "Vault", text: `The vault opens with the word ${firstWord} at noon.` },
        { id: "vault.md#closed", title: "Vault", text: "The vault stays closed at night." },
      ]);
      gateway.reindex();
      const response = await fetch(`${gatewayUrl}/search`, json({ query: "vault", k: 5 }));
      const { results } = (await response.json()) as { results: Array<{ id: string }> };
      assert.deepEqual(results.map((r) => r.id), ["vault.md#closed"]);
    });
  });

  describe("adoption C", { concurrency: false }, () => {
    before(async () => {
      const { maxConcurrent: _c, ...limits } = PHASE_A.limits!;
      await vote({ ...PHASE_A, repeatPenalty: 2, limits: { ...limits, maxQueue: 50, requestTimeoutMs: 300 } });
    });

    it("repeatPenalty: the next answer's audit entry records it as what the engine ran with", async () => {
      const { body } = await generate({ prompt: "Who are you?", maxTokens: 12, seed: 1 });
      assert.equal((await auditEntry(body.auditSeq)).parameters.repeatPenalty, 2);
    });

    it("limits.requestTimeoutMs: a long generation stops at the governed deadline (finish reason timeout)", async () => {
      const events = (await readSse(await fetch(`${node.url}/generate`, json(LONG)))) as Array<Record<string, unknown>>;
      const done = events.at(-1)!;
      assert.equal(done.done, true);
      assert.equal(done.finishReason, "timeout");
    });

    it("limits.maxQueue above the operator's ceiling: clamped to NS_LLM_MAX_QUEUE, and /api/governance says so", async () => {
      assert.equal(node.scheduler.stats().maxQueue, QUEUE_CEILING);
      const governance = (await (await fetch(`${node.url}/api/governance`)).json()) as Record<string, any>;
      assert.equal(governance.parameters.limits.maxQueue, 50);
      assert.equal(governance.effective.maxQueue, QUEUE_CEILING);
      assert.equal(governance.effective.requestTimeoutMs, 300);
      assert.deepEqual(governance.effective.clamped, [{ field: "limits.maxQueue", governed: 50, applied: QUEUE_CEILING, env: "NS_LLM_MAX_QUEUE" }]);
      // Back to the engine's capacity once the governed concurrency is gone.
      assert.equal(node.scheduler.stats().limit, 2);
    });
  });
});
