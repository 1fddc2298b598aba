import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEMO_BERT_HIDDEN, DEMO_BERT_MAX_LENGTH, writeDemoBert } from "../src/demo/demo-bert.ts";
import { createEmbeddingEngine, type CreateEmbeddingEngineReturnType } from "../src/inference/embedding/index.ts";

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe("embedding engine (demo model, onnxruntime-node)", () => {
  let dir: string;
  let demo: { model: string; vocab: string };
  let engine: CreateEmbeddingEngineReturnType;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-embedding-"));
    demo = await writeDemoBert(dir);
    engine = await createEmbeddingEngine({ model: demo.model, tokenizer: demo.vocab, name: "demo-bert", threads: 1 });
  });
  after(async () => {
    await engine?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("describes the model: name, path, dimensions read from the model, max length, the CPU it runs on", () => {
    assert.deepEqual(engine.info, { name: "demo-bert", path: demo.model, dimensions: DEMO_BERT_HIDDEN, maxLength: 256, device: { backend: "cpu", gpuLayers: 0 } });
  });

  it("gives one unit vector of `dimensions` per text, in order", async () => {
    const texts = ["Hello, world!", "", "the quick brown fox", "😀"];
    const vectors = await engine.embed(texts);
    assert.equal(vectors.length, texts.length);
    for (const v of vectors) {
      assert.ok(v instanceof Float32Array);
      assert.equal(v.length, engine.info.dimensions);
      assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
    }
    assert.ok(maxDiff(vectors[0]!, vectors[2]!) > 1e-3, "different texts, different vectors");
    assert.deepEqual(await engine.embed([]), []);
  });

  it("is deterministic", async () => {
    const [a] = await engine.embed(["same text twice"]);
    const [b] = await engine.embed(["same text twice"]);
    assert.deepEqual(a, b);
  });

  it("gives a text the same vector alone and padded in a batch beside a much longer text", async () => {
    const short = "hello world";
    const long = "the people of the city came down to the river every morning to watch the boats go by ".repeat(8);
    const [alone] = await engine.embed([short]);
    const [, inBatch] = await engine.embed([long, short]);
    assert.ok(maxDiff(alone!, inBatch!) < 1e-5, `max difference ${maxDiff(alone!, inBatch!)}`);
  });

  it("splits big inputs into batches and keeps their order", async () => {
    const texts = Array.from({ length: 70 }, (_, i) => `${"word ".repeat(i % 13)}number ${i}`);
    const together = await engine.embed(texts);
    assert.equal(together.length, 70);
    for (const i of [0, 1, 31, 32, 33, 64, 69]) {
      const [single] = await engine.embed([texts[i]!]);
      assert.ok(maxDiff(single!, together[i]!) < 1e-5, `text ${i}`);
    }
  });

  it("runs concurrent calls without mixing their results", async () => {
    const texts = ["one", "two two", "three three three", "four"];
    const expected = await Promise.all(texts.map(async (t) => (await engine.embed([t]))[0]!));
    const results = await Promise.all(texts.map((t) => engine.embed([t, t])));
    results.forEach((pair, i) => {
      assert.ok(maxDiff(pair[0]!, expected[i]!) < 1e-5);
      assert.ok(maxDiff(pair[1]!, expected[i]!) < 1e-5);
    });
  });

  it("cuts texts to maxLength tokens", async () => {
    const small = await createEmbeddingEngine({ model: demo.model, tokenizer: demo.vocab, maxLength: 8 });
    try {
      assert.equal(small.info.maxLength, 8);
      const [cut, full] = await small.embed(["one two three four five six", "one two three four five six seven eight nine"]);
      assert.ok(maxDiff(cut!, full!) < 1e-5);
    } finally {
      await small.dispose();
    }
  });

  it("finds vocab.txt beside the model when no tokenizer is given", async () => {
    const beside = await createEmbeddingEngine({ model: demo.model });
    try {
      assert.equal(beside.info.name, "model.onnx");
      const [a] = await beside.embed(["hello"]);
      const [b] = await engine.embed(["hello"]);
      assert.deepEqual(a, b);
    } finally {
      await beside.dispose();
    }
  });

  it("fails clearly: missing files, a maxLength over the model's limit, use after dispose", async () => {
    await assert.rejects(createEmbeddingEngine({ model: path.join(dir, "nope.onnx"), tokenizer: demo.vocab }), {
      message: `embedding model file not found: ${path.join(dir, "nope.onnx")}`,
    });
    await assert.rejects(createEmbeddingEngine({ model: demo.model, tokenizer: path.join(dir, "nope.txt") }), {
      message: `tokenizer file not found: ${path.join(dir, "nope.txt")}`,
    });
    const lonely = path.join(dir, "lonely");
    await mkdir(lonely);
    await copyFile(demo.model, path.join(lonely, "model.onnx"));
    await assert.rejects(createEmbeddingEngine({ model: path.join(lonely, "model.onnx") }), /no tokenizer beside .*vocab\.txt/);
    await assert.rejects(
      createEmbeddingEngine({ model: demo.model, tokenizer: demo.vocab, maxLength: DEMO_BERT_MAX_LENGTH + 1 }),
      /smoke test on 257 tokens/,
    );
    await assert.rejects(createEmbeddingEngine({ model: demo.vocab, tokenizer: demo.vocab }), /cannot load the ONNX model/);

    const doomed = await createEmbeddingEngine({ model: demo.model, tokenizer: demo.vocab });
    await assert.rejects(doomed.embed("not an array" as unknown as string[]), TypeError);
    await doomed.dispose();
    await assert.rejects(doomed.embed(["x"]), /disposed/);
  });
});
