/**
 * GPU reporting: /health and /metrics say which backend each loaded model runs on and how many of
 * its layers are offloaded. This machine has no GPU (and the binding is started with gpu "auto"),
 * so both models must say "cpu" with 0 layers: a report of a GPU here would be a lie.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HealthReport } from "@ns-llm/contracts";
import { startTestNode, type TestNode } from "./helpers/api-node.ts";

describe("model device reporting (no GPU here)", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(() => node?.stop());

  it("GET /health gives each role's backend, cpu, and 0 layers offloaded (generation: the GPU layer cap in force, and that it cannot offload)", async () => {
    const h = (await (await fetch(`${node.url}/health`)).json()) as HealthReport;
    // With no governed cap and no NS_LLM_MAX_GPU_LAYERS: no cap (null); llama.cpp here cannot offload.
    assert.deepEqual(h.generation.device, { backend: "cpu", gpuLayers: 0, gpuLayerCap: null, gpuOffloading: false });
    assert.deepEqual(h.embedding.device, { backend: "cpu", gpuLayers: 0 });
  });

  it("GET /metrics has one ns_llm_model_gpu_layers series per loaded model, labelled backend cpu, value 0", async () => {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const series = text.split("\n").filter((l) => l.startsWith("ns_llm_model_gpu_layers{"));
    assert.deepEqual(series.sort(), [
      'ns_llm_model_gpu_layers{role="embedding",model="ns-llm-demo-bert",backend="cpu"} 0',
      'ns_llm_model_gpu_layers{role="generation",model="ns-llm-demo-llama",backend="cpu"} 0',
    ]);
  });
});
