/**
 * The `vision` role governed on a real Hardhat chain, with a real node process (`ns-llm serve
 * --demo`, onnxruntime, sharp):
 *
 * - until a vote adopts an image encoder, images are 503 vision_unavailable;
 * - a vote adopts the demo image encoder (written from the node's own text vectors of the colour
 *   words, published to the node's IPFS, named by CID and sha256); the node fetches, verifies,
 *   loads and smoke-tests it, and /health says it shares the adopted text model's space;
 * - an image and its caption land near each other: each colour's picture (PNG or JPEG, any size)
 *   is nearest to its own word among the eight, through /embed and the official `openai` client;
 * - the gateway's collection takes images: its search finds an image by a text and texts and
 *   images by an image;
 * - bad images (too many bytes or pixels, not an image, not base64, mixed with texts) are 400s
 *   that record nothing; images sent to chat are 400 unsupported_input (the generation model is
 *   text-only), through `openai` and `ollama`;
 * - a restarted node serves the adopted image encoder again, restored from its store.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import sharp from "sharp";
import { demoClipBytes, demoClipName, demoClipRgb, DEMO_CLIP_COLOURS, DEMO_CLIP_SIZE, type DemoClipColour } from "../src/demo/demo-clip.ts";
import { demoBertName } from "../src/demo/index.ts";
import { createGateway } from "../src/gateway/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { addToNodeIpfs, adopt, auditEntries, publishManifest, sha256Hex, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

type Embedded = { model: string; dimensions: number; embeddings: number[][]; manifest: string | null; auditSeq: number | null; paired?: boolean };

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
const dataUrl = (bytes: Buffer, type = "image/png") => `data:${type};base64,${bytes.toString("base64")}`;
const picture = (colour: DemoClipColour, width = 40, height = 30, format: "png" | "jpeg" = "png") => {
  const [r, g, b] = demoClipRgb(colour);
  const image = sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
  return (format === "png" ? image.png() : image.jpeg({ quality: 90 })).toBuffer();
};

describe("the vision role governed on chain", () => {
  let chain: TestChain;
  let node: FollowNode;
  let words: number[][];
  let visionCid: string;

  const embed = async (input: unknown) => {
    const response = await node.post("/embed", { input });
    return { status: response.status, body: (await response.json()) as Embedded & { error: { code: string; message: string } } };
  };

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain });
    const texts = await embed([...DEMO_CLIP_COLOURS]);
    assert.equal(texts.status, 200);
    assert.equal(texts.body.model, demoBertName);
    words = texts.body.embeddings;
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  it("refuses images until a vote adopts an image encoder", async () => {
    const refused = await embed([{ image: dataUrl(await picture("red")) }]);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, "vision_unavailable");
    const health = await node.get<{ vision: { ready: boolean } }>("/health");
    assert.equal(health.vision.ready, false);
  });

  it("a vote adopts the demo image encoder, which shares the adopted text model's space", async () => {
    // The demo encoder's table is the node's own text vectors of the colour words.
    const model = demoClipBytes(words.map((w) => Float32Array.from(w)));
    const cid = await addToNodeIpfs(node, model);
    const manifest = await publishManifest(node, {
      schema: "ns-llm.manifest/v1",
      role: "vision",
      name: demoClipName,
      description: "The demo image encoder: mean colour to the colour words' text vectors.",
      model: {
        format: "onnx",
        dimensions: words[0]!.length,
        image: { size: DEMO_CLIP_SIZE },
        pairedEmbedding: demoBertName,
        license: "MIT",
        artifacts: [{ path: "model.onnx", sha256: sha256Hex(model), size: model.byteLength, sources: [`ipfs://${cid}`] }],
      },
    });
    visionCid = manifest.cid;
    await adopt(chain, { role: "vision", ...manifest, name: demoClipName });
    const health = await waitUntil("the vision model to serve", async () => {
      const h = await node.get<{ vision: { ready: boolean; manifest: string | null; model: string; paired: boolean; pairedEmbedding: string; dimensions: number } }>("/health");
      return h.vision.manifest === manifest.cid ? h : undefined;
    }, 60_000, () => node.output);
    assert.deepEqual(health.vision, { ready: true, model: demoClipName, manifest: manifest.cid, dimensions: 32, pairedEmbedding: demoBertName, paired: true });
  });

  it("an image and its caption land near each other (PNG and JPEG, any size), through /embed and the openai client", async () => {
    for (const colour of DEMO_CLIP_COLOURS) {
      const images = [await picture(colour), await picture(colour, 301, 97, "jpeg")];
      const { status, body } = await embed([{ image: dataUrl(images[0]!) }, { image: dataUrl(images[1]!, "image/jpeg") }]);
      assert.equal(status, 200);
      assert.deepEqual([body.model, body.manifest, body.paired, body.dimensions], [demoClipName, visionCid, true, 32]);
      for (const vector of body.embeddings) {
        const similarities = words.map((w) => dot(vector, w));
        const best = similarities.indexOf(Math.max(...similarities));
        assert.equal(DEMO_CLIP_COLOURS[best], colour, `the ${colour} picture is nearest to its own word (${similarities.map((s) => s.toFixed(3)).join(" ")})`);
        assert.ok(similarities[best]! > 0.999, `${colour}: ${similarities[best]}`);
      }
    }
    // A grey picture is none of the words: a blend, nearer to none of them than a pure colour is to its own.
    const grey = sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png();
    const mixed = (await embed({ image: (await grey.toBuffer()).toString("base64") })).body.embeddings[0]!;
    assert.ok(Math.max(...words.map((w) => dot(mixed, w))) < 0.999);

    // The official client: OpenAI's embeddings API takes texts; the image items pass through as sent.
    const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const red = await client.embeddings.create({ model: "any", input: [{ type: "image_url", image_url: { url: dataUrl(await picture("red")) } }] as unknown as string[] });
    assert.equal(red.model, demoClipName);
    const vector = red.data[0]!.embedding;
    assert.ok(dot(vector, words[DEMO_CLIP_COLOURS.indexOf("red")]!) > 0.999);

    // Recorded like any answer: the entry names the vision model's manifest.
    const { body } = await embed([{ image: dataUrl(await picture("blue")) }]);
    const entry = (await auditEntries(node)).find((e) => e.seq === body.auditSeq)!;
    assert.deepEqual([entry.route, entry.model, entry.manifest, (entry.parameters as { images: number }).images], ["/embed", demoClipName, visionCid, 1]);
  });

  it("the gateway's search finds an image by a text, and texts and images by an image", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-vision-gateway-"));
    const gateway = await createGateway({ nodeUrls: [node.url], home, lexicalWeight: 0.5 });
    try {
      const url = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
      const post = async (route: string, body: unknown) => {
        const response = await fetch(`${url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };
      // Neutral names: nothing in them says which colour they show.
      const pictures = { "picture-1.png": "red", "picture-2.jpg": "blue", "picture-3.png": "yellow" } as const;
      for (const [name, colour] of Object.entries(pictures)) {
        const added = await post("/documents", { name, content: dataUrl(await picture(colour, 64, 48, name.endsWith(".jpg") ? "jpeg" : "png")) });
        assert.deepEqual([added.status, added.body.format], [200, "image"]);
      }
      // The demo text encoder has random weights: only a text that is the caption word itself lands
      // on the word's vector, so the text documents here are the words (a real text tower generalises).
      for (const colour of ["red", "blue", "yellow", "green"]) assert.equal((await post("/documents", { name: `${colour}.txt`, content: colour })).status, 200);

      for (const [name, colour] of Object.entries(pictures)) {
        const byText = (await post("/search", { query: colour, k: 10 })).body.results as Array<{ id: string; kind?: string }>;
        assert.equal(byText.find((r) => r.kind === "image")?.id, `${name}#image`, `"${colour}" finds the ${colour} picture first among images`);

        const byImage = await post("/search", { image: dataUrl(await picture(colour, 20, 20)), k: 10 });
        assert.equal(byImage.status, 200);
        const results = byImage.body.results as Array<{ id: string; kind?: string; score: number }>;
        assert.equal(results[0]!.id, `${name}#image`, `the ${colour} picture finds itself first`);
        assert.equal(results.find((r) => r.kind !== "image")!.id, `${colour}.txt#text`, `the ${colour} picture finds the text "${colour}" first among texts`);
      }
      // Bad images: a 400 from the gateway, nothing kept.
      const count = gateway.documents.count();
      const bad = await post("/documents", { name: "broken.png", content: dataUrl(Buffer.from("not a picture")) });
      assert.deepEqual([bad.status, bad.body.error.code], [400, "invalid_image"]);
      assert.equal(gateway.documents.count(), count);
      const badQuery = await post("/search", { image: "%%%" });
      assert.deepEqual([badQuery.status, badQuery.body.error.code], [400, "invalid_image"]);
      const both = await post("/search", { query: "red", image: "AAAA" });
      assert.equal(both.status, 400);
    } finally {
      await gateway.close();
      await rm(home, { recursive: true, force: true });
    }
  });

  it("bad images are 400s that say why, and nothing is recorded", async () => {
    const before = (await auditEntries(node)).length;
    const refused = async (input: unknown, why: RegExp, code = "invalid_image") => {
      const { status, body } = await embed(input);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.code, code);
      assert.match(body.error.message, why);
    };
    // 600 KB of noise as a PNG does not compress: over the 512 KiB bound.
    const noise = Buffer.alloc(600 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const big = await sharp(noise, { raw: { width: 512, height: 400, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    assert.ok(big.byteLength > 512 * 1024);
    await refused([{ image: dataUrl(big) }], /image 0: the image is (larger than|\d+ bytes).*524288/);
    const huge = await sharp({ create: { width: 5000, height: 4000, channels: 3, background: "#ff0000" } }).png({ compressionLevel: 9 }).toBuffer();
    await refused([{ image: dataUrl(huge) }], /5000x4000 = 20000000 pixels; at most 16777216/);
    await refused([{ image: dataUrl(Buffer.from("this is not a picture at all")) }], /cannot be decoded/);
    await refused([{ image: dataUrl(await picture("red")) }, { image: "%%%" }], /image 1: the image is not valid base64/);
    await refused([{ image: "https://example.com/cat.png" }], /URLs are not fetched/);
    await refused(["red", { image: dataUrl(await picture("red")) }], /mixes texts and images/, "invalid_request");
    await refused(Array.from({ length: 17 }, () => ({ image: "AAAA" })), /17 images; at most 16/);
    assert.equal((await auditEntries(node)).length, before, "nothing recorded");
  });

  it("a restarted node restores the adopted vision model from its store", async () => {
    await node.kill();
    await node.start();
    const health = await node.get<{ vision: { ready: boolean; manifest: string | null; paired: boolean } }>("/health");
    assert.deepEqual([health.vision.ready, health.vision.manifest, health.vision.paired], [true, visionCid, true]);
    const { status, body } = await embed([{ image: dataUrl(await picture("green")) }]);
    assert.equal(status, 200);
    assert.ok(dot(body.embeddings[0]!, words[DEMO_CLIP_COLOURS.indexOf("green")]!) > 0.999);
  });

  it("images sent to chat are refused: the governed generation model is text-only", async () => {
    const image = dataUrl(await picture("red"));
    const openai = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await assert.rejects(
      openai.chat.completions.create({ model: "any", messages: [{ role: "user", content: [{ type: "text", text: "What colour is this?" }, { type: "image_url", image_url: { url: image } }] }] }),
      (error: { status: number; error: { code: string; message: string } }) => {
        assert.equal(error.status, 400);
        assert.equal(error.error.code, "unsupported_input");
        assert.match(error.error.message, /messages\.0\.content has a "image_url" part, but the governed generation model of this node takes text only/);
        return true;
      },
    );
    const ollama = new Ollama({ host: node.url });
    await assert.rejects(ollama.chat({ model: "any", messages: [{ role: "user", content: "What colour?", images: [(await picture("red")).toString("base64")] }] }), /messages\.0 has images, but the governed generation model/);
    await assert.rejects(ollama.generate({ model: "any", prompt: "What colour?", images: [(await picture("red")).toString("base64")] }), /the request has images, but the governed generation model/);
  });
});
