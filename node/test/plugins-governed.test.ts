/**
 * Governed enabling of plugins on a real Hardhat chain: a parameters manifest adopted through the
 * governor (propose, vote, queue, execute) that requires the PII redactor (by name, version and
 * package digest) leaves the node that runs it healthy and makes the node that lacks it say so in
 * /health (degraded, with the reason) and /api/plugins; a second adoption that forbids it stops
 * the node that runs it from calling it.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { HealthReport, ManifestParameters, PluginsReport } from "@ns-llm/contracts";
import { packageDigest } from "../src/plugins/index.ts";
import { json, metricValue, startTestNode, type TestNode } from "./helpers/api-node.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { adopt } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

const PII = path.resolve(import.meta.dirname, "..", "..", "plugins", "pii-redactor");
const NAME = "ns-llm-plugin-pii-redactor";

let chain: TestChain;
let withPlugin: TestNode;
let without: TestNode;
let version = 0;

before(async () => {
  chain = await startTestChain();
  const env = { NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile };
  withPlugin = await startTestNode({ chain: true }, { ...env, NS_LLM_PLUGINS: PII });
  without = await startTestNode({ chain: true }, env);
});

after(async () => {
  await withPlugin?.stop();
  await without?.stop();
  await chain?.stop();
});

/** Publishes a parameters manifest and adopts it through the governor; resolves once both nodes applied it. */
async function vote(parameters: ManifestParameters): Promise<void> {
  const name = `ns-llm-test-plugins-${++version}`;
  // Published on both nodes (the same bytes, the same CID): each reads it from its own IPFS repo.
  const [cid, digest] = await Promise.all(
    [withPlugin, without].map(async (node) => {
      const published = await fetch(`${node.url}/api/manifests`, json({ schema: "ns-llm.manifest/v1", role: "parameters", name, parameters }));
      assert.equal(published.status, 200, await published.clone().text());
      const body = (await published.json()) as { cid: string; digest: `0x${string}` };
      return [body.cid, body.digest] as const;
    }),
  ).then(([a, b]) => {
    assert.equal(a![0], b![0]);
    return a!;
  });
  await adopt(chain, { role: "parameters", cid, digest, name });
  await waitUntil("both nodes to apply the adoption", async () => withPlugin.governed.source?.cid === cid && without.governed.source?.cid === cid, 60_000, undefined, 20);
}

const health = async (node: TestNode) => (await (await fetch(`${node.url}/health`)).json()) as HealthReport;

describe("a vote that requires, then forbids, a plugin", () => {
  it("a manifest naming a plugin badly is refused before any vote", async () => {
    const r = await fetch(`${withPlugin.url}/api/manifests`, json({ schema: "ns-llm.manifest/v1", role: "parameters", name: "bad-plugins", parameters: { plugins: { required: [{ name: "Not A Name", digest: "xyz" }] } } }));
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.match(body.error.message, /plugins\/required\/0\/(name|digest)/);
  });

  it("required: the node that lacks it is degraded and says which plugin and why; the node that runs it is not", async () => {
    const before = await health(without);
    assert.ok(!before.reasons.some((r) => /plugin/.test(r)));
    const digest = await packageDigest(PII);
    await vote({ plugins: { required: [{ name: NAME, version: "1.0.0", digest }] } });

    const lacking = await health(without);
    assert.equal(lacking.status, "degraded");
    assert.ok(lacking.reasons.includes(`plugin ${NAME}@1.0.0 required by the governed parameters is missing: not installed (add it to NS_LLM_PLUGINS)`), lacking.reasons.join("; "));
    assert.deepEqual(lacking.plugins?.missing, [{ name: NAME, version: "1.0.0", digest, reason: "not installed (add it to NS_LLM_PLUGINS)" }]);

    const running = await health(withPlugin);
    assert.ok(!running.reasons.some((r) => /plugin/.test(r)), running.reasons.join("; "));
    assert.deepEqual(running.plugins?.missing, []);
    const report = (await (await fetch(`${withPlugin.url}/api/plugins`)).json()) as PluginsReport;
    assert.equal(report.plugins[0]!.state, "running");
    const answer = (await (await fetch(`${withPlugin.url}/generate`, json({ prompt: "hello", maxTokens: 6 }))).json()) as { validation: { plugins?: Array<{ plugin: string }> } };
    assert.deepEqual(answer.validation.plugins?.map((p) => p.plugin), [NAME]);
  });

  it("required with another digest: the node that runs another build says so", async () => {
    await vote({ plugins: { required: [{ name: NAME, digest: "0".repeat(64) }] } });
    const running = await health(withPlugin);
    assert.equal(running.status, "degraded");
    assert.ok(running.reasons.some((r) => r.startsWith(`plugin ${NAME} required by the governed parameters is missing: runs digest `)), running.reasons.join("; "));
  });

  it("forbidden: the node that has it stops calling it", async () => {
    await vote({ plugins: { forbidden: [{ name: NAME }] } });
    const report = (await (await fetch(`${withPlugin.url}/api/plugins`)).json()) as PluginsReport;
    assert.equal(report.plugins[0]!.state, "forbidden");
    const series = `ns_llm_plugin_calls_total{plugin="${NAME}",hook="answer",outcome="ok"}`;
    const callsBefore = metricValue(await (await fetch(`${withPlugin.url}/metrics`)).text(), series);
    const answer = (await (await fetch(`${withPlugin.url}/generate`, json({ prompt: "hello again", maxTokens: 6 }))).json()) as { validation: { plugins?: unknown[] } };
    assert.equal(answer.validation.plugins, undefined);
    assert.equal(metricValue(await (await fetch(`${withPlugin.url}/metrics`)).text(), series), callsBefore);
    assert.equal((await health(without)).status, (await health(withPlugin)).status, "nothing is required any more");
  });
});
