/**
 * Governed deny patterns (`parameters.validation.denyPatterns`): no part of a denied text reaches
 * a client, streamed or not; the answer ends before it, says why, and the refusal is counted.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DenyFilter } from "../src/serving/index.ts";
import { sseReader, startTestNode, type TestNode } from "./helpers/api-node.ts";

describe("DenyFilter", () => {
  it("holds back what could start a pattern and never emits any part of a match", () => {
    const filter = new DenyFilter(["Seed Phrase"]);
    const pieces = ["my se", "ed", " phr", "ase is", " x"].map((t) => filter.push(t));
    assert.equal(pieces.join(""), "my ");
    assert.equal(filter.matched, "seed phrase");
    assert.equal(filter.flush(), "");
  });

  it("passes everything through, in order, when nothing matches", () => {
    const filter = new DenyFilter(["secret"]);
    const out = ["the sec", "ond se", "cret"].slice(0, 2).map((t) => filter.push(t)).join("") + filter.flush();
    assert.equal(out, "the second se");
    assert.equal(filter.matched, undefined);
  });
});

describe("HTTP API: governed deny patterns", () => {
  let node: TestNode;
  const generate = (body: object) =>
    fetch(`${node.url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const request = { prompt: "Tell me about the node", maxTokens: 24, temperature: 0, seed: 7 };
  let denied: string;
  let before_: string;

  before(async () => {
    node = await startTestNode();
    // The demo model's words are random but repeatable: deny the fourth word of its answer.
    const free = (await (await generate(request)).json()) as { text: string };
    const words = free.text.trim().split(/\s+/);
    assert.ok(words.length >= 6, `the demo answer has words: ${free.text}`);
    denied = words[3]!.toUpperCase();
    before_ = free.text.slice(0, free.text.toLowerCase().indexOf(words[3]!.toLowerCase()));
    node.governed.apply({ validation: { denyPatterns: [denied] } });
  });
  after(() => node?.stop());

  it("ends a JSON answer before the pattern, with finishReason content_filter", async () => {
    const answer = (await (await generate(request)).json()) as { text: string; finishReason: string };
    assert.equal(answer.finishReason, "content_filter");
    assert.equal(answer.text, before_);
    assert.ok(!answer.text.toLowerCase().includes(denied.toLowerCase()));
  });

  it("never streams any part of the pattern", async () => {
    const events = sseReader(await generate({ ...request, stream: true }));
    let text = "";
    let done: { finishReason?: string } | undefined;
    for (let e = await events.next(); e !== undefined; e = await events.next()) {
      const event = e as { token?: string; done?: boolean; finishReason?: string };
      if (event.token !== undefined) text += event.token;
      if (event.done) done = event;
    }
    assert.equal(text, before_);
    assert.equal(done?.finishReason, "content_filter");
  });

  it("maps to OpenAI's content_filter and counts the refusal", async () => {
    const response = await fetch(`${node.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "x", prompt: request.prompt, max_tokens: 24, temperature: 0, seed: 7 }),
    });
    const body = (await response.json()) as { choices: Array<{ finish_reason: string; text: string }> };
    assert.equal(body.choices[0]!.finish_reason, "content_filter");
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /ns_llm_validation_refusals_total\{rule="deny_pattern"\} [3-9]/);
  });
});
