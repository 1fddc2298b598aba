import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { demoGenesis, publishGenesis } from "../src/demo/index.ts";
import { fetchManifest, openEmbeddedIpfs } from "../src/ipfs/index.ts";
import { parseManifest } from "../src/manifest/index.ts";

const tmp = await mkdtemp(path.join(os.tmpdir(), "ns-llm-genesis-"));
after(() => rm(tmp, { recursive: true, force: true }));

test("the demo genesis is the same everywhere and names its artifacts by CID, model file first", async () => {
  const a = await demoGenesis(path.join(tmp, "a"));
  const b = await demoGenesis(path.join(tmp, "b"));
  for (const role of ["generation", "embedding", "parameters"] as const) {
    assert.equal(a[role].cid, b[role].cid, `${role} manifest CID is deterministic`);
    assert.equal(a[role].digest, b[role].digest);
    const manifest = parseManifest(a[role].bytes);
    assert.equal(manifest.role, role);
    if (manifest.role === "parameters") continue;
    assert.deepEqual(
      manifest.model.artifacts.map((x) => x.sources),
      a[role].artifacts.map((x) => [`ipfs://${x.cid}`]),
    );
  }
  assert.match(a.generation.artifacts[0]!.file, /\.gguf$/);
  assert.deepEqual(a.embedding.artifacts.map((x) => path.basename(x.file)), ["model.onnx", "vocab.txt"]);
});

test("publishing the genesis to a real embedded IPFS node gives the computed CIDs back", async () => {
  const genesis = await demoGenesis(path.join(tmp, "c"));
  const ipfs = await openEmbeddedIpfs({ repo: path.join(tmp, "ipfs") });
  try {
    await publishGenesis(ipfs, genesis);
    const bytes = await fetchManifest(ipfs, genesis.embedding.cid);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(genesis.embedding.bytes));
  } finally {
    await ipfs.stop();
  }
});
