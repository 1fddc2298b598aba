/**
 * The governed GPU layer cap on a real Hardhat chain: proposals adopted through the governor
 * (propose, vote, queue, execute) set `limits.maxGpuLayers`, and the running node's /health and
 * GET /api/governance show the cap in force; the operator's NS_LLM_MAX_GPU_LAYERS caps it; a
 * generation model adopted afterwards is loaded under it (llama.loadModel's `gpuLayers`); bad
 * values are refused at the node's manifest validation, with the reason.
 *
 * This machine has no GPU (llama.cpp's `supportsGpuOffloading` is false): every model offloads 0
 * layers whatever the cap, so a vote changing the cap reloads nothing (asserted: no swap), and a
 * reload that offloads a different number of layers cannot be exercised here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GovernanceResponse, HealthReport, ManifestParameters } from "@ns-llm/contracts";
import type { LlamaModelOptions } from "node-llama-cpp";
import { getSharedLlama } from "../src/inference/generation/llama-runtime.ts";
import { json, metricValue, startTestNode, type TestNode } from "./helpers/api-node.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { adopt, generationManifest, otherDemoLlama, sha256Hex } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

/** The operator's ceiling in this test (NS_LLM_MAX_GPU_LAYERS). */
const CEILING = 16;
const SWAPS = 'ns_llm_model_swaps_total{role="generation"}';

let chain: TestChain;
let node: TestNode;
let version = 0;
const loadOptions: Array<LlamaModelOptions["gpuLayers"]> = [];
let restoreLoadModel: (() => void) | undefined;

before(async () => {
  // Every load of a model in this process goes through the shared binding: record its gpuLayers.
  const llama = await getSharedLlama();
  const original = llama.loadModel;
  llama.loadModel = function (this: typeof llama, options: LlamaModelOptions) {
    loadOptions.push(options.gpuLayers);
    return original.call(this, options);
  };
  restoreLoadModel = () => {
    llama.loadModel = original;
  };
  chain = await startTestChain();
  node = await startTestNode({ chain: true, sequences: 1 }, { NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_MAX_GPU_LAYERS: String(CEILING) });
});

after(async () => {
  restoreLoadModel?.();
  await node?.stop();
  await chain?.stop();
});

const health = async () => (await (await fetch(`${node.url}/health`)).json()) as HealthReport;
const governance = async () => (await (await fetch(`${node.url}/api/governance`)).json()) as GovernanceResponse;
const swaps = async () => metricValue(await (await fetch(`${node.url}/metrics`)).text(), SWAPS);
const publish = (manifest: unknown) => fetch(`${node.url}/api/manifests`, json(manifest));

/** Publishes a parameters manifest through the node and adopts it through the governor; resolves once the node applied it. */
async function vote(parameters: ManifestParameters): Promise<void> {
  const name = `ns-llm-test-gpu-cap-${++version}`;
  const published = await publish({ schema: "ns-llm.manifest/v1", role: "parameters", name, parameters });
  assert.equal(published.status, 200, await published.clone().text());
  const { cid, digest } = (await published.json()) as { cid: string; digest: `0x${string}` };
  await adopt(chain, { role: "parameters", cid, digest, name });
  await waitUntil("the node to apply the parameters", async () => node.governed.source?.cid === cid, 30_000, undefined, 5);
}

describe("limits.maxGpuLayers voted on a real chain", { concurrency: false }, () => {
  it("(before any vote) the cap is the operator's ceiling, and the model was loaded under it; the node says it cannot offload and offloads nothing", async () => {
    assert.deepEqual(loadOptions, [{ max: CEILING }], "the node loaded its model at start under the ceiling");
    const h = await health();
    assert.deepEqual(h.generation.device, { backend: "cpu", gpuLayers: 0, gpuLayerCap: CEILING, gpuOffloading: false });
    const g = await governance();
    assert.equal(g.effective?.maxGpuLayers, CEILING);
    assert.deepEqual(g.effective?.clamped, []);
  });

  it("a vote for 0 (the CPU only): /health and /api/governance show cap 0; no reload on a node that cannot offload", async () => {
    const swapsBefore = await swaps();
    await vote({ limits: { maxGpuLayers: 0 } });
    const h = await health();
    assert.deepEqual(h.generation.device, { backend: "cpu", gpuLayers: 0, gpuLayerCap: 0, gpuOffloading: false });
    const g = await governance();
    assert.equal(g.parameters.limits?.maxGpuLayers, 0);
    assert.equal(g.effective?.maxGpuLayers, 0);
    assert.equal(await swaps(), swapsBefore, "the generation model was not reloaded (nothing to move on a CPU-only node)");
  });

  it("a vote above NS_LLM_MAX_GPU_LAYERS: clamped to the ceiling, and /api/governance says so", async () => {
    await vote({ limits: { maxGpuLayers: 40 } });
    const g = await governance();
    assert.equal(g.parameters.limits?.maxGpuLayers, 40);
    assert.equal(g.effective?.maxGpuLayers, CEILING);
    assert.deepEqual(g.effective?.clamped, [{ field: "limits.maxGpuLayers", governed: 40, applied: CEILING, env: "NS_LLM_MAX_GPU_LAYERS" }]);
    assert.equal((await health()).generation.device?.gpuLayerCap, CEILING);
  });

  it("a vote for 6, then a generation model adopted: it is loaded with gpuLayers { max: 6 } and /health shows it under cap 6", async () => {
    await vote({ limits: { maxGpuLayers: 6 } });
    assert.equal((await governance()).effective?.maxGpuLayers, 6);

    const name = "ns-llm-test-llama-gpu-cap";
    const gguf = otherDemoLlama(0x6b06_6b06, name);
    const added = await fetch(`${node.url}/api/ipfs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.from(gguf) });
    assert.equal(added.status, 200, await added.clone().text());
    const { cid: artifactCid } = (await added.json()) as { cid: string };
    const published = await publish(generationManifest({ name, sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${artifactCid}`] }));
    assert.equal(published.status, 200, await published.clone().text());
    const { cid, digest } = (await published.json()) as { cid: string; digest: `0x${string}` };
    const loadsBefore = loadOptions.length;
    await adopt(chain, { role: "generation", cid, digest, name });
    await waitUntil("the node to serve the adopted model", async () => (await health()).generation.manifest === cid, 60_000, undefined, 20);

    assert.deepEqual(loadOptions.slice(loadsBefore), [{ max: 6 }], "the adoption loaded the model once, under the cap in force");
    const h = await health();
    assert.equal(h.generation.model, name);
    assert.deepEqual(h.generation.device, { backend: "cpu", gpuLayers: 0, gpuLayerCap: 6, gpuOffloading: false });
  });

  it("bad values are refused at manifest validation with the field and the rule (nothing is published)", async () => {
    for (const [value, rule] of [
      [-1, "must be >= 0"],
      [2.5, "must be integer"],
      [1025, "must be <= 1024"],
    ] as const) {
      const response = await publish({ schema: "ns-llm.manifest/v1", role: "parameters", name: "ns-llm-test-gpu-cap-bad", parameters: { limits: { maxGpuLayers: value } } });
      assert.equal(response.status, 400, `${value}`);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "manifest_invalid");
      assert.match(body.error.message, new RegExp(`/parameters/limits/maxGpuLayers: ${rule}`));
    }
    assert.equal((await governance()).effective?.maxGpuLayers, 6, "the cap in force is unchanged");
  });
});
