/**
 * Every figure the node's /metrics offers (and the dApp charts) is counted: each one moves when
 * the thing it counts happens, on a real node over HTTP. (Anchors and adoptions need a chain:
 * governed-fields.test.ts shows ns_llm_audit_anchors_total move; the cache figures are the
 * gateway's, gateway.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { json, metricValue, sseReader, startTestNode, type TestNode } from "./helpers/api-node.ts";

const LONG = { prompt: "tell me everything", maxTokens: 3000, stream: true };
let node: TestNode;

before(async () => {
  node = await startTestNode({ sequences: 1, contextSize: 4096, scheduler: { maxQueue: 1, maxOutputTokens: 4000 } });
});
after(async () => {
  await node?.stop();
});

const metrics = async () => (await fetch(`${node.url}/metrics`)).text();

describe("node metrics move", { concurrency: false }, () => {
  it("answers: requests, latency, tokens, prompt tokens, generations, time to first token, speed, embeddings, batches", async () => {
    const before = await metrics();
    assert.equal((await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 5 }))).status, 200);
    assert.equal((await fetch(`${node.url}/embed`, json({ input: ["a", "b"] }))).status, 200);
    const now = await metrics();
    const moved = (series: string) => metricValue(now, series) - metricValue(before, series);
    assert.equal(moved('ns_llm_http_requests_total{route="/generate",method="POST",status="200"}'), 1);
    assert.equal(moved('ns_llm_http_request_duration_seconds_count{route="/generate",method="POST"}'), 1);
    assert.equal(moved("ns_llm_generated_tokens_total"), 5);
    assert.ok(moved("ns_llm_prompt_tokens_total") > 0);
    assert.equal(moved('ns_llm_generations_total{source="llm",finish="length"}'), 1);
    assert.equal(moved("ns_llm_time_to_first_token_seconds_count"), 1);
    assert.equal(moved("ns_llm_generation_tokens_per_second_count"), 1);
    assert.equal(moved("ns_llm_embeddings_total"), 2);
    assert.equal(moved("ns_llm_embedding_batch_size_count"), 1);
  });

  it("admission: active generations, queue depth, and refusals by reason (queue_full, timeout)", async () => {
    const before = await metrics();
    const controller = new AbortController();
    const running = await fetch(`${node.url}/generate`, { ...json(LONG), signal: controller.signal });
    await sseReader(running).next();
    const waiting = fetch(`${node.url}/generate`, json({ prompt: "wait", maxTokens: 1 }));
    for (let i = 0; i < 200 && node.scheduler.stats().queued === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const during = await metrics();
    assert.equal(metricValue(during, "ns_llm_active_generations"), 1);
    assert.equal(metricValue(during, "ns_llm_generation_queue_depth"), 1);
    assert.equal((await fetch(`${node.url}/generate`, json({ prompt: "no room", maxTokens: 1 }))).status, 429);
    controller.abort();
    assert.equal((await waiting).status, 200);
    await node.scheduler.idle();
    // A deadline while waiting: 503 timeout. (The deadline is read at admission: the running
    // request keeps its own, the one that arrives after the change waits 100 ms at most.)
    const holder = new AbortController();
    try {
      const held = await fetch(`${node.url}/generate`, { ...json(LONG), signal: holder.signal });
      await sseReader(held).next();
      node.governed.apply({ limits: { requestTimeoutMs: 100 } });
      const late = await fetch(`${node.url}/generate`, json({ prompt: "late", maxTokens: 1 }));
      holder.abort();
      assert.equal(late.status, 503);
      assert.equal(((await late.json()) as any).error.code, "timeout");
    } finally {
      holder.abort();
      await node.scheduler.idle();
      node.governed.apply({});
    }
    const now = await metrics();
    const moved = (series: string) => metricValue(now, series) - metricValue(before, series);
    assert.equal(moved('ns_llm_rejected_requests_total{reason="queue_full"}'), 1);
    assert.equal(moved('ns_llm_rejected_requests_total{reason="timeout"}'), 1);
    assert.equal(metricValue(now, "ns_llm_active_generations"), 0);
    assert.equal(metricValue(now, "ns_llm_generation_queue_depth"), 0);
  });

  it("refusals by a governed rule, and answers from search when no generation model is loaded", async () => {
    const before = await metrics();
    const greedy = await (await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 4, topK: 1 }))).json();
    node.governed.apply({ validation: { denyPatterns: [(greedy as any).text.trim().split(/\s+/)[0]] } });
    try {
      const denied = (await (await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 4, topK: 1 }))).json()) as any;
      assert.equal(denied.finishReason, "content_filter");
    } finally {
      node.governed.apply({});
    }
    node.models.slots.generation.clear();
    const fallback = (await (await fetch(`${node.url}/generate`, json({ prompt: "Who are you?" }))).json()) as any;
    assert.equal(fallback.source, "search");
    const now = await metrics();
    const moved = (series: string) => metricValue(now, series) - metricValue(before, series);
    assert.equal(moved('ns_llm_validation_refusals_total{rule="deny_pattern"}'), 1);
    assert.equal(moved('ns_llm_fallbacks_total{reason="no_model"}'), 1);
    assert.equal(moved('ns_llm_generations_total{source="search",finish="stop"}'), 1);
  });
});
