/**
 * The example plugins (plugins/ at the repo root) loaded into a real node: the PII redactor
 * changes answers (e-mail addresses and phone numbers never reach the client, the verdict and
 * /metrics say how many were removed), and the SLA scorer reports every answer's latency against
 * its objective on /metrics; /api/plugins lists both with their digests and panels.
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { PluginsReport } from "@ns-llm/contracts";
import { packageDigest } from "../src/plugins/index.ts";
import { json, metricValue, readSse, startTestNode, type TestNode } from "./helpers/api-node.ts";

const EXAMPLES = path.resolve(import.meta.dirname, "..", "..", "plugins");
const CORPUS = "# Support\n\nWrite to alice.smith@example.com or call +1 (555) 123-4567 for support. The support desk answers within a day.\n";

describe("the PII redactor and the SLA scorer in a node answering from search", () => {
  let node: TestNode;
  let work: string;
  let sla: string;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "ns-llm-plugin-examples-"));
    await mkdir(path.join(work, "docs"));
    await writeFile(path.join(work, "docs", "support.md"), CORPUS);
    // The SLA scorer with an objective of 0 ms: every answer breaches it.
    sla = path.join(work, "sla-scorer");
    await cp(path.join(EXAMPLES, "sla-scorer"), sla, { recursive: true });
    await writeFile(path.join(sla, "sla.json"), JSON.stringify({ objectiveMs: 0 }));
    node = await startTestNode({ demo: false, corpus: [path.join(work, "docs")] }, { NS_LLM_PLUGINS: `${path.join(EXAMPLES, "pii-redactor")},${sla}` });
  });
  after(async () => {
    await node?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("redacts e-mail addresses and phone numbers from the answer, says so in the verdict and the metrics", async () => {
    const body = (await (await fetch(`${node.url}/generate`, json({ prompt: "how do I contact support" }))).json()) as {
      text: string;
      source: string;
      validation: { verdict: string; plugins: Array<{ plugin: string; verdict: string; score?: number; rewrites?: number }> };
    };
    assert.equal(body.source, "search");
    assert.match(body.text, /Write to \[email\] or call \[phone\] for support/);
    assert.ok(!/alice|555/.test(body.text), body.text);
    assert.equal(body.validation.verdict, "pass");
    const pii = body.validation.plugins.find((p) => p.plugin === "ns-llm-plugin-pii-redactor")!;
    assert.equal(pii.verdict, "pass");
    assert.equal(pii.score, 2);
    assert.equal(pii.rewrites, 1);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'ns_llm_plugin_pii_redactions_total{plugin="ns-llm-plugin-pii-redactor",kind="email"}'), 1);
    assert.equal(metricValue(metrics, 'ns_llm_plugin_pii_redactions_total{plugin="ns-llm-plugin-pii-redactor",kind="phone"}'), 1);
  });

  it("redacts a streamed answer too (the client never sees the address)", async () => {
    const events = await readSse(await fetch(`${node.url}/generate`, json({ prompt: "support e-mail", stream: true })));
    const streamed = events.map((e) => (e as { token?: string }).token ?? "").join("");
    assert.match(streamed, /\[email\]/);
    assert.ok(!streamed.includes("@example.com"));
  });

  it("the SLA scorer counts every answer against its objective", async () => {
    // the answered hook runs after the answer is recorded: wait for it to land
    let metrics = "";
    for (let i = 0; i < 50; i++) {
      metrics = await (await fetch(`${node.url}/metrics`)).text();
      if (metricValue(metrics, 'ns_llm_plugin_sla_answers_total{plugin="ns-llm-plugin-sla-scorer",source="search",outcome="breached"}') >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(metricValue(metrics, 'ns_llm_plugin_sla_answers_total{plugin="ns-llm-plugin-sla-scorer",source="search",outcome="breached"}'), 2);
    assert.equal(metricValue(metrics, 'ns_llm_plugin_sla_answer_seconds_count{plugin="ns-llm-plugin-sla-scorer",source="search"}'), 2);
    assert.equal(metricValue(metrics, 'ns_llm_plugin_sla_objective_seconds{plugin="ns-llm-plugin-sla-scorer"}'), 0);
  });

  it("GET /api/plugins lists both, with their package digests, hooks, permissions and panels", async () => {
    const report = (await (await fetch(`${node.url}/api/plugins`)).json()) as PluginsReport;
    assert.deepEqual(report.missing, []);
    const [pii, slaPlugin] = report.plugins;
    assert.equal(pii!.name, "ns-llm-plugin-pii-redactor");
    assert.equal(pii!.digest, await packageDigest(path.join(EXAMPLES, "pii-redactor")));
    assert.deepEqual(pii!.hooks, ["answer"]);
    assert.deepEqual(pii!.permissions, ["answer:rewrite", "metrics"]);
    assert.deepEqual(pii!.panels.map((p) => [p.title, p.chart, p.by]), [["PII redacted", "bars", "kind"]]);
    assert.equal(slaPlugin!.digest, await packageDigest(sla));
    assert.notEqual(slaPlugin!.digest, await packageDigest(path.join(EXAMPLES, "sla-scorer")), "sla.json is part of the digest");
  });
});

describe("the SLA scorer in a node generating with the demo model", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({}, { NS_LLM_PLUGINS: path.join(EXAMPLES, "sla-scorer") });
  });
  after(() => node?.stop());

  it("meets its 2 s objective on short demo answers and says so on /metrics", async () => {
    for (const prompt of ["one", "two", "three"]) {
      const r = await fetch(`${node.url}/generate`, json({ prompt, maxTokens: 8 }));
      assert.equal(((await r.json()) as { source: string }).source, "llm");
    }
    let metrics = "";
    for (let i = 0; i < 50; i++) {
      metrics = await (await fetch(`${node.url}/metrics`)).text();
      if (metricValue(metrics, 'ns_llm_plugin_sla_answer_seconds_count{plugin="ns-llm-plugin-sla-scorer",source="llm"}') >= 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(metricValue(metrics, 'ns_llm_plugin_sla_answer_seconds_count{plugin="ns-llm-plugin-sla-scorer",source="llm"}'), 3);
    const met = metricValue(metrics, 'ns_llm_plugin_sla_answers_total{plugin="ns-llm-plugin-sla-scorer",source="llm",outcome="met"}');
    const breached = metricValue(metrics, 'ns_llm_plugin_sla_answers_total{plugin="ns-llm-plugin-sla-scorer",source="llm",outcome="breached"}');
    assert.equal(met + breached, 3);
    assert.equal(metricValue(metrics, 'ns_llm_plugin_sla_objective_seconds{plugin="ns-llm-plugin-sla-scorer"}'), 2);
  });
});
