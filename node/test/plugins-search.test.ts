/**
 * Plugin sources in the node's search: a plugin with a `search` hook (permission search:source)
 * adds passages the fallback answer cites, labelled with the plugin; a passage holding a governed
 * deny pattern is dropped; a search plugin that throws adds nothing and is counted. And the
 * `governance` hook is told of a published dry-run report (`type: "dry-run"`).
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { DRY_RUN_REPORT_SCHEMA, type DryRunReport } from "@ns-llm/contracts";
import { reportEvent } from "../src/dry-run/index.ts";
import { createPlugins } from "../src/plugins/index.ts";
import { json, metricValue, startTestNode, type TestNode } from "./helpers/api-node.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "plugins");

describe("a search plugin's passages in the node's answers from search", () => {
  let node: TestNode;
  before(async () => {
    const plugins = ["searcher", "thrower"].map((n) => path.join(FIXTURES, n)).join(",");
    // No generation model: every answer comes from search (the local corpus: one small document).
    const probe = await startTestNode({ demo: false });
    const corpus = path.join(probe.home, "corpus");
    await mkdir(corpus);
    await writeFile(path.join(corpus, "guide.md"), "# Guide\n\n## Audit\n\nEvery request goes into the audit log; batches become Merkle roots anchored on chain.\n");
    await probe.close();
    node = await startTestNode({ demo: false, corpus: [corpus], parameters: { validation: { denyPatterns: ["zebra-omega"] } } }, { NS_LLM_PLUGINS: plugins });
    const stop = node.stop;
    node.stop = async () => {
      await stop();
      await probe.stop();
    };
  });
  after(() => node?.stop());

  it("cites the plugin's passage, labelled with the plugin, in the audit entry's results too", async () => {
    const res = await fetch(`${node.url}/generate`, json({ prompt: "What colour is the Vellmar lighthouse?" }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.source, "search");
    assert.match(body.text, /from the local documents and the node.s plugin sources:/);
    assert.match(body.text, /\[test-plugin-searcher: Harbour handbook\] The Vellmar lighthouse is painted green and white/);
    const entry = await (await fetch(`${node.url}/api/audit?from=${body.auditSeq}&limit=1`)).json();
    assert.ok(JSON.stringify(entry).includes("plugin:test-plugin-searcher/harbour-1"), JSON.stringify(entry));
  });

  it("the local corpus still answers beside it; the throwing plugin added nothing and was counted", async () => {
    const body = await (await fetch(`${node.url}/generate`, json({ prompt: "audit log Merkle roots" }))).json();
    assert.match(body.text, /\[Audit\] Every request goes into the audit log/);
    assert.doesNotMatch(body.text, /test-plugin-thrower/);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.ok(metricValue(metrics, 'ns_llm_plugin_calls_total{plugin="test-plugin-thrower",hook="search",outcome="error"}') >= 2);
    assert.ok(metricValue(metrics, 'ns_llm_plugin_calls_total{plugin="test-plugin-searcher",hook="search",outcome="ok"}') >= 2);
  });

  it("drops a plugin passage holding a governed deny pattern (the answer is not cut)", async () => {
    const body = await (await fetch(`${node.url}/generate`, json({ prompt: "What is the vault code word?" }))).json();
    assert.equal(body.source, "search");
    assert.doesNotMatch(body.text, /zebra|kb\.example\/secret/i);
    assert.equal(body.finishReason, "stop");
  });
});

describe("the governance hook and published dry-run reports", () => {
  it("a plugin is told of a report this node published: type dry-run, its proposal, verdict and CIDs", async () => {
    const registry = new Registry();
    const plugins = await createPlugins({ specs: [path.join(FIXTURES, "searcher")], from: FIXTURES, budget: { callMs: 1000, memoryMb: 32 }, governed: () => ({}), registry });
    try {
      const report: DryRunReport = {
        schema: DRY_RUN_REPORT_SCHEMA,
        proposalId: "42",
        chainId: 31337,
        node: "0x0000000000000000000000000000000000000001",
        proposal: { role: "parameters", cid: "bafy-proposal", digest: `0x${"ab".repeat(32)}`, name: "stricter" },
        verdict: "Failed",
        reason: { code: "plugin_missing", message: "ns-llm-plugin-x: not installed" },
        suite: { id: "builtin", prompts: 0 },
        sandbox: { memoryBudgetBytes: 1, threads: 1 },
        software: "test",
        startedAt: new Date(0).toISOString(),
        finishedAt: new Date(0).toISOString(),
      };
      const event = reportEvent(report, { cid: "bafy-report", digest: `0x${"cd".repeat(32)}`, txHash: `0x${"ef".repeat(32)}` });
      assert.deepEqual(
        { type: event.type, proposalId: event.proposalId, role: event.role, cid: event.cid, verdict: event.verdict, reason: event.reason?.code, reportCid: event.reportCid },
        { type: "dry-run", proposalId: "42", role: "parameters", cid: "bafy-proposal", verdict: "Failed", reason: "plugin_missing", reportCid: "bafy-report" },
      );
      plugins.governance(event);
      // The hook is not awaited: wait for the plugin's counter.
      const series = 'ns_llm_plugin_test_events_total{plugin="test-plugin-searcher",type="dry-run",verdict="Failed"}';
      let seen = 0;
      for (let i = 0; i < 100 && seen === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen = metricValue(await registry.metrics(), series);
      }
      assert.equal(seen, 1);
    } finally {
      await plugins.close();
    }
  });
});
