/**
 * The node page's validation figures over what the node's own validation service writes to
 * /metrics: refusals per layer, and the score distributions with what a threshold would refuse.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics } from "../../node/src/metrics.ts";
import { createValidation } from "../../node/src/validation/index.ts";
import { parsePrometheusText } from "../lib/prometheus.ts";
import { validateManifest } from "../lib/validate-manifest.ts";
import { validationSummary, wouldRefuse } from "../lib/validation-metrics.ts";

test("refusals by layer and score distributions, from the node's real metrics", async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  let parameters = {};
  const validation = createValidation({ parameters: () => parameters, registry: metrics.registry, refusals: metrics.validationRefusals });
  const answer = async (text: string) => {
    const check = validation.begin("a prompt", () => {}, () => {});
    check.gate.push(text);
    return check.finish();
  };
  await answer("A calm answer about water. ");
  await answer("What a fuuuuck mess. ");
  parameters = { validation: { maxToxicity: 0.5 } };
  assert.equal((await answer("Another fuuuuck. ")).layer, "toxicity");
  parameters = { validation: { maxChars: 5 } };
  assert.equal((await answer("Far too long. ")).layer, "length");

  const summary = validationSummary(parsePrometheusText(await metrics.registry.metrics()));
  assert.equal(summary.answers, 4);
  assert.equal(summary.refusals.toxicity, 1);
  assert.equal(summary.refusals.length, 1);
  assert.equal(summary.refusals.coherence, 0);
  assert.equal(summary.toxicity.reduce((n, b) => n + b.answers, 0), 4);
  assert.equal(summary.toxicity[0]!.answers, 2, "two answers scored 0 (lexicon)");
  assert.equal(wouldRefuse(summary.toxicity, 0.5, "above"), 2, "a maxToxicity of 0.5 refuses the two lexicon hits");
  await validation.close();
});

test("the browser refuses a rule that would not compile, with RE2's reason, before any proposal", () => {
  const check = validateManifest({
    schema: "ns-llm.manifest/v1",
    role: "parameters",
    name: "bad-rule",
    parameters: { validation: { rules: [{ id: "back-ref", kind: "regex", pattern: "(a)\\1" }] } },
  });
  assert.equal(check.ok, false);
  assert.match((check as { errors: string[] }).errors.join("\n"), /parameters\.validation\.rules\.0\.pattern does not compile/);
});
