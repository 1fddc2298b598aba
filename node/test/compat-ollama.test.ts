/**
 * The Ollama-compatible routes through the official `ollama` client against a real node on the
 * demo models: generate, chat (NDJSON streamed and not), JSON output by `format`, tools in the
 * history, embed and embeddings, tags, ps, show, version; the node's limits, provenance and audit
 * as on the other routes; errors in Ollama's shape. The node has an API token and listens on
 * loopback, as a local Ollama does: these routes answer without it, admin routes still need it.
 * Its context is NS_LLM_CONTEXT_SIZE=1024 (the demo model was trained on 512).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ollama } from "ollama";
import type { RequestEntry } from "../src/audit/index.ts";
import { json, startTestNode, type TestNode } from "./helpers/api-node.ts";

describe("Ollama-compatible API", () => {
  let node: TestNode;
  let ollama: Ollama;
  const auditEntry = (seq: number) => node.audit.log.entries(seq, 1)[0]!.entry as RequestEntry;
  const lastAudit = () => auditEntry(node.audit.log.status().entries - 1);

  before(async () => {
    node = await startTestNode({}, { NS_LLM_API_TOKEN: "s3cret", NS_LLM_CONTEXT_SIZE: "1024" });
    ollama = new Ollama({ host: node.url });
  });
  after(() => node?.stop());

  it("generate: one JSON answer, with Ollama's counts and the node's provenance, audited", async () => {
    const r = await ollama.generate({ model: "ns-llm-demo-llama", prompt: "Tell me about governance", options: { num_predict: 6, temperature: 0 } });
    assert.equal(r.model, "ns-llm-demo-llama");
    assert.equal(r.done, true);
    assert.equal(r.done_reason, "length");
    assert.ok(r.response!.length > 0);
    assert.equal(r.eval_count, 6);
    assert.ok(r.prompt_eval_count > 0 && r.total_duration > 0);
    assert.ok(!Number.isNaN(Date.parse(r.created_at as unknown as string)));
    const ns = (r as unknown as { ns_llm: { source: string; auditSeq: number; manifest: string } }).ns_llm;
    assert.equal(ns.source, "llm");
    assert.match(ns.manifest, /^bafk/);
    const entry = auditEntry(ns.auditSeq);
    assert.equal(entry.route, "/api/generate");
    assert.equal((entry.parameters as { stream: boolean }).stream, false);
  });

  it("generate, streamed: NDJSON pieces that add up to the answer, then done", async () => {
    const parts = [];
    for await (const part of await ollama.generate({ model: "x", prompt: "Once upon a time", stream: true, options: { num_predict: 8, seed: 2 } })) parts.push(part);
    const last = parts.at(-1)!;
    assert.ok(parts.length >= 3);
    assert.ok(parts.slice(0, -1).every((p) => p.done === false && p.response!.length > 0));
    assert.equal(last.done, true);
    assert.equal(last.eval_count, 8);
    // The same request unstreamed gives the same text (same seed).
    const whole = await ollama.generate({ model: "x", prompt: "Once upon a time", options: { num_predict: 8, seed: 2 } });
    assert.equal(parts.map((p) => p.response).join(""), whole.response);
    assert.equal(lastAudit().route, "/api/generate");
  });

  it("raw generate is a plain completion; system goes through the chat template", async () => {
    const raw = await ollama.generate({ model: "x", prompt: "the", raw: true, options: { num_predict: 3, temperature: 0 } });
    const templated = await ollama.generate({ model: "x", prompt: "the", system: "Be brief.", options: { num_predict: 3, temperature: 0 } });
    assert.ok(templated.prompt_eval_count > raw.prompt_eval_count + 3, "template and system add prompt tokens");
  });

  it("chat, streamed and not, over the raw NDJSON too", async () => {
    const messages = [{ role: "user", content: "Hello there" }];
    const r = await ollama.chat({ model: "x", messages, options: { num_predict: 5, seed: 9 } });
    assert.equal(r.message.role, "assistant");
    assert.ok(r.message.content.length > 0);
    assert.equal(r.done, true);
    let streamed = "";
    for await (const part of await ollama.chat({ model: "x", messages, stream: true, options: { num_predict: 5, seed: 9 } })) streamed += part.message.content;
    assert.equal(streamed, r.message.content);

    const res = await fetch(`${node.url}/api/chat`, json({ model: "x", messages, options: { num_predict: 3 } }));
    assert.equal(res.headers.get("content-type"), "application/x-ndjson");
    assert.equal(res.headers.get("x-ns-llm-model"), "ns-llm-demo-llama");
    assert.equal(res.headers.get("x-ns-llm-source"), "llm");
    const lines = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.at(-1).done, true);
    assert.equal(lines.at(-1).ns_llm.auditSeq, node.audit.log.status().entries - 1);
  });

  it("format: a JSON schema is enforced while decoding; \"json\" gives an object", async () => {
    const schema = { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] }, days: { type: "integer" } }, required: ["city", "days"] };
    const validate = new Ajv2020().compile(schema);
    for (let seed = 0; seed < 5; seed++) {
      const r = await ollama.chat({ model: "x", messages: [{ role: "user", content: "Plan a trip" }], format: schema, options: { num_predict: 60, seed } });
      assert.equal(r.done_reason, "stop");
      assert.ok(validate(JSON.parse(r.message.content)), r.message.content);
    }
    const r = await ollama.generate({ model: "x", prompt: "JSON:", format: "json", options: { num_predict: 5 } });
    assert.match(r.response!, /^\{/);
  });

  it("logprobs: one entry per generated token, on the last line of a stream", async () => {
    const r = await ollama.generate({ model: "x", prompt: "the", options: { num_predict: 4, temperature: 0 }, logprobs: true, top_logprobs: 2 });
    assert.equal(r.logprobs!.length, 4);
    assert.equal(r.logprobs!.map((e) => e.token).join("").trimStart(), r.response);
    assert.ok(r.logprobs!.every((e) => e.top_logprobs!.length === 2 && e.logprob <= 0));
    const parts = [];
    for await (const part of await ollama.chat({ model: "x", messages: [{ role: "user", content: "hi" }], stream: true, options: { num_predict: 3 }, logprobs: true })) parts.push(part);
    assert.equal(parts.at(-1)!.logprobs!.length, 3);
  });

  it("chat takes tools and a tool-call history; the demo model answers in words", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
    const r = await ollama.chat({
      model: "x",
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
        { role: "tool", content: "18 C", tool_name: "get_weather" } as never,
      ],
      tools,
      options: { num_predict: 4 },
    });
    assert.equal(r.message.tool_calls, undefined);
    assert.ok(r.message.content.length > 0);
  });

  it("embed and embeddings: unit vectors from the governed embedding model, audited", async () => {
    const r = await ollama.embed({ model: "ns-llm-demo-bert", input: ["hello world", "the node's API"] });
    assert.equal(r.model, "ns-llm-demo-bert");
    assert.equal(r.embeddings.length, 2);
    assert.ok(Math.abs(Math.hypot(...r.embeddings[0]!) - 1) < 1e-4);
    assert.equal(lastAudit().route, "/api/embed");
    const one = await ollama.embed({ model: "x", input: "hello world" });
    assert.deepEqual(one.embeddings[0], r.embeddings[0]);
    const legacy = await ollama.embeddings({ model: "x", prompt: "hello world" });
    assert.deepEqual(legacy.embedding, r.embeddings[0]);
    assert.equal(lastAudit().route, "/api/embeddings");
  });

  it("tags, ps, show and version describe what the node serves", async () => {
    const { models } = await ollama.list();
    assert.deepEqual(models.map((m) => m.name).sort(), ["ns-llm-demo-bert", "ns-llm-demo-llama"]);
    const llama = models.find((m) => m.name === "ns-llm-demo-llama")!;
    assert.ok(llama.size > 100_000);
    assert.match(llama.digest, /^[0-9a-f]{64}$/);
    assert.equal(llama.details.format, "gguf");
    assert.equal((await ollama.ps()).models.length, 2);
    const show = await ollama.show({ model: "ns-llm-demo-llama:latest" });
    assert.deepEqual(show.capabilities, ["completion", "tools"]);
    assert.match(show.modelfile, /^FROM demo-llama\.gguf$/m, "the file's name, not the node's folders");
    assert.equal((show.model_info as unknown as Record<string, unknown>)["ns_llm.context_length"], 1024, "NS_LLM_CONTEXT_SIZE");
    assert.deepEqual((await ollama.show({ model: "ns-llm-demo-bert" })).capabilities, ["embedding"]);
    assert.equal((await ollama.version()).version, "0.1.0");
  });

  it("errors are Ollama's shape with the node's code; nothing is kept", async () => {
    const before = node.audit.log.status().entries;
    const refused = async (call: Promise<unknown>, status: number, message: RegExp) => {
      await assert.rejects(call, (e: Error & { status_code: number }) => {
        assert.equal(e.name, "ResponseError");
        assert.equal(e.status_code, status);
        assert.match(e.message, message);
        return true;
      });
    };
    await refused(ollama.show({ model: "llama3:8b" }), 404, /model "llama3:8b" not found; this node serves/);
    await refused(ollama.chat({ model: "x", messages: [{ role: "user", content: "hi" }], format: { type: "string", pattern: "^a" } }), 400, /"pattern"/);
    await refused(ollama.chat({ model: "x", messages: [{ role: "user", content: "hi", images: ["iVBORw0KGgo="] }] }), 400, /messages\.0 has images, but the governed generation model of this node takes text only/);
    await refused(ollama.generate({ model: "x", prompt: "word ".repeat(3000) }), 400, /the prompt (has \d+ tokens|fills the model.s context)/);
    await refused(ollama.generate({ model: "x", prompt: "hi", raw: true, system: "x" }), 400, /system cannot be used with raw/);
    const res = await fetch(`${node.url}/api/chat`, json({ messages: "hello" }));
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(await res.json()), ["error", "code"]);
    assert.equal(node.audit.log.status().entries, before);
  });

  it("answer without the API token on loopback, while admin routes still need it", async () => {
    const res = await fetch(`${node.url}/api/ipfs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: "x" });
    assert.equal(res.status, 401);
  });
});
