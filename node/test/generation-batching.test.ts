/**
 * Concurrent generation on one context: requests that run together share decode batches, and
 * each gets the answer it would get alone; a shared prompt start (a system prompt) is reused
 * across requests without changing any answer.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDemoLlama } from "../src/demo/demo-llama.ts";
import type { ChatMessage } from "../src/inference/types.ts";
import { createGenerationEngine, type LlamaGenerationEngine } from "../src/inference/generation/index.ts";

const prompts = ["the old house by the river", "a story about the sea", "we saw the young tree", "the long road home"];
/** A system prompt of some 100 tokens, shared by every chat below. */
const system = Array.from({ length: 6 }, (_, i) => `Rule ${i}: the answer is short and plain, about the house, the river and the road.`).join(" ");
const chat = (question: string): ChatMessage[] => [
  { role: "system", content: system },
  { role: "user", content: question },
];

describe("generation engine under concurrency (demo llama model, 4 sequences)", () => {
  let dir: string;
  let modelPath: string;
  let engine: LlamaGenerationEngine;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-batching-"));
    modelPath = path.join(dir, "demo-llama.gguf");
    await writeDemoLlama(modelPath);
    engine = await createGenerationEngine({ modelPath, threads: 1, sequences: 4 });
  });
  after(async () => {
    await engine?.dispose({ force: true });
    await rm(dir, { recursive: true, force: true });
  });

  // Greedy only: a batch of 4 computes logits in another order of float additions than a batch
  // of 1 (llama.cpp alike), which can move a seeded sample across a boundary of its distribution.
  it("gives 4 requests at once the texts each gets alone (greedy), and decodes their tokens together", async () => {
    for (const sampling of [{ temperature: 0 }]) {
      const alone: string[] = [];
      for (const prompt of prompts) alone.push((await engine.complete({ prompt, maxTokens: 40, ...sampling })).text);
      const before = engine.batching;
      const together = await Promise.all(prompts.map((prompt) => engine.complete({ prompt, maxTokens: 40, ...sampling })));
      assert.deepEqual(
        together.map((r) => r.text),
        alone,
      );
      assert.deepEqual(
        together.map((r) => r.tokens),
        [40, 40, 40, 40],
      );
      // 4 x 40 tokens: a batch takes every request's next token (not 3 of them and the 4th after).
      const batches = engine.batching.batches - before.batches;
      const steps = engine.batching.steps - before.steps;
      assert.ok(steps / batches > 3.5, `${steps} tokens in ${batches} batches`);
    }
  });

  it("keeps a burst's sequences consecutive when a free one shares only a few tokens with a prompt (one pass per batch)", async () => {
    // The four sequences hold four answers; then two requests come at once, the first starting
    // with the same few words as the last sequence's prompt. Taking that sequence for those few
    // words would leave ids 0 and 3 generating together: llama.cpp then decodes every batch in
    // two passes over the weights (full-batches.ts).
    await Promise.all(prompts.map((prompt) => engine.complete({ prompt, maxTokens: 8, temperature: 0 })));
    const before = engine.batching;
    const pair = await Promise.all([
      engine.complete({ prompt: "the long road by the sea", maxTokens: 24, temperature: 0 }),
      engine.complete({ prompt: "a small boat on the water", maxTokens: 24, temperature: 0 }),
    ]);
    assert.deepEqual(
      pair.map((r) => r.tokens),
      [24, 24],
    );
    const batches = engine.batching.batches - before.batches;
    const passes = engine.batching.passes - before.passes;
    assert.ok(engine.batching.steps - before.steps > batches, "the two requests shared batches");
    assert.equal(passes, batches, `${passes} passes over the weights for ${batches} batches`);
  });

  it("reuses a shared system prompt across requests, one at a time and several at once, with the same answers as without", async () => {
    const questions = ["where is the house?", "what is by the river?", "where does the road go?", "who lives there?"];
    // Reference: each question on an engine that holds nothing yet.
    const references: string[] = [];
    for (const question of questions) {
      const cold = await createGenerationEngine({ modelPath, threads: 1, sequences: 1 });
      try {
        const r = await cold.chat({ messages: chat(question), maxTokens: 16, temperature: 0 });
        assert.equal(r.cachedTokens, 0);
        references.push(r.text);
      } finally {
        await cold.dispose({ force: true });
      }
    }

    const first = await engine.chat({ messages: chat("a first question"), maxTokens: 16, temperature: 0 });
    const systemTokens = engine.countTokens(system);
    const second = await engine.chat({ messages: chat(questions[0]!), maxTokens: 16, temperature: 0 });
    assert.equal(second.text, references[0]);
    assert.ok(second.cachedTokens! >= systemTokens, `one at a time: ${second.cachedTokens} of ${second.promptTokens} prompt tokens reused (system prompt ${systemTokens})`);
    assert.ok(first.promptTokens > systemTokens);

    // A burst after a pause: the first request keeps the system prompt in the free sequences
    // that hold it, so that the others find it there with nothing to erase.
    await Promise.all(questions.map((q) => engine.chat({ messages: chat(q), maxTokens: 16, temperature: 0 })));
    const burst = await Promise.all(questions.map((q) => engine.chat({ messages: chat(q), maxTokens: 16, temperature: 0 })));
    assert.deepEqual(
      burst.map((r) => r.text),
      references,
    );
    for (const r of burst) assert.ok(r.cachedTokens! >= systemTokens, `at once: ${r.cachedTokens} of ${r.promptTokens} reused`);
  });
});
