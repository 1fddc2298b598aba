/**
 * The vision role's parts, in process: the demo image encoder is a pure function of its text
 * vectors (the same bytes twice, and `make-demo --vision` writes the same file on every run); the encoder's load refuses a model whose vectors do not have
 * its manifest's dimensions; images are bounded before they are decoded; transparency is laid on
 * white; and the manifest schema refuses a vision manifest that does not say its dimensions and
 * image size.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { demoClipBytes, demoClipRgb, DEMO_CLIP_COLOURS, DEMO_CLIP_SIZE } from "../src/demo/demo-clip.ts";
import { makeDemoModels, makeDemoVision } from "../src/demo/index.ts";
import { createImageEncoder, IMAGE_LIMITS, imageBytes, preprocessImage } from "../src/inference/vision/index.ts";
import { ManifestError, parseManifest } from "../src/manifest/index.ts";

/** Eight fixed unit vectors standing in for a text encoder's (the chain test uses the node's own). */
const words = DEMO_CLIP_COLOURS.map((_, k) => {
  const v = new Float32Array(16);
  v[k] = 0.8;
  v[15 - k] = 0.6;
  return v;
});

describe("vision parts", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-vision-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the demo encoder is the same bytes for the same text vectors, and maps each colour to its word", async () => {
    const a = demoClipBytes(words);
    assert.deepEqual(Buffer.from(demoClipBytes(words)), Buffer.from(a));
    const file = path.join(dir, "model.onnx");
    await writeFile(file, a);
    const encoder = await createImageEncoder({ model: file, dimensions: 16, image: { size: DEMO_CLIP_SIZE } });
    try {
      for (const [k, colour] of DEMO_CLIP_COLOURS.entries()) {
        const [r, g, b] = demoClipRgb(colour);
        const png = await sharp({ create: { width: 9, height: 5, channels: 3, background: { r, g, b } } }).png().toBuffer();
        const [v] = await encoder.embed([png]);
        const cosine = words[k]!.reduce((s, x, i) => s + x * v![i]!, 0);
        assert.ok(cosine > 0.999, `${colour}: ${cosine}`);
      }
      // A transparent picture is laid on white, as a browser shows it.
      const clear = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
      const [white] = await encoder.embed([clear]);
      assert.ok(words[DEMO_CLIP_COLOURS.indexOf("white")]!.reduce((s, x, i) => s + x * white![i]!, 0) > 0.999);
    } finally {
      await encoder.dispose();
    }
    await assert.rejects(createImageEncoder({ model: file, dimensions: 32, image: { size: DEMO_CLIP_SIZE } }), /gives 16-dimensional vectors; its manifest says 32/);
  });

  it("make-demo --vision writes the same encoder on every run, paired with the demo text encoder", async () => {
    const runs = [];
    for (const name of ["a", "b"]) {
      const out = path.join(dir, name);
      await makeDemoModels(out);
      runs.push(await makeDemoVision(out));
    }
    assert.deepEqual(runs[0]!.file, runs[1]!.file);
    assert.equal(runs[0]!.manifest.digest, runs[1]!.manifest.digest);
    const { model } = runs[0]!.manifest.manifest;
    assert.deepEqual([model.dimensions, model.image, model.pairedEmbedding], [32, { size: DEMO_CLIP_SIZE }, "ns-llm-demo-bert"]);
  });

  it("bounds images before decoding them", async () => {
    assert.throws(() => imageBytes(""), /empty/);
    assert.throws(() => imageBytes("data:image/png,rawbytes"), /must be base64/);
    assert.throws(() => imageBytes("http://10.0.0.1/cat.png"), /URLs are not fetched/);
    assert.throws(() => imageBytes("not*base64"), /not valid base64/);
    assert.throws(() => imageBytes(Buffer.alloc(IMAGE_LIMITS.maxBytes + 1).toString("base64")), /the image is 524289 bytes; at most 524288 are accepted/);
    assert.throws(() => imageBytes(Buffer.alloc(2 * IMAGE_LIMITS.maxBytes).toString("base64")), /larger than 524288 bytes/);
    assert.equal(imageBytes(`data:image/png;base64,${Buffer.from("abc").toString("base64")}`).toString(), "abc");
    const wide = await sharp({ create: { width: 8193, height: 2048, channels: 3, background: "#000" } }).png().toBuffer();
    await assert.rejects(preprocessImage(wide, { size: 8 }), /8193x2048 = 16779264 pixels; at most 16777216/);
    const pixels = await preprocessImage(await sharp({ create: { width: 3, height: 7, channels: 3, background: "#fff" } }).jpeg().toBuffer(), { size: 8, mean: [0, 0, 0], std: [1, 1, 1] });
    assert.equal(pixels.length, 3 * 8 * 8);
    assert.ok(pixels.every((x) => x > 0.98 && x <= 1), "white is 1 in every channel with mean 0 and std 1");
  });

  it("a vision manifest must say its dimensions and image size, and name an ONNX model", () => {
    const artifact = { path: "model.onnx", sha256: "a".repeat(64), size: 10, sources: ["https://example.org/model.onnx"] };
    const good = { schema: "ns-llm.manifest/v1", role: "vision", name: "clip", model: { format: "onnx", dimensions: 512, image: { size: 224 }, pairedEmbedding: "clip-text", artifacts: [artifact] } };
    assert.equal(parseManifest(good).role, "vision");
    const problems = (value: unknown) => {
      try {
        parseManifest(value as Parameters<typeof parseManifest>[0]);
        return [];
      } catch (error) {
        return (error as ManifestError).problems.map((p) => `${p.pointer} ${p.message}`);
      }
    };
    assert.deepEqual(problems({ ...good, model: { ...good.model, image: undefined } }), ["/model/image is required"]);
    assert.deepEqual(problems({ ...good, model: { ...good.model, dimensions: undefined } }), ["/model/dimensions is required"]);
    assert.ok(problems({ ...good, model: { ...good.model, format: "gguf" } }).some((p) => p.startsWith("/model/format")));
    assert.ok(problems({ ...good, model: { ...good.model, image: { size: 224, std: [0, 1, 1] } } }).some((p) => p.startsWith("/model/image/std/0")));
  });
});
