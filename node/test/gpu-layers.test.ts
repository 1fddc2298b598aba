/**
 * The governed GPU layer cap (`limits.maxGpuLayers`): how a cap becomes node-llama-cpp's
 * `gpuLayers` option, when a new cap needs the loaded model reloaded, the effective cap under the
 * operator's NS_LLM_MAX_GPU_LAYERS, the reload through the adoption's swap path (with engines
 * that say they can offload: this machine has no GPU), and the real engine passing the cap to
 * `llama.loadModel`.
 *
 * Last, a real node whose llama.cpp is made to say it can offload (only that flag is pretended):
 * a change of the cap reloads its model through the adoption's swap while a request holds the old.
 *
 * What this machine cannot show: a real reload that offloads a different number of layers. Its
 * llama.cpp has no GPU (`supportsGpuOffloading` false), so every load offloads 0 whatever the cap.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { LlamaModelOptions } from "node-llama-cpp";
import { writeDemoLlama } from "../src/demo/demo-llama.ts";
import { capChangesOffload, createGenerationEngine, gpuLayersOption, type GpuOffload } from "../src/inference/generation/index.ts";
import { getSharedLlama } from "../src/inference/generation/llama-runtime.ts";
import { ModelSlot, type GenerationEngine, type GenerationModelSpec, type LoadOptions, type Models } from "../src/inference/index.ts";
import { parseManifest } from "../src/manifest/index.ts";
import { followGpuLayerCap, GovernedState } from "../src/serving/index.ts";
import { json, metricValue, startTestNode, type TestNode } from "./helpers/api-node.ts";

describe("gpuLayersOption: the cap as llama.loadModel's gpuLayers", () => {
  it("no cap: 'auto' (as many layers as fit); 0: none (the CPU only); N: auto bounded by N", () => {
    assert.equal(gpuLayersOption(undefined), "auto");
    assert.equal(gpuLayersOption(0), 0);
    assert.deepEqual(gpuLayersOption(1), { max: 1 });
    assert.deepEqual(gpuLayersOption(33), { max: 33 });
  });

  it("refuses a negative or fractional cap", () => {
    assert.throws(() => gpuLayersOption(-1), RangeError);
    assert.throws(() => gpuLayersOption(2.5), RangeError);
    assert.throws(() => gpuLayersOption(Number.NaN), RangeError);
  });
});

describe("capChangesOffload: does a new cap move layers?", () => {
  const gpu = (gpuLayers: number, cap: number | null, totalLayers = 23): GpuOffload => ({ supported: true, totalLayers, cap, gpuLayers });

  it("never on a node that cannot offload (a CPU-only node: nothing is on a GPU, nothing can be)", () => {
    const cpu: GpuOffload = { supported: false, totalLayers: 23, cap: null, gpuLayers: 0 };
    for (const cap of [undefined, 0, 1, 10, 1000]) assert.equal(capChangesOffload(cpu, cap), false);
  });

  it("a cap below what is offloaded: reload", () => {
    assert.equal(capChangesOffload(gpu(23, null), 10), true);
    assert.equal(capChangesOffload(gpu(23, null), 0), true);
    assert.equal(capChangesOffload(gpu(10, 10), 4), true);
  });

  it("a higher cap (or none) where the old cap held the model back: reload", () => {
    assert.equal(capChangesOffload(gpu(10, 10), 20), true);
    assert.equal(capChangesOffload(gpu(0, 0), undefined), true);
    assert.equal(capChangesOffload(gpu(10, 10), undefined), true);
  });

  it("no layer moves: no reload", () => {
    // All layers offloaded, and the new cap still allows them all.
    assert.equal(capChangesOffload(gpu(23, null), 23), false);
    assert.equal(capChangesOffload(gpu(23, 30), undefined), false);
    // 'auto' left it at 12 for want of memory: a cap of 12 or more changes nothing.
    assert.equal(capChangesOffload(gpu(12, null), 12), false);
    assert.equal(capChangesOffload(gpu(12, 20), 40), false);
    // Same cap.
    assert.equal(capChangesOffload(gpu(10, 10), 10), false);
  });
});

describe("GovernedState: the cap in force", () => {
  it("no governed cap and no ceiling: none (null in effective, undefined for loads)", () => {
    const g = new GovernedState({});
    assert.equal(g.limits().maxGpuLayers, null);
    assert.equal(g.gpuLayerCap(), undefined);
  });

  it("the governed cap applies; 0 is a cap (the CPU only), not 'none'", () => {
    assert.equal(new GovernedState({ limits: { maxGpuLayers: 12 } }).gpuLayerCap(), 12);
    assert.equal(new GovernedState({ limits: { maxGpuLayers: 0 } }).gpuLayerCap(), 0);
    assert.equal(new GovernedState({ limits: { maxGpuLayers: 0 } }).limits().maxGpuLayers, 0);
  });

  it("NS_LLM_MAX_GPU_LAYERS clamps a higher governed cap (and says so), and caps a node whose manifest sets none", () => {
    const clamped = new GovernedState({ limits: { maxGpuLayers: 40 } }, undefined, { ceilings: { maxGpuLayers: 8 } }).limits();
    assert.equal(clamped.maxGpuLayers, 8);
    assert.deepEqual(clamped.clamped, [{ field: "limits.maxGpuLayers", governed: 40, applied: 8, env: "NS_LLM_MAX_GPU_LAYERS" }]);
    const under = new GovernedState({ limits: { maxGpuLayers: 4 } }, undefined, { ceilings: { maxGpuLayers: 8 } }).limits();
    assert.equal(under.maxGpuLayers, 4);
    assert.deepEqual(under.clamped, []);
    assert.equal(new GovernedState({}, undefined, { ceilings: { maxGpuLayers: 8 } }).gpuLayerCap(), 8);
  });
});

describe("manifest validation of limits.maxGpuLayers", () => {
  const parse = (value: unknown) =>
    parseManifest(new TextEncoder().encode(JSON.stringify({ schema: "ns-llm.manifest/v1", role: "parameters", name: "gpu-cap", parameters: { limits: { maxGpuLayers: value } } })));

  it("accepts 0 and a positive integer", () => {
    assert.equal(parse(0).parameters?.limits?.maxGpuLayers, 0);
    assert.equal(parse(33).parameters?.limits?.maxGpuLayers, 33);
  });

  it("refuses a negative, a fractional or a string value, naming the field and the rule", () => {
    assert.throws(() => parse(-1), /\/parameters\/limits\/maxGpuLayers: must be >= 0/);
    assert.throws(() => parse(2.5), /\/parameters\/limits\/maxGpuLayers: must be integer/);
    assert.throws(() => parse("8"), /\/parameters\/limits\/maxGpuLayers: must be integer/);
  });
});

/**
 * A stand-in for `createModels` whose engines say they can offload (as on a GPU node): its
 * loadGeneration builds an engine offloading min(cap, 23) layers and swaps it in, like the real one.
 */
function gpuModels(cap: () => number | undefined) {
  const generation = new ModelSlot<GenerationEngine>();
  const listeners = new Set<(role: "generation" | "embedding") => void>();
  const loads: Array<{ spec: GenerationModelSpec; cap: number | undefined; swapped: boolean }> = [];
  let gate: Promise<void> | undefined;
  const engine = (c: number | undefined, supported = true): GenerationEngine => {
    const gpuLayers = supported ? Math.min(c ?? 23, 23) : 0;
    return {
      info: { name: "m", path: "/models/m.gguf", contextLength: 512, hasChatTemplate: false, device: { backend: supported ? "cuda" : "cpu", gpuLayers }, offload: { supported, totalLayers: 23, cap: c ?? null, gpuLayers } },
      complete: async () => ({ text: "hi", tokens: 1, finishReason: "length", ms: 1, firstTokenMs: 1 }),
      dispose: async () => {},
    } as unknown as GenerationEngine;
  };
  const models: Pick<Models, "slots" | "loadGeneration" | "onSwap"> = {
    slots: { generation } as Models["slots"],
    async loadGeneration(spec: GenerationModelSpec, options: LoadOptions<GenerationEngine> = {}) {
      const entry = { spec, cap: cap(), swapped: false };
      loads.push(entry);
      const e = engine(entry.cap);
      await gate;
      await options.smokeTest?.(e);
      await options.trial?.(e);
      options.signal?.throwIfAborted();
      generation.swap(e, { cid: spec.manifest?.cid, name: spec.name ?? "m", version: spec.manifest?.version, digest: spec.manifest?.digest });
      entry.swapped = true;
      for (const l of listeners) l("generation");
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    models,
    loads,
    engine,
    hold: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

describe("followGpuLayerCap: a vote changing the cap while a model is loaded", () => {
  const manifest = { cid: "bafy-m", name: "m", version: 3, digest: "ab" };

  it("on a GPU node, a cap that moves layers reloads the serving model (same file, same manifest) through loadGeneration", async () => {
    const governed = new GovernedState({});
    const { models, loads, engine } = gpuModels(() => governed.gpuLayerCap());
    models.slots.generation.swap(engine(undefined), manifest);
    const follower = followGpuLayerCap({ models, cap: () => governed.gpuLayerCap(), onChange: (l) => governed.onChange(l), log: () => {} });
    try {
      governed.apply({ limits: { maxGpuLayers: 8 } });
      await follower.check();
      assert.equal(loads.length, 1, "one reload (the swap it causes is checked again, and moves nothing)");
      assert.equal(loads[0]!.spec.modelPath, "/models/m.gguf");
      assert.deepEqual(loads[0]!.spec.manifest, manifest);
      assert.equal(loads[0]!.cap, 8);
      const lease = models.slots.generation.acquire()!;
      lease.release();
      assert.equal(lease.engine.info.device.gpuLayers, 8);
      assert.deepEqual(lease.manifest, manifest);

      // A cap that moves nothing (8 layers are on the GPU, a cap of 8 again): no reload.
      governed.apply({ limits: { maxGpuLayers: 8 }, temperature: 0.5 });
      await follower.check();
      assert.equal(loads.length, 1);
    } finally {
      follower.stop();
    }
  });

  it("on a CPU-only node, no cap causes a reload", async () => {
    const governed = new GovernedState({});
    const { models, loads, engine } = gpuModels(() => governed.gpuLayerCap());
    models.slots.generation.swap(engine(undefined, false), manifest);
    const follower = followGpuLayerCap({ models, cap: () => governed.gpuLayerCap(), onChange: (l) => governed.onChange(l), log: () => {} });
    try {
      for (const maxGpuLayers of [0, 8, 100]) {
        governed.apply({ limits: { maxGpuLayers } });
        await follower.check();
      }
      assert.equal(loads.length, 0);
    } finally {
      follower.stop();
    }
  });

  it("gives way to an adoption swapped in while it reloads: its copy is dropped, and the adopted model is checked against the cap", async () => {
    const governed = new GovernedState({});
    const { models, loads, engine, hold } = gpuModels(() => governed.gpuLayerCap());
    models.slots.generation.swap(engine(undefined), manifest);
    const lines: string[] = [];
    const follower = followGpuLayerCap({ models, cap: () => governed.gpuLayerCap(), onChange: (l) => governed.onChange(l), log: (line) => lines.push(line) });
    try {
      const open = hold();
      governed.apply({ limits: { maxGpuLayers: 4 } });
      // Meanwhile an adoption swaps in a model loaded before the vote (23 layers offloaded).
      const adopted = { cid: "bafy-n", name: "n", version: 4, digest: "cd" };
      models.slots.generation.swap(engine(undefined), adopted);
      open();
      // A check asked while one runs makes it look again once done (the real onSwap asks so after an adoption).
      await follower.check();
      assert.equal(loads[0]!.swapped, false, "the reload of the replaced model was dropped");
      assert.equal(loads.length, 2);
      const now = models.slots.generation.acquire()!;
      now.release();
      assert.deepEqual(now.manifest, adopted);
      assert.equal(now.engine.info.device.gpuLayers, 4, "the adopted model was brought under the cap");
      assert.ok(!lines.some((l) => l.includes("not reloaded")), lines.join("\n"));
    } finally {
      follower.stop();
    }
  });
});

describe("createGenerationEngine passes the cap to llama.loadModel (the real binding)", () => {
  let dir: string;
  let modelPath: string;
  const seen: Array<LlamaModelOptions["gpuLayers"]> = [];
  let restore: (() => void) | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-gpu-layers-"));
    modelPath = path.join(dir, "demo.gguf");
    await writeDemoLlama(modelPath);
    const llama = await getSharedLlama();
    const original = llama.loadModel;
    llama.loadModel = function (this: typeof llama, options: LlamaModelOptions) {
      seen.push(options.gpuLayers);
      return original.call(this, options);
    };
    restore = () => {
      llama.loadModel = original;
    };
  });
  after(async () => {
    restore?.();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [cap, option] of [
    [undefined, "auto"],
    [0, 0],
    [6, { max: 6 }],
  ] as const) {
    it(`cap ${cap ?? "none"} -> gpuLayers ${JSON.stringify(option)}; the engine records the cap and (no GPU here) 0 layers offloaded`, async () => {
      const engine = await createGenerationEngine({ modelPath, threads: 1, sequences: 1, contextSize: 256, ...(cap !== undefined ? { gpuLayerCap: cap } : {}) });
      try {
        assert.deepEqual(seen.at(-1), option);
        const llama = await getSharedLlama();
        assert.deepEqual(engine.info.offload, { supported: llama.supportsGpuOffloading, totalLayers: engine.info.offload!.totalLayers, cap: cap ?? null, gpuLayers: 0 });
        assert.ok(engine.info.offload!.totalLayers > 0);
        assert.equal(llama.supportsGpuOffloading, false, "this machine has no GPU: were it otherwise, this test would say nothing about CPU nodes");
        assert.deepEqual(engine.info.device, { backend: "cpu", gpuLayers: 0 });
      } finally {
        await engine.dispose();
      }
    });
  }
});

describe("a node whose llama.cpp says it can offload (pretended: no GPU here): a vote changing the cap reloads the model through the adoption's swap", () => {
  let node: TestNode;
  let restore: (() => void) | undefined;
  before(async () => {
    // The flag alone: node-llama-cpp then sizes offload by the GPU's free memory, none here, so 0 layers.
    const llama = await getSharedLlama();
    Object.defineProperty(llama, "supportsGpuOffloading", { get: () => true, configurable: true });
    restore = () => void delete (llama as unknown as Record<string, unknown>).supportsGpuOffloading;
    node = await startTestNode({ parameters: { limits: { maxGpuLayers: 0 } } });
  });
  after(async () => {
    await node?.stop();
    restore?.();
  });

  it("cap 0 -> 2: the same model is loaded again under cap 2 and swapped in; a request holding the old engine finishes on it", async () => {
    const health = async () => (await (await fetch(`${node.url}/health`)).json()) as { generation: { manifest: string | null; device: Record<string, unknown> } };
    const swaps = async () => metricValue(await (await fetch(`${node.url}/metrics`)).text(), 'ns_llm_model_swaps_total{role="generation"}');
    const before = await health();
    assert.deepEqual(before.generation.device, { backend: "cpu", gpuLayers: 0, gpuLayerCap: 0, gpuOffloading: true });
    const swapsBefore = await swaps();

    // A request in flight holds a lease on the engine it started on (as the generation service does) until it ends.
    const inFlight = node.models.slots.generation.acquire()!;
    assert.equal(inFlight.engine.info.offload?.cap, 0);
    const swapped = new Promise<void>((resolve) => {
      const stop = node.models.onSwap((role) => role === "generation" && (stop(), resolve()));
    });
    node.governed.apply({ limits: { maxGpuLayers: 2 } });
    await swapped;

    const now = node.models.slots.generation.acquire()!;
    now.release();
    assert.notEqual(now.engine, inFlight.engine, "a new engine serves");
    assert.equal(now.engine.info.offload?.cap, 2, "loaded under the new cap");
    assert.equal(node.models.slots.generation.draining, 1, "the old engine waits for its request");
    const finished = await inFlight.engine.complete({ prompt: "Hello", maxTokens: 4, temperature: 0, seed: 1 });
    assert.ok(finished.tokens > 0, "the request in flight finishes on the old engine");
    inFlight.release();

    const answer = await fetch(`${node.url}/generate`, json({ prompt: "Hello", maxTokens: 4 }));
    assert.equal(answer.status, 200);
    const after = await health();
    assert.equal(after.generation.manifest, before.generation.manifest, "the same model, reloaded");
    assert.deepEqual(after.generation.device, { backend: "cpu", gpuLayers: 0, gpuLayerCap: 2, gpuOffloading: true });
    assert.equal(await swaps(), swapsBefore + 1);
  });
});
