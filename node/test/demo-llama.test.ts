import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { getLlama, readGgufFileInfo, type LlamaModel } from "node-llama-cpp";
import { demoLlamaShape, writeDemoLlama, zephyrChatTemplate } from "../src/demo/demo-llama.ts";
import { encodeGguf, gguf } from "../src/demo/gguf-writer.ts";

const sha256 = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

/**
 * The demo model's digest. Manifests and tests elsewhere rely on the demo model being the same
 * bytes on every machine; change this only together with an intended change of the model.
 */
const DEMO_LLAMA_SHA256 = "8d03a5547e3f665e9a1178d12d65153e6c6515a332f9176344714657edc4c82f";

describe("GGUF writer", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-gguf-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes typed metadata and aligned tensors that an independent reader reads back", async () => {
    const bytes = encodeGguf({
      metadata: [
        ["general.architecture", gguf.str("llama")],
        ["test.u8", { type: "uint8", value: 200 }],
        ["test.i16", { type: "int16", value: -1234 }],
        ["test.u64", { type: "uint64", value: 2n ** 40n }],
        ["test.f64", { type: "float64", value: 0.1 }],
        ["test.bool", gguf.bool(true)],
        ["test.utf8", gguf.str("héllo ▁ 世界")],
        ["test.strings", gguf.strings(["a", "", "▁b"])],
        ["test.floats", gguf.f32s([1.5, -2])],
        ["test.ints", gguf.i32s([-1, 7])],
      ],
      tensors: [
        { name: "a", dims: [3], data: Float32Array.from([1, 2, 3]) },
        { name: "b", dims: [2, 5], data: new Float32Array(10).fill(0.25) },
      ],
    });
    const file = path.join(dir, "t.gguf");
    await writeFile(file, bytes);

    assert.equal(Buffer.from(bytes.subarray(0, 4)).toString("latin1"), "GGUF");
    const info = await readGgufFileInfo(file, { logWarnings: false });
    assert.equal(info.version, 3);
    const m = info.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(m.general!.architecture, "llama");
    assert.equal(m.general!.alignment, 32, "general.alignment is added");
    assert.equal(m.test!.u8, 200);
    assert.equal(m.test!.i16, -1234);
    assert.equal(m.test!.u64, 2n ** 40n);
    assert.equal(m.test!.f64, 0.1);
    assert.equal(m.test!.bool, true);
    assert.equal(m.test!.utf8, "héllo ▁ 世界");
    assert.deepEqual(m.test!.strings, ["a", "", "▁b"]);
    assert.deepEqual([...(m.test!.floats as number[])], [1.5, -2]);
    assert.deepEqual([...(m.test!.ints as number[])], [-1, 7]);

    const tensors = info.fullTensorInfo!;
    assert.deepEqual(tensors.map((t) => [t.name, t.dimensions.map(Number)]), [["a", [3]], ["b", [2, 5]]]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (const t of tensors) {
      assert.equal(t.ggmlType, 0, `${t.name} is f32`);
      assert.equal(Number(t.fileOffset) % 32, 0, `${t.name} starts 32-aligned`);
    }
    assert.equal(view.getFloat32(Number(tensors[0]!.fileOffset) + 8, true), 3);
    assert.equal(view.getFloat32(Number(tensors[1]!.fileOffset) + 36, true), 0.25);
    assert.equal(bytes.length % 32, 0);
  });

  it("refuses tensors whose data does not match their dims", () => {
    assert.throws(
      () => encodeGguf({ metadata: [], tensors: [{ name: "x", dims: [2, 2], data: new Float32Array(3) }] }),
      /dims \[2, 2\] hold 4 values, data has 3/,
    );
  });
});

describe("demo llama model", () => {
  let dir: string;
  let file: string;
  let model: LlamaModel;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-demo-llama-"));
    file = path.join(dir, "a", "demo.gguf");
    await writeDemoLlama(file);
    const llama = await getLlama({ build: "never", gpu: false });
    model = await llama.loadModel({ modelPath: file });
  });
  after(async () => {
    await model?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("is the same bytes on every run (and machine), and small", async () => {
    const again = path.join(dir, "b", "demo.gguf");
    await writeDemoLlama(again);
    const digest = await sha256(file);
    assert.equal(await sha256(again), digest);
    assert.equal(digest, DEMO_LLAMA_SHA256);
    assert.ok((await stat(file)).size < 2 * 1024 * 1024);
  });

  it("carries the llama metadata, a SentencePiece vocabulary and the Zephyr chat template", async () => {
    const info = await readGgufFileInfo(file, { logWarnings: false });
    const meta = info.metadata;
    assert.equal(meta.general.architecture, "llama");
    assert.equal(meta.tokenizer.ggml.model, "llama");
    assert.equal(meta.tokenizer.chat_template, zephyrChatTemplate);
    const tokens = meta.tokenizer.ggml.tokens as string[];
    for (let byte = 0; byte < 256; byte++) {
      assert.ok(tokens.includes(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`), `byte token ${byte}`);
    }
    assert.deepEqual([tokens[0], tokens[1], tokens[2]], ["<unk>", "<s>", "</s>"]);
    assert.equal(model.trainContextSize, demoLlamaShape.contextLength);
    assert.equal(model.tokens.bos, 1);
    assert.equal(model.tokens.eos, 2);
    const names = info.fullTensorInfo!.map((t) => t.name);
    for (const name of ["token_embd.weight", "blk.1.ffn_down.weight", "output_norm.weight", "output.weight"]) {
      assert.ok(names.includes(name), name);
    }
  });

  it("tokenizes English into word pieces and the chat markers into one piece each", () => {
    const vocabulary = model.fileInfo.metadata.tokenizer.ggml.tokens as string[];
    const pieces = (text: string) => model.tokenize(text).map((t) => vocabulary[t]);
    assert.deepEqual(pieces("the house is big"), ["▁the", "▁house", "▁is", "▁big"]);
    assert.deepEqual(pieces("<|user|>\nHi"), ["▁", "<|user|>", "<0x0A>", "H", "i"]);
    // Anything else falls back to the byte tokens instead of failing.
    assert.equal(model.detokenize(model.tokenize("naïve 😀 ok")), "naïve 😀 ok");
  });
});
