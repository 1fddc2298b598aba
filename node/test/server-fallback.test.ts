/**
 * Degraded mode: with no generation model (none given, or one that fails to load), /generate and
 * the chat routes answer from the local docs search, marked `source: "search"`, and /health says
 * "degraded" and why.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { ensureDemoModels } from "../src/demo/index.ts";
import { json, metricValue, readSse, startTestNode, type TestNode } from "./helpers/api-node.ts";

const CORPUS = `# Guide

## Swaps

A node applies a governance decision by fetching the manifest, verifying it and swapping models
atomically; requests in flight finish on the old model.

## Audit

Every request goes into the audit log; batches become Merkle roots anchored on chain.

## Security

Set NS_LLM_API_TOKEN to require a bearer token. Browser origins come from NS_LLM_CORS_ORIGINS (CORS).
`;

describe("HTTP API: answers from search without a generation model", () => {
  let node: TestNode;

  before(async () => {
    // First a node with only the embedding model (so search is hybrid), from the demo models.
    const probe = await startTestNode({ demo: false });
    const demo = await ensureDemoModels(path.join(probe.home, "models"));
    const broken = path.join(probe.home, "broken.gguf");
    await writeFile(broken, "this is not a GGUF file");
    // A corpus of the test's own, so that edits of the shipped docs do not change its answers.
    const corpus = path.join(probe.home, "docs");
    await mkdir(corpus);
    await writeFile(path.join(corpus, "guide.md"), CORPUS);
    await probe.close();
    node = await startTestNode({ demo: false, embedding: demo.embedding, generation: { modelPath: broken }, corpus: [corpus] });
    // The temp folder of the probe holds the models: remove it with this node.
    const stop = node.stop;
    node.stop = async () => {
      await stop();
      await probe.stop();
    };
  });
  after(() => node?.stop());

  it("/health is degraded and says why", async () => {
    const h = await (await fetch(`${node.url}/health`)).json();
    assert.equal(h.status, "degraded");
    assert.equal(h.generation.ready, false);
    assert.match(h.generation.error, /cannot load the generation model/);
    assert.equal(h.embedding.ready, true);
    assert.ok(h.reasons.some((r: string) => /no generation model/.test(r) && /search/.test(r)));
  });

  it("POST /generate answers from the docs, marked source: search", async () => {
    const res = await fetch(`${node.url}/generate`, json({ prompt: "How does a node apply a governance decision and swap models?" }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.source, "search");
    assert.match(body.text, /swap/i);
    assert.match(body.reason, /no generation model/);
    assert.equal(res.headers.get("x-ns-llm-source"), "search");
  });

  it("streamed /generate from search ends with a done event", async () => {
    const events = (await readSse(await fetch(`${node.url}/generate`, json({ prompt: "audit log Merkle anchor", stream: true })))) as Array<Record<string, unknown>>;
    assert.ok(events.length >= 2);
    assert.match(String(events[0]!.token), /audit/i);
    assert.equal(events.at(-1)!.done, true);
    assert.equal(events.at(-1)!.source, "search");
  });

  it("OpenAI chat answers from search with x-ns-llm-source: search", async () => {
    const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused" });
    const { data, response } = await client.chat.completions
      .create({ model: "any", messages: [{ role: "user", content: "Which environment variable sets the API token?" }] })
      .withResponse();
    assert.equal(response.headers.get("x-ns-llm-source"), "search");
    assert.match(data.choices[0]!.message.content!, /NS_LLM_API_TOKEN/);

    let text = "";
    for await (const chunk of await client.chat.completions.create({ model: "any", messages: [{ role: "user", content: "CORS origins" }], stream: true })) {
      text += chunk.choices[0]?.delta.content ?? "";
    }
    assert.match(text, /CORS/);

    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.ok(metricValue(metrics, 'ns_llm_fallbacks_total{reason="no_model"}') >= 4);
  });

  it("embeddings still work", async () => {
    const res = await fetch(`${node.url}/embed`, json({ input: "still here" }));
    assert.equal(res.status, 200);
  });
});

describe("HTTP API: nothing to answer with", () => {
  it("without embedding model, /embed is 503 with a JSON error", async () => {
    const node = await startTestNode({ demo: false });
    try {
      const res = await fetch(`${node.url}/v1/embeddings`, json({ input: "x" }));
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, "embedding_unavailable");
      // Search still answers (BM25 alone).
      const g = await (await fetch(`${node.url}/generate`, json({ prompt: "BM25 ranking" }))).json();
      assert.equal(g.source, "search");
    } finally {
      await node.stop();
    }
  });
});
