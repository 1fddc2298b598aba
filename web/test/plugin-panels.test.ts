/**
 * Plugin panels on the dApp's node page (issue 21), in Debian's Chromium against the production
 * build: a node running the example plugins (PII redactor, SLA scorer) declares their panels on
 * /api/plugins, and /node draws them from the node's /metrics with no plugin-specific dApp code,
 * labelled as reported by the node. Also the panel computation alone, on a recorded scrape.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { PluginsReport } from "@ns-llm/contracts";
import { pluginPanels } from "../lib/plugin-panels.ts";
import { parsePrometheusText } from "../lib/prometheus.ts";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, withFailureScreenshot, type TestBrowser } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { startDemoNode, type DemoNode } from "./harness/ns-demo-node.ts";
import { waitForText } from "./harness/page-helpers.ts";
import { freePort } from "./harness/processes.ts";

const EXAMPLES = path.resolve(import.meta.dirname, "..", "..", "plugins");

describe("plugin panels computed from a scrape", () => {
  const report = {
    missing: [],
    plugins: [
      {
        name: "p", version: "1.0.0", digest: "d".repeat(64), location: "/x", hooks: ["answered"], permissions: ["metrics"], state: "running", failures: 0, restarts: 0, metrics: [],
        panels: [
          { title: "By outcome", chart: "bars", metrics: ["answers_total"], by: "outcome" },
          { title: "Latency", chart: "histogram", metrics: ["latency_seconds"] },
          { title: "Objective", chart: "stat", metrics: ["objective_seconds"] },
        ],
      },
      { name: "off", version: "1", digest: "", location: "", hooks: ["answer"], permissions: [], state: "forbidden", failures: 0, restarts: 0, metrics: [], panels: [{ title: "Hidden", chart: "stat", metrics: ["x"] }] },
    ],
  } satisfies PluginsReport;
  const scrape = parsePrometheusText(
    [
      'ns_llm_plugin_answers_total{plugin="p",source="llm",outcome="met"} 3',
      'ns_llm_plugin_answers_total{plugin="p",source="search",outcome="met"} 1',
      'ns_llm_plugin_answers_total{plugin="p",source="llm",outcome="breached"} 2',
      'ns_llm_plugin_answers_total{plugin="other",source="llm",outcome="breached"} 50',
      'ns_llm_plugin_latency_seconds_bucket{le="0.5",plugin="p"} 2',
      'ns_llm_plugin_latency_seconds_bucket{le="1",plugin="p"} 5',
      'ns_llm_plugin_latency_seconds_bucket{le="+Inf",plugin="p"} 6',
      'ns_llm_plugin_latency_seconds_count{plugin="p"} 6',
      'ns_llm_plugin_objective_seconds{plugin="p"} 2',
    ].join("\n"),
  );

  it("bars sum by the panel's label, histograms give per-bucket counts, stats a number; forbidden plugins show none", () => {
    const panels = pluginPanels(report, scrape);
    assert.deepEqual(panels.map((p) => p.key), ["p/By outcome", "p/Latency", "p/Objective"]);
    assert.deepEqual(panels[0]!.bars, [{ label: "breached", value: 2 }, { label: "met", value: 4 }]);
    assert.deepEqual(panels[1]!.bars, [{ label: "≤ 0.5", value: 2 }, { label: "≤ 1", value: 3 }, { label: "+Inf", value: 1 }]);
    assert.equal(panels[1]!.count, 6);
    assert.deepEqual(panels[2]!.bars, [{ label: "objective_seconds", value: 2 }]);
  });
});

describe("/node shows a plugin's panels (Chromium)", () => {
  let chain: TestChain | undefined;
  let node: DemoNode | undefined;
  let app: TestApp | undefined;
  let browser: TestBrowser | undefined;

  before(async () => {
    const build = await buildApp();
    console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
    chain = await startChain();
    const appPort = await freePort();
    // The demo node's environment is this process's: the plugins are listed there.
    process.env.NS_LLM_PLUGINS = `${path.join(EXAMPLES, "sla-scorer")},${path.join(EXAMPLES, "pii-redactor")}`;
    try {
      node = await startDemoNode({ rpcUrl: chain.url, deploymentFile: chain.deploymentFile, corsOrigin: `http://127.0.0.1:${appPort}` });
    } finally {
      delete process.env.NS_LLM_PLUGINS;
    }
    app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl: node.url });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await node?.stop();
    await chain?.stop();
  });

  it("draws the SLA scorer's panels from the node's metrics, labelled as reported by the node", async () => {
    for (const prompt of ["one", "two", "three"]) {
      const r = await fetch(new URL("/generate", node!.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, maxTokens: 6 }) });
      assert.equal(r.status, 200);
    }
    const page = await browser!.context.newPage();
    await withFailureScreenshot(page, "plugin-panels", async () => {
      await page.goto(`${app!.url}/node`);
      const section = page.getByTestId("plugin-panels");
      await waitForText(section, /Reported by the node .* not verified on chain/, 60_000);
      await waitForText(page.getByTestId("plugin-ns-llm-plugin-sla-scorer"), /ns-llm-plugin-sla-scorer 1\.0\.0 · running/);
      await waitForText(page.getByTestId("plugin-ns-llm-plugin-pii-redactor"), /running · hooks answer/);
      const sla = page.locator('[data-panel="ns-llm-plugin-sla-scorer/Answers within the SLA"]');
      // three answers, each met or breached its objective: the bars add up to 3
      await waitForText(sla, /met|breached/, 30_000);
      const values = (await sla.getByTestId("plugin-bar-value").allTextContents()).map(Number);
      assert.equal(values.reduce((a, b) => a + b, 0), 3);
      await waitForText(page.locator('[data-panel="ns-llm-plugin-sla-scorer/Answer latency"]'), /3 observations/);
      await waitForText(page.locator('[data-panel="ns-llm-plugin-pii-redactor/PII redacted"]'), /no data yet/);
    });
  });
});
