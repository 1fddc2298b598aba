/**
 * Contributor plugins are contained: a plugin that throws, loops forever or allocates without
 * bound is stopped for that call (its worker terminated at the time budget or by its heap limit),
 * counted in /metrics, restarted for the next call, and the node keeps answering meanwhile.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { createPlugins, type Plugins } from "../src/plugins/index.ts";
import { json, metricValue, startTestNode, type TestNode } from "./helpers/api-node.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "plugins");

async function pluginsOf(names: string[], budget = { callMs: 300, memoryMb: 16 }): Promise<{ plugins: Plugins; registry: Registry }> {
  const registry = new Registry();
  const plugins = await createPlugins({ specs: names.map((n) => path.join(FIXTURES, n)), from: FIXTURES, budget, governed: () => ({}), registry });
  return { plugins, registry };
}

describe("a misbehaving plugin is stopped for that call and restarted", () => {
  it("throws: the unit is sent unchanged, the verdict says error, the failure is counted", async () => {
    const { plugins, registry } = await pluginsOf(["thrower"]);
    try {
      const check = plugins.beginAnswer("hi");
      assert.deepEqual(await check.check("Hello there. ", "Hello there. ", false), { unit: "Hello there. " });
      const [v] = check.verdicts();
      assert.equal(v!.verdict, "error");
      assert.match(v!.detail!, /always throws/);
      const text = await registry.metrics();
      assert.equal(metricValue(text, 'ns_llm_plugin_calls_total{plugin="test-plugin-thrower",hook="answer",outcome="error"}'), 1);
      assert.equal(plugins.report().plugins[0]!.restarts, 0, "a throw does not cost the worker");
    } finally {
      await plugins.close();
    }
  });

  it("loops forever: stopped at the time budget, the event loop never blocked, the next call answered by a fresh worker", async () => {
    const { plugins, registry } = await pluginsOf(["looper"]);
    try {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      const began = performance.now();
      const check = plugins.beginAnswer("hi");
      const r = await check.check("loop here. ", "loop here. ", false);
      const waited = performance.now() - began;
      clearInterval(ticker);
      assert.equal(r.unit, "loop here. ");
      assert.equal(check.verdicts()[0]!.verdict, "error");
      assert.match(check.verdicts()[0]!.detail!, /^timeout/);
      assert.ok(waited < 5_000, `returned after ${waited} ms`);
      assert.ok(ticks >= 5, `the node's event loop kept running (${ticks} ticks)`);
      const text = await registry.metrics();
      assert.equal(metricValue(text, 'ns_llm_plugin_restarts_total{plugin="test-plugin-looper",reason="timeout"}'), 1);
      assert.equal(metricValue(text, 'ns_llm_plugin_calls_total{plugin="test-plugin-looper",hook="answer",outcome="timeout"}'), 1);
      const next = plugins.beginAnswer("hi");
      await next.check("fine. ", "fine. ", false);
      assert.deepEqual(next.verdicts()[0], { plugin: "test-plugin-looper", version: "0.0.1", verdict: "pass", score: 1 });
    } finally {
      await plugins.close();
    }
  });

  it("allocates without bound: stopped by its heap limit, counted as memory, the node's own heap untouched", async () => {
    const { plugins, registry } = await pluginsOf(["hog"], { callMs: 60_000, memoryMb: 16 });
    try {
      const heapBefore = process.memoryUsage().heapUsed;
      const check = plugins.beginAnswer("hi");
      const r = await check.check("grow. ", "grow. ", false);
      assert.equal(r.unit, "grow. ");
      assert.match(check.verdicts()[0]!.detail!, /^memory: .*16 MB heap/);
      const text = await registry.metrics();
      assert.equal(metricValue(text, 'ns_llm_plugin_restarts_total{plugin="test-plugin-hog",reason="memory"}'), 1);
      assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 ** 2, "the allocations were the worker's, not the node's");
      assert.equal(plugins.report().plugins[0]!.state, "running");
    } finally {
      await plugins.close();
    }
  });

  it("a plugin that does not load is reported as failed, and the others run", async () => {
    const broken = await mkdtemp(path.join(os.tmpdir(), "ns-llm-broken-plugin-"));
    await writeFile(path.join(broken, "package.json"), JSON.stringify({ name: "broken", version: "1.0.0", nsLlm: { hooks: ["answer", "teleport"] } }));
    const registry = new Registry();
    const plugins = await createPlugins({ specs: [broken, path.join(FIXTURES, "refuser"), "./does-not-exist"], from: FIXTURES, budget: { callMs: 500, memoryMb: 16 }, governed: () => ({}), registry });
    try {
      const report = plugins.report();
      assert.deepEqual(
        report.plugins.map((p) => [p.name, p.state]),
        [["test-plugin-refuser", "running"], [broken, "failed"], ["./does-not-exist", "failed"]],
      );
      assert.match(report.plugins[1]!.error!, /unknown hook "teleport"/);
      assert.match(report.plugins[2]!.error!, /does not exist/);
    } finally {
      await plugins.close();
      await rm(broken, { recursive: true, force: true });
    }
  });
});

describe("a node with a plugin that loops forever keeps serving", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({}, { NS_LLM_PLUGINS: `${path.join(FIXTURES, "looper")},${path.join(FIXTURES, "refuser")}`, NS_LLM_PLUGIN_CALL_MS: "300" });
  });
  after(() => node?.stop());

  it("answers every request, the looper's failures counted and reported in /health", async () => {
    const answers = await Promise.all(
      ["loop forever please", "say something", "another one"].map(async (prompt) => {
        const r = await fetch(`${node.url}/generate`, json({ prompt, maxTokens: 12, temperature: 0 }));
        assert.equal(r.status, 200);
        return (await r.json()) as { text: string; validation: { plugins: Array<{ plugin: string; verdict: string; detail?: string }> } };
      }),
    );
    for (const a of answers) {
      assert.ok(a.text.length > 0, "an answer was sent");
      assert.deepEqual(a.validation.plugins.map((p) => p.plugin), ["test-plugin-looper", "test-plugin-refuser"]);
    }
    const looped = answers[0]!.validation.plugins[0]!;
    assert.equal(looped.verdict, "error");
    assert.match(looped.detail!, /^timeout/);
    const health = (await (await fetch(`${node.url}/health`)).json()) as { plugins: { plugins: Array<{ name: string; state: string }> } };
    assert.deepEqual(health.plugins.plugins.map((p) => [p.name, p.state]), [["test-plugin-looper", "running"], ["test-plugin-refuser", "running"]]);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.ok(metricValue(metrics, 'ns_llm_plugin_calls_total{plugin="test-plugin-refuser",hook="answer",outcome="ok"}') >= 3);
    assert.ok(metricValue(metrics, 'ns_llm_plugin_restarts_total{plugin="test-plugin-looper",reason="timeout"}') >= 1);
  });

  it("a plugin's refusal stops the answer (layer plugin); its prompt hook rewrites the prompt", async () => {
    const check = node.plugins.beginAnswer("x");
    const r = await check.check("this has forbidden-word in it. ", "this has forbidden-word in it. ", false);
    assert.equal(r.refusal, "test-plugin-refuser: mentions forbidden-word");
    assert.equal(await node.plugins.rewritePrompt("complete", "PING"), "pong");
    assert.equal(await node.plugins.rewritePrompt("complete", "other"), "other");
  });
});
