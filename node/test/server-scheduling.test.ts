/**
 * Scheduling through the real API: one generation slot, a queue of one. A client that disconnects
 * mid-stream frees its slot for the queued request; a full queue answers 429 with Retry-After.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { json, metricValue, readSse, sseReader, startTestNode, type TestNode } from "./helpers/api-node.ts";

// A long answer: 3000 tokens take the demo model seconds, so it is surely still running when the
// client goes away (a context larger than the model's training one is fine for llama.cpp).
const LONG = { prompt: "tell me everything", maxTokens: 3000, stream: true };

/** Polls `condition` (a state change of the node, not a timing). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe("HTTP API: scheduling", () => {
  let node: TestNode;

  before(async () => {
    node = await startTestNode({
      sequences: 1,
      contextSize: 4096,
      scheduler: { maxQueue: 1, maxOutputTokens: 4000, maxPromptTokens: 64 },
    });
  });
  after(() => node?.stop());

  it("a disconnect mid-stream aborts the generation and the queued request starts", async () => {
    const client = new AbortController();
    const first = await fetch(`${node.url}/generate`, { ...json(LONG), signal: client.signal });
    assert.equal(first.status, 200);
    // Wait for the first token: the generation holds the only slot now.
    await sseReader(first).next();
    assert.equal(node.scheduler.stats().active, 1);

    // The next request waits in the queue...
    const second = fetch(`${node.url}/generate`, json({ prompt: "next", maxTokens: 4 }));
    await until(() => node.scheduler.stats().queued === 1);

    // ...until the first client goes away.
    client.abort();
    const res = await second;
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.source, "llm");
    assert.ok(body.tokens >= 1);

    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'ns_llm_generations_total{source="llm",finish="abort"}'), 1);
    assert.ok(metricValue(metrics, "ns_llm_generated_tokens_total") < 3000, "the long generation was cut short");
    assert.deepEqual(node.scheduler.stats().active, 0);
  });

  it("a full queue answers 429 with Retry-After", async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const first = await fetch(`${node.url}/generate`, { ...json(LONG), signal: running.signal });
    await sseReader(first).next();
    const waiting = fetch(`${node.url}/generate`, { ...json(LONG), signal: queued.signal }).catch(() => undefined);
    await until(() => node.scheduler.stats().queued === 1);

    const refused = await fetch(`${node.url}/generate`, json({ prompt: "one more", maxTokens: 4 }));
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${refused.headers.get("retry-after")}`);
    assert.equal((await refused.json()).error.code, "queue_full");

    // The OpenAI route refuses the same way, streamed or not.
    const refusedStream = await fetch(`${node.url}/v1/chat/completions`, json({ messages: [{ role: "user", content: "x" }], stream: true }));
    assert.equal(refusedStream.status, 429);
    assert.ok(refusedStream.headers.get("retry-after"));
    await refusedStream.body?.cancel();

    queued.abort();
    running.abort();
    await waiting;
    await until(() => node.scheduler.stats().active + node.scheduler.stats().queued === 0);
  });

  it("a prompt over the node's limit is 400; output tokens are clamped to the governed maximum", async () => {
    const long = await fetch(`${node.url}/generate`, json({ prompt: "word ".repeat(200) }));
    assert.equal(long.status, 400);
    const error = (await long.json()).error;
    assert.equal(error.code, "prompt_too_long");
    assert.match(error.message, /at most 64/);

    node.governed.apply({ maxTokens: 3 });
    try {
      const body = await (await fetch(`${node.url}/generate`, json({ prompt: "hello", maxTokens: 50 }))).json();
      assert.ok(body.tokens <= 3, `${body.tokens} tokens`);
      assert.equal(body.finishReason, "length");
    } finally {
      node.governed.apply({});
    }
  });
});

describe("HTTP API: request deadline", () => {
  it("a generation past its deadline stops: the stream's done event says timeout, the JSON answer too", async () => {
    const node = await startTestNode({ sequences: 1, contextSize: 4096, scheduler: { timeoutMs: 300, maxOutputTokens: 4000 } });
    try {
      const events = (await readSse(await fetch(`${node.url}/generate`, json(LONG)))) as Array<Record<string, unknown>>;
      const done = events.at(-1)!;
      assert.equal(done.done, true);
      assert.equal(done.finishReason, "timeout");
      assert.ok((done.tokens as number) < 3000);

      const body = await (await fetch(`${node.url}/generate`, json({ ...LONG, stream: false }))).json();
      assert.equal(body.finishReason, "timeout");
      const chat = await (await fetch(`${node.url}/v1/chat/completions`, json({ messages: [{ role: "user", content: "x" }], max_tokens: 3000 }))).json();
      assert.equal(chat.choices[0].finish_reason, "length");
    } finally {
      await node.stop();
    }
  });
});

