/**
 * /metrics shows how the generation model's decode batches go: batches, the next-token steps in
 * them (one per generated token after an answer's first, which comes with its prompt), and
 * llama.cpp's passes over the weights for them (one per batch at best; more when a batch's
 * sequence ids are out of order). How many requests share a batch depends on when each arrives,
 * so that is not asserted here (generation-batching.test.ts does, on the engine).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { json, metricValue, startTestNode, type TestNode } from "./helpers/api-node.ts";

describe("decode batching in /metrics", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(() => node?.stop());

  it("counts batches, steps and passes of the serving generation model", async () => {
    const scrape = async () => {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const of = (count: string) => metricValue(text, `ns_llm_generation_decode_batching{model="ns-llm-demo-llama",count="${count}"}`);
      return { batches: of("batches"), steps: of("steps"), passes: of("passes") };
    };
    const before = await scrape();
    const prompts = ["the old house by the river", "a story about the sea", "we saw the young tree", "the long road home"];
    const answers = await Promise.all(
      prompts.map(async (prompt) => {
        const response = await fetch(`${node.url}/v1/completions`, json({ prompt, max_tokens: 24, temperature: 0 }));
        assert.equal(response.status, 200);
        return (await response.json()) as { usage: { completion_tokens: number } };
      }),
    );
    assert.deepEqual(
      answers.map((a) => a.usage.completion_tokens),
      [24, 24, 24, 24],
    );
    const after = await scrape();
    const batches = after.batches - before.batches;
    const steps = after.steps - before.steps;
    const passes = after.passes - before.passes;
    assert.equal(steps, 4 * 23, "a next-token step for every token of each answer but its first");
    // At least one batch per 4 steps (never more requests than that at once), at most one per step and per prompt.
    assert.ok(batches >= steps / 4 && batches <= steps + 4, `${steps} steps in ${batches} batches`);
    assert.ok(passes >= batches, `${passes} passes for ${batches} batches`);
  });
});
