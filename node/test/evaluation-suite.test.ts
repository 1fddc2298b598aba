/** The governed suite's checks on what a sandbox measured (node/src/dry-run/suite.ts): each property decides on its own. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkAnswer, suiteOf } from "../src/dry-run/index.ts";

const verdicts = (checks: Array<{ check: string; ok: boolean }>) => checks.map((c) => `${c.check}:${c.ok}`);

describe("evaluation suite checks", () => {
  it("must contain / must not contain are case-insensitive substrings", () => {
    const spec = { prompt: "p", mustContain: ["Zebra"], mustNotContain: ["as an AI"] };
    assert.deepEqual(verdicts(checkAnswer(spec, { text: "a zebra has stripes", ms: 5, completed: true }, {})), ["answered:true", "must_contain:true", "must_not_contain:true"]);
    assert.deepEqual(verdicts(checkAnswer(spec, { text: "As an ai I cannot", ms: 5, completed: true }, {})), ["answered:true", "must_contain:false", "must_not_contain:false"]);
  });

  it("max latency, JSON, and an empty or cut answer", () => {
    const spec = { prompt: "p", maxLatencyMs: 100, json: true };
    assert.deepEqual(verdicts(checkAnswer(spec, { text: '{"a": 1}', ms: 100, completed: true }, {})), ["answered:true", "json:true", "max_latency:true"]);
    assert.deepEqual(verdicts(checkAnswer(spec, { text: '{"a": ', ms: 101, completed: true }, {})), ["answered:true", "json:false", "max_latency:false"]);
    assert.deepEqual(verdicts(checkAnswer(spec, { text: "[1]", ms: 1, completed: true }, {})), ["answered:true", "json:false", "max_latency:true"], "an array is not an object");
    assert.deepEqual(verdicts(checkAnswer({ prompt: "p" }, { text: "  ", ms: 1, completed: true }, {})), ["answered:false"]);
  });

  it("embeddings: a unit vector of the manifest's length, and the suite's dimensions", () => {
    const m = { text: "[384 dimensions]", ms: 3, completed: true, dimensions: 384, unit: true };
    assert.deepEqual(verdicts(checkAnswer({ prompt: "p" }, m, {}, 384)), ["unit_vector:true"]);
    assert.deepEqual(verdicts(checkAnswer({ prompt: "p" }, m, { dimensions: 768 }, 384)), ["unit_vector:true", "dimensions:false"]);
    assert.deepEqual(verdicts(checkAnswer({ prompt: "p" }, { ...m, unit: false }, {}, 384)), ["unit_vector:false"]);
  });

  it("a manifest's suite: its CID as id, the defaults where it says nothing", () => {
    const suite = suiteOf({ schema: "ns-llm.manifest/v1", role: "evaluation", name: "s", evaluation: { prompts: [{ prompt: "x" }] } }, "bafk-suite");
    assert.deepEqual(suite, { id: "bafk-suite", name: "s", prompts: [{ prompt: "x" }], maxTokens: 16, passRate: 1 });
  });
});
