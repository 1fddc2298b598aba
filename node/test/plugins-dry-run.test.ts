/**
 * A node's dry-run report on a parameters proposal that requires a plugin it does not run fails
 * with `plugin_missing` and names the plugin; the same proposal passes on a node that runs it.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeManifest, manifestDigest } from "@ns-llm/contracts";
import { BUILTIN_SUITE, evaluateProposal } from "../src/dry-run/index.ts";
import { parseManifest } from "../src/manifest/index.ts";
import { packageDigest } from "../src/plugins/index.ts";
import { startTestNode, type TestNode } from "./helpers/api-node.ts";

const PII = path.resolve(import.meta.dirname, "..", "..", "plugins", "pii-redactor");

describe("dry-run reports of a proposal requiring a plugin", () => {
  let withPlugin: TestNode;
  let without: TestNode;
  before(async () => {
    [withPlugin, without] = await Promise.all([startTestNode({ demo: false }, { NS_LLM_PLUGINS: PII }), startTestNode({ demo: false })]);
  });
  after(async () => {
    await withPlugin?.stop();
    await without?.stop();
  });

  it("fails (plugin_missing) on the node that lacks it, passes on the node that runs it", async () => {
    const digest = await packageDigest(PII);
    const bytes = encodeManifest({ schema: "ns-llm.manifest/v1", role: "parameters", name: "require-pii", parameters: { plugins: { required: [{ name: "ns-llm-plugin-pii-redactor", digest }] } } });
    const evaluate = (node: TestNode) =>
      evaluateProposal({
        adoption: { proposalId: 7n, role: "parameters", cid: "bafy-test", digest: manifestDigest(bytes) },
        chainId: 31337,
        node: "0x0000000000000000000000000000000000000001",
        fetchManifest: async () => bytes,
        parseManifest: (b) => parseManifest(b),
        store: undefined as never,
        fetchers: {},
        suite: BUILTIN_SUITE,
        memoryBudgetBytes: 1024 ** 3,
        signal: new AbortController().signal,
        software: "test",
        missingPlugins: (required) => node.plugins.lacking(required).map((m) => `${m.name}: ${m.reason}`),
      });
    const lacking = await evaluate(without);
    assert.equal(lacking.verdict, "Failed");
    assert.deepEqual(lacking.reason, { code: "plugin_missing", message: "ns-llm-plugin-pii-redactor: not installed (add it to NS_LLM_PLUGINS)" });
    const running = await evaluate(withPlugin);
    assert.equal(running.verdict, "Passed");
  });
});
