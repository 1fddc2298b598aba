/**
 * The node's HTTP API against a real server (port 0) serving the generated demo models: every
 * route's happy path, SSE order, the OpenAI routes through the official `openai` client, errors,
 * provenance, auth and CORS.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import OpenAI from "openai";
import { createModels } from "../src/inference/index.ts";
import { createMetrics } from "../src/metrics.ts";
import { createServer, systemRoutes } from "../src/server/index.ts";
import { vectorJson, vectorsJson } from "../src/server/vectors-json.ts";
import { chatDigest, textDigest, textsDigest } from "@ns-llm/contracts";
import type { RequestEntry } from "../src/audit/index.ts";
import { createNodeStatus, createScheduler } from "../src/serving/index.ts";
import { json, metricValue, readSse, startTestNode, type TestNode } from "./helpers/api-node.ts";

describe("embedding vectors as JSON", () => {
  it("writes what JSON.stringify writes, non-finite values included", () => {
    const vectors = [new Float32Array([0.1, -2.5e-8, 1, 0, -0, 3.4028234663852886e38]), new Float32Array([NaN, Infinity, 0.5]), new Float32Array([])];
    assert.equal(vectorsJson(vectors), JSON.stringify(vectors.map((v) => Array.from(v))));
    assert.equal(vectorJson(vectors[1]!), "[null,null,0.5]");
  });
});

describe("HTTP API: routes", () => {
  let node: TestNode;
  let url: string;
  /** The node's own audit log entry at `seq`: what the API appended. */
  const auditEntry = (seq: number) => node.audit.log.entries(seq, 1)[0]!.entry as RequestEntry;

  before(async () => {
    node = await startTestNode();
    url = node.url;
  });
  after(() => node?.stop());

  it("GET /health says ok, with both models ready and governance disabled by --no-chain", async () => {
    const res = await fetch(`${url}/health`);
    assert.equal(res.status, 200);
    const h = await res.json();
    assert.equal(h.status, "ok");
    assert.deepEqual(h.reasons, []);
    assert.equal(h.generation.ready, true);
    assert.equal(h.generation.model, "ns-llm-demo-llama");
    assert.equal(h.embedding.ready, true);
    assert.equal(h.governance.enabled, false);
    assert.match(h.governance.reason, /--no-chain/);
    assert.ok(h.search.documents > 0);
  });

  it("POST /embed returns one L2-normalised vector per input, with provenance", async () => {
    const res = await fetch(`${url}/embed`, json({ input: ["hello world", "the node's API"] }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    const text = await res.text();
    const body = JSON.parse(text);
    assert.equal(text, JSON.stringify(body), "exactly what JSON.stringify writes (the vectors are written directly)");
    assert.equal(body.model, "ns-llm-demo-bert");
    assert.equal(body.embeddings.length, 2);
    assert.equal(body.embeddings[0].length, body.dimensions);
    const norm = Math.hypot(...body.embeddings[1]);
    assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
    assert.equal(res.headers.get("x-ns-llm-model"), "ns-llm-demo-bert");
    assert.equal(typeof body.auditSeq, "number");
    assert.equal(res.headers.get("x-ns-llm-audit-seq"), String(body.auditSeq));
    const entry = auditEntry(body.auditSeq);
    assert.equal(entry.route, "/embed");
    assert.match(entry.inputSha256, /^0x[0-9a-f]{64}$/);
    assert.match(entry.outputSha256 ?? "", /^0x[0-9a-f]{64}$/);

    const single = await (await fetch(`${url}/embed`, json({ input: "one" }))).json();
    assert.equal(single.embeddings.length, 1);
  });

  it("POST /generate answers JSON from the model, and audits hashes, not text", async () => {
    const res = await fetch(`${url}/generate`, json({ prompt: "Tell me about governance", maxTokens: 8, temperature: 0 }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.source, "llm");
    assert.equal(body.model, "ns-llm-demo-llama");
    assert.equal(typeof body.text, "string");
    assert.ok(body.tokens >= 1 && body.tokens <= 8);
    assert.equal(typeof body.ms, "number");
    assert.equal(res.headers.get("x-ns-llm-model"), "ns-llm-demo-llama");
    const entry = auditEntry(body.auditSeq);
    assert.equal(entry.route, "/generate");
    assert.equal(entry.source, "llm");
    assert.ok(!JSON.stringify(entry).includes("governance"), "the prompt's text is not in the audit entry");
  });

  it("POST /generate with stream: true sends token events in order, then one done event", async () => {
    const res = await fetch(`${url}/generate`, json({ prompt: "hello", maxTokens: 12, temperature: 0, stream: true }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
    assert.equal(res.headers.get("x-ns-llm-model"), "ns-llm-demo-llama");
    const events = (await readSse(res)) as Array<Record<string, unknown>>;
    const last = events.at(-1)!;
    assert.equal(last.done, true);
    assert.equal(last.source, "llm");
    assert.equal(typeof last.auditSeq, "number");
    const tokens = events.slice(0, -1);
    assert.ok(tokens.length >= 1);
    for (const e of tokens) assert.deepEqual(Object.keys(e), ["token"]);
    // The streamed text is the text a JSON request with the same (greedy) settings returns.
    const same = await (await fetch(`${url}/generate`, json({ prompt: "hello", maxTokens: 12, temperature: 0 }))).json();
    assert.equal(tokens.map((e) => e.token).join(""), same.text);
  });

  it("OpenAI client: chat completion, JSON and streamed", async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused" });
    const { data, response } = await client.chat.completions
      .create({ model: "ns-llm-demo-llama", messages: [{ role: "user", content: "hi" }], max_tokens: 6, temperature: 0 })
      .withResponse();
    assert.equal(data.object, "chat.completion");
    assert.equal(data.choices[0]!.message.role, "assistant");
    assert.equal(typeof data.choices[0]!.message.content, "string");
    assert.ok(["stop", "length"].includes(data.choices[0]!.finish_reason));
    assert.ok(data.usage!.completion_tokens >= 1);
    assert.equal(response.headers.get("x-ns-llm-source"), "llm");
    assert.equal(response.headers.get("x-ns-llm-model"), "ns-llm-demo-llama");

    const stream = await client.chat.completions.create({
      model: "ns-llm-demo-llama",
      messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }],
      max_tokens: 6,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? "";
        finish = c.finish_reason ?? finish;
      }
    }
    assert.ok(text.length > 0);
    assert.ok(finish === "stop" || finish === "length");
    assert.ok(usage);
  });

  it("OpenAI client: completions, embeddings (base64 by default) and models", async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused" });
    const completion = await client.completions.create({ model: "x", prompt: "Once upon", max_tokens: 5 });
    assert.equal(completion.object, "text_completion");
    assert.equal(typeof completion.choices[0]!.text, "string");

    let streamed = "";
    for await (const chunk of await client.completions.create({ model: "x", prompt: "Once upon", max_tokens: 5, stream: true })) {
      streamed += chunk.choices[0]?.text ?? "";
    }
    assert.ok(streamed.length > 0);

    const embeddings = await client.embeddings.create({ model: "x", input: ["a", "b", "c"] });
    assert.equal(embeddings.data.length, 3);
    assert.equal(embeddings.data[2]!.index, 2);
    const direct = await (await fetch(`${url}/embed`, json({ input: ["a", "b", "c"] }))).json();
    assert.equal(embeddings.data[0]!.embedding.length, direct.dimensions);
    embeddings.data[1]!.embedding.forEach((x, i) => assert.ok(Math.abs(x - direct.embeddings[1][i]) < 1e-6));

    // Floats, as JSON.stringify writes them, in OpenAI's field order.
    const floats = await fetch(`${url}/v1/embeddings`, json({ model: "x", input: ["a", "b"], encoding_format: "float" }));
    const floatsText = await floats.text();
    const floatsBody = JSON.parse(floatsText);
    assert.equal(floatsText, JSON.stringify(floatsBody));
    assert.deepEqual(Object.keys(floatsBody), ["object", "data", "model", "usage", "ns_llm"]);
    assert.deepEqual(Object.keys(floatsBody.data[0]), ["object", "index", "embedding"]);
    assert.deepEqual(floatsBody.data[1].embedding, direct.embeddings[1]);

    const models = await client.models.list();
    const ids = models.data.map((m) => m.id).sort();
    assert.deepEqual(ids, ["ns-llm-demo-bert", "ns-llm-demo-llama"]);
  });

  it("every route records the input and output digests anyone can recompute from what was sent and answered", async () => {
    const prompt = "Tell me about the node";
    const generated = await (await fetch(`${url}/generate`, json({ prompt, maxTokens: 4, temperature: 0 }))).json();
    const completion = await (await fetch(`${url}/v1/completions`, json({ prompt, max_tokens: 4, temperature: 0 }))).json();
    const messages = [{ role: "user" as const, content: prompt }];
    const chat = await (await fetch(`${url}/v1/chat/completions`, json({ messages, max_tokens: 4, temperature: 0 }))).json();
    const texts = ["a", "b c"];
    const embedded = await (await fetch(`${url}/embed`, json({ input: texts }))).json();

    const generatedEntry = auditEntry(generated.auditSeq);
    assert.equal(generatedEntry.inputSha256, textDigest(prompt));
    assert.equal(generatedEntry.outputSha256, textDigest(generated.text));
    // The same prompt hashes the same through the OpenAI route (it once hashed its JSON string).
    const completionEntry = auditEntry(completion.ns_llm.auditSeq);
    assert.equal(completionEntry.inputSha256, textDigest(prompt));
    assert.equal(completionEntry.outputSha256, textDigest(completion.choices[0].text));
    const chatEntry = auditEntry(chat.ns_llm.auditSeq);
    assert.equal(chatEntry.inputSha256, chatDigest(messages));
    assert.equal(chatEntry.outputSha256, textDigest(chat.choices[0].message.content));
    assert.equal(auditEntry(embedded.auditSeq).inputSha256, textsDigest(texts));
  });

  it("the raw SSE of chat completions ends with data: [DONE]", async () => {
    const res = await fetch(`${url}/v1/chat/completions`, json({ messages: [{ role: "user", content: "hi" }], max_tokens: 3, stream: true }));
    const events = await readSse(res);
    assert.equal(events.at(-1), "[DONE]");
    assert.equal((events[0] as { choices: Array<{ delta: { role: string } }> }).choices[0]!.delta.role, "assistant");
  });

  it("GET /metrics exposes requests, tokens, latency and the gateway's cache counters", async () => {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(metricValue(text, 'ns_llm_http_requests_total{route="/generate",method="POST",status="200"}') >= 1);
    assert.ok(metricValue(text, "ns_llm_generated_tokens_total") >= 1);
    assert.ok(metricValue(text, "ns_llm_embeddings_total") >= 3);
    for (const name of [
      "ns_llm_http_request_duration_seconds_bucket",
      "ns_llm_time_to_first_token_seconds_bucket",
      "ns_llm_generation_tokens_per_second_bucket",
      "ns_llm_generation_queue_depth",
      "ns_llm_active_generations",
      "ns_llm_fallbacks_total",
      "ns_llm_process_resident_memory_bytes",
    ]) {
      assert.ok(text.includes(name), `missing ${name}`);
    }
  });

  it("malformed JSON, wrong types and unknown fields are 400 with a JSON error", async () => {
    const bad = await fetch(`${url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"prompt":' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "invalid_json");

    const wrong = await fetch(`${url}/generate`, json({ prompt: 5 }));
    assert.equal(wrong.status, 400);
    const body = await wrong.json();
    assert.equal(body.error.code, "invalid_request");
    assert.match(body.error.message, /prompt/);

    assert.equal((await fetch(`${url}/generate`, json({ prompt: "x", max_tokens: 3 }))).status, 400);
    assert.equal((await fetch(`${url}/embed`, json({ input: [] }))).status, 400);
    assert.equal((await fetch(`${url}/v1/chat/completions`, json({ messages: [{ role: "tool", content: "x" }] }))).status, 400);
    assert.equal((await fetch(`${url}/generate`, { method: "POST" })).status, 400);
  });

  it("a 2 MB body is 413", async () => {
    const res = await fetch(`${url}/generate`, json({ prompt: "a".repeat(2 * 1024 * 1024) }));
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "body_too_large");
  });

  it("unknown routes are 404, a wrong method on a known route 405 with Allow", async () => {
    const missing = await fetch(`${url}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "not_found");
    const wrong = await fetch(`${url}/generate`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    assert.equal((await wrong.json()).error.code, "method_not_allowed");
  });

  it("CORS allows the configured origins only", async () => {
    const ok = await fetch(`${url}/health`, { headers: { origin: "http://localhost:3000" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "http://localhost:3000");
    const other = await fetch(`${url}/health`, { headers: { origin: "http://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("GET /api/governance says the node follows no chain", async () => {
    const g = await (await fetch(`${url}/api/governance`)).json();
    assert.equal(g.enabled, false);
    assert.deepEqual(g.history, []);
  });
});

describe("HTTP API: token", () => {
  it("with a token on loopback, admin routes need it and public ones do not", async () => {
    const node = await startTestNode({
      routes: [async (app: FastifyInstance) => void app.post("/api/things", async () => ({ ok: true }))],
    }, { NS_LLM_API_TOKEN: "s3cret" });
    try {
      assert.equal((await fetch(`${node.url}/health`)).status, 200);
      const denied = await fetch(`${node.url}/api/things`, json({}));
      assert.equal(denied.status, 401);
      assert.equal((await denied.json()).error.code, "unauthorized");
      const wrong = await fetch(`${node.url}/api/things`, { ...json({}), headers: { "content-type": "application/json", authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      const allowed = await fetch(`${node.url}/api/things`, { ...json({}), headers: { "content-type": "application/json", authorization: "Bearer s3cret" } });
      assert.equal(allowed.status, 200);
    } finally {
      await node.stop();
    }
  });

  it("with scope all (bound beyond loopback) every route needs the token", async () => {
    const models = createModels({ threads: 1 });
    const status = createNodeStatus(models, createScheduler(), {
      governanceDisabledReason: "no chain",
      parameters: () => ({}),
      ipfs: () => ({ mode: "disabled" }),
      searchDocuments: () => 0,
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const app = await createServer({
      metrics,
      auth: { token: "s3cret", scope: "all" },
      routes: [{ plugin: systemRoutes, options: { health: status.health, governance: status.governance, metrics } }],
    });
    try {
      assert.equal((await app.inject({ method: "GET", url: "/health" })).statusCode, 401);
      const ok = await app.inject({ method: "GET", url: "/health", headers: { authorization: "Bearer s3cret" } });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.json().status, "degraded");
    } finally {
      await app.close();
    }
  });

  it("refuses to bind a non-loopback host without a token", async () => {
    await assert.rejects(startTestNode({ demo: false }, { NS_LLM_HOST: "0.0.0.0" }), (e: { code?: string; hint?: string }) => e.code === "unsafe_bind" && /NS_LLM_API_TOKEN/.test(e.hint ?? ""));
  });
});
